"""Tests that kill mutants of twolayer.conditions, twolayer.record, twolayer.seeding and
proofs_check.frei_constants / frei_population which the other tests let through.

Oracles, independent of the code under test:

- conditions: Theorem 1's assumptions (A1)–(A7) as written on the paper card, worked by hand at
  values where an interval end is exact in floating point (just inside, on, just outside);
- record: records doctored by hand, with their checksums computed here with hashlib from the
  format the module docstring documents (so a forged document is consistent except for the one
  thing that is wrong);
- seeding: SHA-256 digests of ``"seed:stream"`` computed with coreutils' ``sha256sum`` (not
  Python) and pasted in as hex;
- proofs_check: the lemma chain worked by hand (|f| ≤ 2α(T−1)·2 = 1, ‖x‖ ≤ 1 + 1/√2, the
  leading term of f^J times C3 = 4), and Monte Carlo (numpy, fixed seed) of one population GD
  step.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat

import numpy as np
import pytest
import sympy as sp
import torch

from proofs_check import frei_constants as fc
from proofs_check import frei_population as fp
from twolayer.cli import main
from twolayer.conditions import frei2023, frei2023_from_config
from twolayer.config import Config, DataConfig, NetConfig, TrainConfig
from twolayer.errors import ConfigError, RecordError
from twolayer.record import Record, write_text_atomic
from twolayer.seeding import derive_seed, generator

# -- conditions: (A1)–(A7) at exact interval ends -------------------------------------------

# A deep setting: every assumption other than the one a test moves allows C up to >= 1e3.
DEEP = dict(d=10**9, n=10**6, m=10**5, noise=0.0, sigma2=1e-20, init_var=1e-30, lr=0.25)


def _cond(**kw):
    return frei2023(**{**DEEP, **kw})


def _a(cond, aid):
    return next(a for a in cond.assumptions if a.id == aid)


def test_interval_ends_are_inside_the_non_strict_inequalities():
    """(A4) η ≤ 1/C with η = 1/8 holds at C = 8 exactly (8 is exact in float64), not above;
    (A7) 1/(2√C) ≤ α ≤ 1/√C with α = 1/4 holds for C in [4, 16] inclusive: 1/(2√4) = 1/4 and
    1/√16 = 1/4."""
    c = _cond(noise=0.125)
    a4, a7 = _a(c, "A4"), _a(c, "A7")
    assert a4.holds(8.0) and not a4.holds(8.0 * (1 + 1e-9)) and a4.holds(7.99)
    assert a7.holds(4.0) and a7.holds(16.0)
    assert not a7.holds(4.0 * (1 - 1e-9)) and not a7.holds(16.0 * (1 + 1e-9))
    # the largest C of the whole setting is an interval end; every assumption holds there
    assert c.largest_c == 8.0 and c.holds(c.largest_c) and c.holds(c.c_min_all)
    assert c.c_min_all == 4.0 and not c.holds(4.0 * (1 - 1e-9))


def test_c_must_exceed_one():
    """Theorem 1 needs C > 1: at C = 1 no assumption holds, even where its inequality does
    (η = 0 and α = 1: 1/(2√1) ≤ 1 ≤ 1/√1)."""
    c = _cond(lr=1.0)
    for a in c.assumptions:
        assert not a.holds(1.0), a.id
    assert _a(c, "A4").holds(1.5)


def test_c_equal_to_one_is_not_a_feasible_largest_c():
    """η = 1: (A4) 1 ≤ 1/C needs C ≤ 1, which contradicts C > 1: nothing is feasible, although
    with α = 1/2 every lower end is 1 ((A7): 1/(4α²) = 1) and the upper ends meet at C = 1."""
    c = _cond(noise=1.0, lr=0.5)
    assert c.c_min_all == 1.0 and c.c_max_all == 1.0
    assert _a(c, "A4").c_max == 1.0 and not _a(c, "A4").feasible
    assert c.largest_c is None and "no C > 1" in c.summary()


def test_smallest_c_is_at_least_one_for_a_large_step():
    """α = 3/4: (A7) allows C in [1/(4α²), 1/α²] = [4/9, 16/9]; with C > 1 the setting holds for
    1 < C ≤ 16/9, so the smallest C reported is 1, not 4/9."""
    c = _cond(lr=0.75)
    assert _a(c, "A7").c_min == pytest.approx(4 / 9)
    assert c.c_min_all == 1.0 and c.to_json()["c_min_all"] == 1.0
    assert c.largest_c == pytest.approx(16 / 9)
    assert c.summary().startswith("A1-A7 hold for 1 < C <= 1.78")  # C = 1 excluded (C > 1)


def test_binding_names_only_the_smallest_upper_end():
    """(A4) ends at 1/η, (A7) at 1/α² = 16: with 1/η = 16.001 only (A7) limits C."""
    c = _cond(noise=1 / 16.001)
    assert _a(c, "A4").c_max == pytest.approx(16.001)
    assert c.binding == ["A7"]
    tie = _cond(noise=1 / 16)
    assert tie.binding == ["A4", "A7"]


@pytest.mark.parametrize("bad", [dict(n=0), dict(m=0), dict(sigma2=math.inf),
                                 dict(init_var=math.inf), dict(noise=1.5), dict(noise=-0.1),
                                 dict(d=True)])
def test_bad_values_are_config_errors_naming_the_value(bad):
    """n = 0 or m = 0 would reach log(0); σ² = ∞ would give C_max(A2) = 0 without a word;
    η > 1 is no probability; True is no dimension."""
    (name, value), = bad.items()
    with pytest.raises(ConfigError) as e:
        _cond(**bad)
    assert name.replace("_", "-") in str(e.value) and str(value) in str(e.value)


def test_from_config_passes_every_value_and_delta():
    """The setting is the config's, and δ reaches (A1), (A3), (A5): by hand, with d = 400,
    n = 100, m = 10, δ = 0.01, C_max(A1) = 400 / log²(10⁴), C_max(A3) = 100 / log(10³),
    C_max(A5) = 10 / log(100)."""
    cfg = Config(data=DataConfig(d=400, n=100, noise=0.1, sigma2=1e-5),
                 net=NetConfig(m=10, init_var=1e-9), train=TrainConfig(lr=0.25))
    c = frei2023_from_config(cfg, delta=0.01)
    assert c.delta == 0.01
    assert c.setting == {"d": 400, "n": 100, "m": 10, "noise": 0.1, "sigma2": 1e-5,
                         "init_var": 1e-9, "lr": 0.25}
    assert _a(c, "A1").c_max == pytest.approx(400 / math.log(1e4) ** 2)
    assert _a(c, "A3").c_max == pytest.approx(100 / math.log(1e3))
    assert _a(c, "A5").c_max == pytest.approx(10 / math.log(100))
    assert _a(c, "A2").c_max == pytest.approx(1 / math.sqrt(1e-5 * 400))
    assert _a(c, "A6").c_max == pytest.approx((1e-9 * 10 * 400) ** -0.25)


def test_json_of_an_unbounded_assumption_is_strict_json(capsys):
    """η = 0: (A4) holds for every C; --json writes "inf", never the non-standard Infinity."""
    assert main(["conditions", "--noise", "0", "--json"]) == 0

    def bad(tok):
        raise ValueError(f"non-standard JSON token {tok}")

    js = json.loads(capsys.readouterr().out, parse_constant=bad)
    a4 = next(a for a in js["assumptions"] if a["id"] == "A4")
    assert a4["c_max"] == "inf" and a4["feasible"] is True


# -- record: doctored records ------------------------------------------------------------------


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _content(doc: dict) -> str:
    """SHA-256 of the sorted, compact JSON of the document without "content" (module
    docstring), recomputed here."""
    body = {k: v for k, v in doc.items() if k != "content"}
    return _sha(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())


def _saved(tmp_path, name="r", value=1.0):
    rec = Record(config={"seeds": 2, "v": value}, run_id=name, times=np.arange(3),
                 arrays={"a/x": np.full((2, 3), value), "s/n": np.array([1, 2])})
    return rec.save(tmp_path, name)


def _rewrite(path, fn, recompute_content=True):
    doc = json.loads((path / "record.json").read_text())
    fn(doc)
    if recompute_content:
        doc["content"] = _content(doc)
    (path / "record.json").write_text(json.dumps(doc))


def test_doctored_helpers_reproduce_an_intact_record(tmp_path):
    """The hand-made checksums agree with what save wrote (else the tests below prove
    nothing)."""
    p = _saved(tmp_path)
    doc = json.loads((p / "record.json").read_text())
    assert doc["content"] == _content(doc)
    assert doc["checksums"]["arrays.npz"] == _sha((p / "arrays.npz").read_bytes())
    _rewrite(p, lambda d: None)
    assert Record.load(p)["a/x"].tolist() == [[1.0] * 3] * 2


def test_other_format_with_a_consistent_checksum_is_refused(tmp_path):
    p = _saved(tmp_path)
    _rewrite(p, lambda d: d.update(format=1))
    with pytest.raises(RecordError, match="format 1"):
        Record.load(p)


def test_arrays_swapped_with_a_forged_array_checksum_are_detected(tmp_path):
    """The content checksum covers the array checksum: replacing arrays.npz and its checksum
    (but not the content checksum) is damage."""
    p, q = _saved(tmp_path, "p", 1.0), _saved(tmp_path, "q", 2.0)
    (p / "arrays.npz").write_bytes((q / "arrays.npz").read_bytes())
    sha = _sha((p / "arrays.npz").read_bytes())
    _rewrite(p, lambda d: d["checksums"].update({"arrays.npz": sha}), recompute_content=False)
    with pytest.raises(RecordError):
        Record.load(p)


def test_bytes_appended_to_the_arrays_are_detected(tmp_path):
    """A zip reader ignores trailing bytes; the checksum over the whole file does not."""
    p = _saved(tmp_path)
    with open(p / "arrays.npz", "ab") as fh:
        fh.write(b"\0" * 4096)
    with pytest.raises(RecordError, match="checksum"):
        Record.load(p)


def test_a_byte_flipped_in_the_middle_of_the_arrays_is_detected(tmp_path):
    p = _saved(tmp_path)
    raw = bytearray((p / "arrays.npz").read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (p / "arrays.npz").write_bytes(bytes(raw))
    with pytest.raises(RecordError):
        Record.load(p)


@pytest.mark.parametrize("forge", ["shape", "extra name", "no checksum"])
def test_a_consistently_checksummed_but_wrong_document_is_refused(tmp_path, forge):
    """A foreign document with valid checksums: a wrong shape, an array the file does not hold,
    or no array checksum at all."""
    p = _saved(tmp_path)

    def fn(d):
        if forge == "shape":
            d["arrays"]["a/x"] = [3, 2]
        elif forge == "extra name":
            d["arrays"]["b/y"] = [2]
        else:
            del d["checksums"]

    _rewrite(p, fn)
    with pytest.raises(RecordError):
        Record.load(p)


@pytest.mark.parametrize("forge", ["no times", "other times"])
def test_consistently_checksummed_arrays_with_wrong_times_are_refused(tmp_path, forge):
    """arrays.npz without its "times" array made Record.load raise a bare KeyError; probe times
    other than record.json's were used without a word."""
    p = _saved(tmp_path)
    times = {} if forge == "no times" else {"times": np.arange(3) * 10}
    np.savez(p / "arrays.npz", **times, **{"a/x": np.ones((2, 3)), "s/n": np.array([1, 2])})
    sha = _sha((p / "arrays.npz").read_bytes())
    _rewrite(p, lambda d: d["checksums"].update({"arrays.npz": sha}))
    with pytest.raises(RecordError, match="times" if forge == "other times" else "other arrays"):
        Record.load(p)


