"""Phase-diagram figures through the sweep runner: the committed specs parse, the quick grids
render valid PNGs from a store in the cache directory (a second run trains nothing), and the
figures' numbers match independent computations (the (A1)-(A7) boxes against the assumptions
written out by hand; the amplification statistic against a per-neuron loop)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from core_oracles import frei_c_range
from matplotlib.image import imread

from twolayer.cli import main
from twolayer.conditions import frei2023_from_config
from twolayer.plots import FIGURES
from twolayer.plots import phase as P

NAMES = ("phase-frei", "phase-amplification", "phase-liu")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("phase")
    mp = pytest.MonkeyPatch()
    mp.setenv("TWOLAYER_CACHE", str(root / "cache"))
    out = root / "figs"
    assert main(["figures", "--quick", "--quiet", "--device", "cpu", "--out", str(out),
                 "--only", *NAMES]) == 0
    yield root, out
    mp.undo()


def test_full_specs_parse_with_the_documented_grids() -> None:
    shapes = {"phase-frei": (7, 5), "phase-amplification": (8, 8), "phase-liu": (4, 4)}
    for name in NAMES:
        for q in (False, True):
            spec = P.sweep_spec(name, q)
            assert len(spec.points()) == math.prod(spec.shape)
            if not q:
                assert spec.shape == shapes[name] and spec.name == name
            else:
                assert math.prod(spec.shape) <= 4 and spec.name == f"{name}-quick"
    for name in NAMES:
        assert FIGURES[name].differences and FIGURES[name].claims


def test_quick_figures_are_valid_pngs_and_rerun_trains_nothing(quick) -> None:
    root, out = quick
    index = json.loads((out / "index.json").read_text())["figures"]
    assert set(index) == set(NAMES)
    for name in NAMES:
        data = (out / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 500_000
        img = imread(out / f"{name}.png")
        assert img.shape[0] > 200 and float(np.std(img[..., :3])) > 0.02
        store = root / "cache" / "sweeps" / f"{name}-quick"
        assert (store / "summary.csv").is_file()
        assert len(list((store / "records").iterdir())) == len(P.sweep_spec(name, True).points())
    stamps = {p: p.stat().st_mtime_ns for p in (root / "cache").glob("sweeps/*/records/*/*.npz")}
    assert main(["figures", "--quick", "--quiet", "--device", "cpu", "--out", str(out),
                 "--only", "phase-amplification"]) == 0
    assert stamps == {p: p.stat().st_mtime_ns for p in stamps}


def test_frei_condition_boxes_match_the_assumptions_by_hand() -> None:
    """All of A1-A7 hold for some C > 1 iff every C_max >= the smallest C that A7 allows,
    1/(4 alpha^2): written out from the paper's inequalities, not through twolayer.conditions."""
    spec = P.sweep_spec("phase-frei", False)
    delta = P.DELTA
    held = 0
    for p in spec.points():
        c_lo, c_hi = frei_c_range(p.config, delta)
        expect = c_hi >= c_lo and c_hi > 1
        assert (frei2023_from_config(p.config, delta).largest_c is not None) == expect, p.coords
        held += expect
    assert 0 < held < len(spec.points())  # the grid crosses the boundary


def test_frei_statistics_and_amplification_against_plain_loops(quick) -> None:
    from twolayer.sweep import Store

    root, _ = quick
    spec = P.sweep_spec("phase-frei", True)
    store = Store(root / "cache" / "sweeps" / spec.name)
    for p in spec.points():
        rec = store.load(p.run_id)
        eta, n = p.config.data.noise, p.config.data.n
        for r in range(spec.seeds):
            e_clean = float(rec.arrays["errors/test_error_clean"][r, -1])
            assert P.frei_excess(rec)[r] == pytest.approx((1 - 2 * eta) * e_clean)
            ok = ((1 - 2 * eta) * e_clean <= math.sqrt(math.log(20) / n)
                  and rec.arrays["errors/train_error_clean"][r, -1] == 0)
            assert bool(P.frei_claims_hold(rec)[r]) == ok
    spec = P.sweep_spec("phase-amplification", True)
    store = Store(root / "cache" / "sweeps" / spec.name)
    for p in spec.points():
        rec = store.load(p.run_id)
        got = P.amplification(rec)
        wmu, wn, a = (rec.arrays["correlations/w_dot_mu"], rec.arrays["correlations/w_norm"],
                      rec.arrays["static/a"])
        t1 = int(np.flatnonzero(rec.times == 1)[0])
        for r in range(spec.seeds):
            for ti, col in ((0, 0), (t1, 1)):
                vals = [abs(wmu[r, ti, j, 0 if a[r, j, 0] > 0 else 1]) / wn[r, ti, j]
                        for j in range(wmu.shape[2])]
                assert got[r, col] == pytest.approx(float(np.median(vals)), rel=1e-6)
