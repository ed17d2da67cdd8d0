"""Records: save/load round trip, plain numpy + strict JSON files, atomic replacement."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.engine import Runtime
from twolayer.errors import ConfigError
from twolayer.record import Record
from twolayer.simulate import simulate

pytestmark = pytest.mark.usefixtures("single_thread")


def tiny(**kw) -> Config:
    base = dict(
        data=DataConfig(d=5, n=40, n_test=30, noise=0.2),
        net=NetConfig(m=8),
        train=TrainConfig(steps=12),
        seeds=2,
    )
    base.update(kw)
    return Config(**base)


@pytest.fixture(scope="module")
def rec() -> Record:
    return simulate(tiny(), Runtime(device="cpu", progress=False))


def _strict(text: str):
    def bad(tok):
        raise ValueError(f"non-standard JSON token {tok}")

    return json.loads(text, parse_constant=bad)


def test_round_trip(tmp_path, rec):
    path = rec.save(tmp_path)
    assert path == tmp_path / rec.run_id
    back = Record.load(path)
    assert back.run_id == rec.run_id
    assert back.config == rec.config
    np.testing.assert_array_equal(back.times, rec.times)
    assert set(back.arrays) == set(rec.arrays)
    for k, v in rec.arrays.items():
        assert back.arrays[k].dtype == v.dtype and back.arrays[k].shape == v.shape, k
        np.testing.assert_array_equal(back.arrays[k], v, err_msg=k)
    assert back.summary == _strict(json.dumps(back.summary))  # plain JSON values
    assert back.summary["run_id"] == rec.run_id
    assert back.meta["steps"] == 12 and back.meta["seeds"] == [0, 1]
    # the stored config rebuilds the same experiment
    assert Config.from_dict(back.config).run_id == rec.run_id


def test_files_readable_without_twolayer(tmp_path, rec):
    path = rec.save(tmp_path)
    assert sorted(os.listdir(path)) == ["arrays.npz", "record.json"]
    with np.load(path / "arrays.npz", allow_pickle=False) as z:
        files = set(z.files)
        assert "times" in files and "errors/test_error" in files
        R, T = 2, len(rec.times)
        assert z["errors/test_error"].shape == (R, T)
        assert z["correlations/w_dot_mu"].shape == (R, T, 8, 2)
        assert z["times"].tolist() == rec.times.tolist()
    meta = _strict((path / "record.json").read_text())
    assert meta["run_id"] == rec.run_id
    assert meta["times"] == rec.times.tolist()
    assert meta["arrays"]["errors/test_error"] == [R, T]
    assert meta["config"]["data"]["d"] == 5


def test_nan_summary_is_written_as_null(tmp_path):
    """η = 0: the noisy subset is empty, its statistics are NaN; record.json stays strict JSON."""
    r = simulate(tiny(data=DataConfig(d=5, n=40, n_test=30, noise=0.0), seeds=1),
                 Runtime(device="cpu", progress=False))
    assert np.isnan(r.summary["noisy_fit_fraction"])
    path = r.save(tmp_path)
    meta = _strict((path / "record.json").read_text())
    assert meta["summary"]["noisy_fit_fraction"] is None
    assert meta["summary"]["test_error"] is not None


def test_existing_record_replaced_and_no_temp_dirs_left(tmp_path, rec):
    rec.save(tmp_path)
    other = Record(rec.config, rec.run_id, rec.times, {"x": np.arange(3)}, {"v": 2}, {})
    other.save(tmp_path)
    assert os.listdir(tmp_path) == [rec.run_id]  # no .tmp / .old leftovers
    back = Record.load(tmp_path / rec.run_id)
    assert list(back.arrays) == ["x"] and back.meta == {"v": 2}


def test_failed_save_leaves_nothing_and_keeps_the_old_record(tmp_path, rec, monkeypatch):
    rec.save(tmp_path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(OSError):
        Record(rec.config, rec.run_id, rec.times, {"x": np.arange(3)}).save(tmp_path)
    assert os.listdir(tmp_path) == [rec.run_id]
    monkeypatch.undo()
    back = Record.load(tmp_path / rec.run_id)
    assert set(back.arrays) == set(rec.arrays)
    # a failed first save leaves no directory at all: not the folder it created for --out, nor
    # the parents it created (a full disk left `simulate --out new/dir` an empty new/dir)
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(OSError):
        rec.save(fresh)
    assert not fresh.exists()
    with pytest.raises(OSError):
        rec.save(tmp_path / "new" / "deeper" / "out")
    assert not (tmp_path / "new").exists()
    # a folder that was there before stays, as does one something else wrote into meanwhile
    (tmp_path / "kept").mkdir()
    with pytest.raises(OSError):
        rec.save(tmp_path / "kept" / "sub")
    assert os.listdir(tmp_path / "kept") == []
    assert sorted(os.listdir(tmp_path)) == sorted(["kept", rec.run_id])


def test_unwritable_out_is_a_config_error(tmp_path, rec):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="--out"):
        rec.save(blocker / "sub")
    assert blocker.read_text() == "x"


def test_at_selects_a_probe_time(rec):
    t = int(rec.times[3])
    np.testing.assert_array_equal(rec.at("errors/loss", t), rec.arrays["errors/loss"][:, 3])
    with pytest.raises(KeyError):
        rec.at("errors/loss", 10**9)


def test_in_and_a_missing_key_say_what_the_record_holds():
    """``"times" in rec`` raised KeyError: 0 (Python's fallback through __getitem__(0)), and
    rec["nope"] said only KeyError: 'nope'."""
    rec = Record(config={"seeds": 2}, run_id="r", times=np.arange(3),
                 arrays={"errors/loss": np.zeros((2, 3)), "wnorm/fro": np.ones((2, 3))})
    assert "errors/loss" in rec and "times" not in rec and "nope" not in rec
    with pytest.raises(KeyError) as e:
        rec["nope"]
    assert "'nope' is not an array of this record; its arrays: errors/loss, wnorm/fro" in str(
        e.value)
    with pytest.raises(KeyError, match="the probe times are rec.times"):
        rec["times"]


def test_a_folder_nothing_can_be_created_in_is_named_as_such():
    """``--out /proc/x``: creating in /proc fails with ENOENT, which the message printed bare
    ("/proc: No such file or directory"), as if /proc were missing."""
    import tempfile

    from twolayer.record import check_writable_dir
    try:
        os.rmdir(tempfile.mkdtemp(dir="/proc"))
    except OSError:
        pass
    else:
        pytest.skip("this machine lets a folder be created in /proc")
    if not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    with pytest.raises(ConfigError) as e:
        check_writable_dir("/proc/x")
    assert "nothing can be created in /proc" in str(e.value)
    assert "--out" in str(e.value) and "/proc/x" in str(e.value)