def test_float64_arrays_round_trip_bit_for_bit(tmp_path):
    """1/3 and 0.1 are not float32 numbers: a float64 array comes back as the same float64
    bits (and a float32 array as float32)."""
    x = np.array([[1 / 3, 0.1, math.pi]])
    rec = Record(config={"seeds": 1}, run_id="f", times=np.arange(3),
                 arrays={"x": x, "y": x.astype(np.float32)})
    back = Record.load(rec.save(tmp_path))
    assert back["x"].dtype == np.float64 and back["x"].tobytes() == x.tobytes()
    assert back["y"].dtype == np.float32 and np.array_equal(back["y"], x.astype(np.float32))


def test_a_document_that_is_no_object_is_a_record_error(tmp_path):
    p = _saved(tmp_path)
    (p / "record.json").write_text("[1, 2]")
    with pytest.raises(RecordError, match="not a JSON object"):
        Record.load(p)


def test_atomic_text_files_get_the_mode_of_a_plain_open(tmp_path):
    """mkstemp makes 0600 files; write_text_atomic must give 0666 & ~umask like open()."""
    plain = tmp_path / "plain"
    plain.write_text("x")
    atomic = write_text_atomic(tmp_path / "atomic", "x")
    assert stat.S_IMODE(os.stat(atomic).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
    old = os.umask(0o022)
    try:
        atomic = write_text_atomic(tmp_path / "atomic2", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(atomic).st_mode) == 0o644


# -- seeding: the documented SHA-256 derivation, distinct streams ------------------------------

# first 8 bytes of SHA-256("seed:stream"), hex, from `printf '%s' "0:data" | sha256sum`
SHA_PREFIX = {(0, "data"): "f5928d159a315a4e", (1, "init"): "d9768442d07587a2",
              (12345, "batches"): "fc78c3b3d4d29d88", (7, "data-test"): "f093887cf63b8c69"}


@pytest.mark.parametrize("key", list(SHA_PREFIX))
def test_derive_seed_is_the_documented_sha256(key):
    """Little-endian integer of the digest's first 8 bytes, top bit cleared (63 bits)."""
    want = int.from_bytes(bytes.fromhex(SHA_PREFIX[key]), "little") & (2**63 - 1)
    assert derive_seed(*key) == want


def test_streams_of_distinct_runs_and_names_are_distinct():
    """No two of 2000 seeds × 5 streams share a seed, and the generators' first draws differ
    between streams of one run and between runs of one stream."""
    streams = ["data", "test", "init", "batches", "data-train"]
    seeds = {derive_seed(s, k) for s in range(2000) for k in streams}
    assert len(seeds) == 2000 * len(streams)
    first = {(s, k): torch.randn(4, generator=generator(s, k)) for s in (0, 1, 65536)
             for k in streams}
    keys = list(first)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not torch.equal(first[a], first[b]), (a, b)
    # reproducible: a fresh generator of the same run and stream draws the same numbers
    assert torch.equal(torch.randn(4, generator=generator(1, "init")), first[(1, "init")])


# -- proofs_check.frei_constants: values worked by hand ----------------------------------------


def test_eq19_bound_on_f_is_one():
    """|f| ≤ ‖W^(t)‖_F ‖x‖ ≤ 2α(T−1)·2 = 2α·(1/(4α))·2 = 1: a bound of 9/10 does not follow,
    a bound of 1 does (and 1/(1 + e) ≥ e^-2/2)."""
    assert fc.check_eq19(f_bound=1).passed
    assert not fc.check_eq19(f_bound=sp.Rational(9, 10)).passed
    assert "= 1 ≤" in fc.check_eq19().detail


def test_lemma14_step_reports_the_norm_bound_of_lemma5():
    """Lemma 5(b): ‖x − μ‖ ≤ 1/√C1 ≤ 1/√2, so ‖x‖ ≤ 1 + 1/√2 = 1.70711."""
    r = fc.check_lemma14_step()
    assert r.passed and f"{1 + 1 / math.sqrt(2):.5g}" in r.detail


def test_c3_leading_term_is_four_times_one_over_c3():
    """(m/4)(1−1/C0)² · (1/√m) · (1/(4α)) e^-2 α (1/√m)/64 = (1−1/C0)² e^-2/1024, times
    C3 = 4096 e²/(1−1/C0)² gives 4."""
    r = fc.check_c3_reconstruction()
    assert r.passed and "leading term · C3 = 4 " in r.detail


@pytest.mark.parametrize("name, factor", [("C0", 50 / 45), ("C3", 1.05), ("GAMMA", 0.9)])
def test_constants_check_fails_when_one_constant_is_off(monkeypatch, name, factor):
    """C0 = 50·1024²e⁴ ≈ 2.86e9 does not round to the card's 2.6e9 (two significant digits);
    nor do 1.05·C3 ≈ 3.18e4 or 0.9·γ ≈ 7.4e-6."""
    monkeypatch.setattr(fc, name, getattr(fc, name) * sp.nsimplify(factor))
    assert not fc.check_constants().passed


# -- proofs_check.frei_population: Monte Carlo of one population step ---------------------------


def test_one_step_correlations_match_monte_carlo_with_a_large_u_term():
    """A neuron whose initial norm is comparable to the step and whose clusters are wide
    (σ = 0.5), so that the u-component of g(w) matters: w^(1) = w^(0) + α a g(w^(0)) with g from
    200 000 Monte Carlo samples of E[(1/2) y 1[⟨w, x⟩ > 0] x] on the 2-XOR mixture, against
    one_step_correlations (both signs of a)."""
    rng = np.random.default_rng(3)
    d, sigma, eta, alpha, N = 3, 0.5, 0.1, 2.0, 200_000
    mu = np.eye(d)[:2]
    cl = rng.integers(0, 4, N)
    centre = np.where(cl % 2 == 0, 1.0, -1.0)[:, None] * mu[cl // 2]
    y = np.where(cl < 2, 1.0, -1.0) * np.where(rng.random(N) < eta, -1.0, 1.0)
    x = centre + sigma * rng.standard_normal((N, d))
    w0 = np.array([0.05, -0.02, 0.03])
    terms = 0.5 * y[:, None] * (x @ w0 > 0)[:, None] * x
    g, se = terms.mean(0), terms.std(0, ddof=1) / math.sqrt(N)
    for a in (0.3, -0.3):
        w1 = w0 + alpha * a * g
        want = w1[:2] / np.linalg.norm(w1)
        c1, c2 = fp.one_step_correlations(w0 @ mu[0], w0 @ mu[1], np.linalg.norm(w0), sigma,
                                          alpha, np.array(a), eta)
        # first-order error of the correlations from g's sampling error (|∂corr/∂g| ≤ 2|αa|/‖w1‖)
        tol = 5 * 2 * abs(alpha * a) * np.linalg.norm(se) / np.linalg.norm(w1)
        assert abs(float(c1) - want[0]) <= tol and abs(float(c2) - want[1]) <= tol, (a, c1, c2,
                                                                                     want, tol)
    # ω_init → 0: w^(1) = α a g, so the correlations are sgn(a) ⟨g, μ_k⟩/‖g‖ (g's scale, hence
    # η, drops out)
    u = w0 / np.linalg.norm(w0)
    tol = 5 * 2 * np.linalg.norm(se) / np.linalg.norm(g)
    for sign in (1.0, -1.0):
        c1, c2 = fp.limit_correlations(u @ mu[0], u @ mu[1], sigma, np.array(sign))
        want = sign * g[:2] / np.linalg.norm(g)
        assert abs(float(c1) - want[0]) <= tol and abs(float(c2) - want[1]) <= tol, (sign, c1,
                                                                                        c2, want)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_document_with_non_strict_numbers_is_a_record_error(tmp_path, token):
    """save writes strict JSON (non-finite numbers as null); a record.json edited or damaged to
    hold NaN, Infinity or 1e999 (which Python's json reads as inf) made Record.load raise a bare
    ValueError from the checksum code, so the store neither reported nor quarantined it."""
    p = _saved(tmp_path)
    text = (p / "record.json").read_text()
    assert text.count('"seeds": 2') == 1
    (p / "record.json").write_text(text.replace('"seeds": 2', f'"seeds": {token}'))
    with pytest.raises(RecordError, match="not strict JSON"):
        Record.load(p)


def test_the_store_quarantines_a_record_with_non_strict_numbers(tmp_path):
    from twolayer.store import RecordStore

    lines: list[str] = []
    store = RecordStore(tmp_path, warn=lines.append)
    rec = Record(config={"k": 1}, run_id="x", times=np.arange(2), arrays={"a": np.zeros((1, 2))},
                 summary={"v": 1.0})
    address = store.put(rec, rec.config)
    doc = tmp_path / "records" / address / "record.json"
    text = doc.read_text()
    assert text.count('"v": 1.0') == 1
    doc.write_text(text.replace('"v": 1.0', '"v": NaN'))
    assert store.get(address) is None
    assert len(lines) == 1 and "quarantine" in lines[0]
    assert not (tmp_path / "records" / address).exists()
