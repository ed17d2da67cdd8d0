"""Maennel et al. (2020): the regime is the measured premises *and* the Records' setting against
the card's (card section 4, its [PROPOSAL] simulator setup; section 6 for the seeds), item by
item, as in badger2022 and vashisht2024.

Oracles: the card's own numbers, written out here from the card's text (d = 30, σ_i² = 0.1,
0.2, …, 3.0, N = 2,000 or 10,000, ten uniformly random classes, H ∈ {256, 2048}, He
initialisation 2/d, SGD lr 0.05 batch 64; transfer: upstream N = 2,000, H = 512, 150 epochs,
fine-tuning N ≤ 2,000, 8 seeds), not the module's constants; Records built or doctored so that
the true setting is known by construction.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
import test_maennel_records
from test_maennel_records import HOLDING, _doctor, _norm_at_end

from twolayer.claims import CLAIMS
from twolayer.claims import maennel2020 as mc
from twolayer.claims.base import judge
from twolayer.record import Record

pytestmark = pytest.mark.usefixtures("single_thread")
small_runs = test_maennel_records.small_runs  # the module-scoped fixture: the small plan's Runs

# the card's setting, from its text (section 4)
D, N, K, H, LR, BATCH = 30, 2000, 10, 256, 0.05, 64
E1 = np.arange(1, 31) / 10.0  # "σ_i² = 0.1, 0.2, …, 3.0"


def _card_record(base: Record, R: int = 8, seed: int = 0) -> Record:
    """An upstream Record whose every compared item is the card's (B1's setting): its config and
    the stored arrays the comparison reads, built by hand."""
    rng = np.random.default_rng(seed)
    rec = copy.deepcopy(base)
    rec.config = copy.deepcopy(base.config)
    rec.config["data"].update(kind="gaussian", d=D, n=N, rotate=True, spectrum="linear",
                              sigma2_min=0.1, sigma2_max=3.0, noise=1.0, noise_model="random",
                              num_classes=K)
    rec.config["net"].update(m=H, init_var=2.0 / D, bias=True, train_second_layer=True,
                             outputs=K)
    rec.config["train"].update(lr=LR, batch_size=BATCH, objective="softmax")
    rec.config["seeds"] = R
    w0 = rng.standard_normal((R, H, D)) * np.sqrt(2.0 / D)  # He
    labels = rng.integers(0, K, (R, N))  # entirely random labels, uniform over K
    clean = rng.integers(0, K, (R, N))
    rec.arrays = {
        "static/sigma2": np.tile(E1, (R, 1)).astype(np.float32),
        "static/noisy": labels != clean,
        "static/init_w_norm": np.linalg.norm(w0, axis=-1).astype(np.float32),
        "static/a": rng.standard_normal((R, H, K)).astype(np.float32) / np.sqrt(H),
    }
    rec.meta = {**base.meta, "trained_on": N, "held_out": 0}
    return rec


@pytest.fixture(scope="module")
def card_rec(small_runs) -> Record:
    runs, _ = small_runs
    return _card_record(runs.get("maennel2020.e1_random"))


def test_a_record_of_the_cards_setting_is_inside(card_rec):
    for kind in ("alignment", "function"):
        ok, text = mc.card_setting(card_rec, kind)
        assert ok and "every item matches" in text and "differ" not in text, text
    teacher = copy.deepcopy(card_rec)
    teacher.arrays["static/noisy"] = np.zeros_like(card_rec.arrays["static/noisy"])
    teacher.config["data"].update(noise=0.0, noise_model="iid")
    ok, text = mc.card_setting(teacher, "control")
    assert ok, text
    assert not mc.card_setting(teacher, "alignment")[0]  # teacher labels are not random ones


def _set(path: str, value):  # noqa: ANN001, ANN202
    def edit(rec: Record) -> None:
        section, key = path.split(".")
        rec.config[section][key] = value
    return edit


def _arr(key: str, fn):  # noqa: ANN001, ANN202
    def edit(rec: Record) -> None:
        rec.arrays[key] = fn(rec.arrays[key])
    return edit


@pytest.mark.parametrize("edit, reason, count", [(*c, 1)[:3] for c in [
    (_set("train.lr", 0.1), "lr 0.1 vs the card's 0.05"),
    (_set("train.batch_size", 50), "batch 50 vs the card's 64"),
    (_set("train.integrator", "flow"), "optimiser gradient flow vs the card's SGD"),
    (_set("train.objective", "logistic"), "logistic loss vs the card's 10 classes"),
    (_set("data.rotate", False), "not rotated vs the card's"),
    (_set("data.kind", "xor"), "data xor clusters"),
    (_set("net.bias", False), "first-layer bias off"),
    (_arr("static/sigma2", lambda s: np.tile(np.logspace(-3, np.log10(3), 30), (s.shape[0], 1))),
     "log-spaced over 3.48 decades (stored) vs the card's 0.1, ..., 3 evenly spaced"),
    (_arr("static/sigma2", lambda s: s[:, :10]), "d 10 (stored sigma_i^2; config 30)", 2),
    (_arr("static/noisy", lambda a: a[:, :1000]), "n 1000 per run (stored) vs the card's N in "
     "{2000, 10000}"),
    (_arr("static/noisy", lambda a: np.zeros_like(a)), "labels: changed fraction 0.0000"),
    (_arr("static/noisy", lambda a: a & (np.arange(a.shape[-1]) % 2 == 0)),
     "labels: changed fraction 0.4"),  # half the labels random: η = 1/2
    (_arr("static/init_w_norm", lambda w: w * np.sqrt(2.0)), "first-layer init variance 0.133"),
    (_arr("static/init_w_norm", lambda w: w[:, :128]), "width 128 (stored; config 256) vs the "
     "card's H in {256, 2048}", 2),  # and R*m = 1024 pooled neurons
    (_arr("static/init_w_norm", lambda w: w[:4]), "pooled neurons R*m = 4*256 = 1024"),
]])
def test_one_item_off_the_card_is_outside_and_named(card_rec, edit, reason, count):
    """One item changed from the card's (two where it moves another: fewer d moves the
    spectrum, a narrower layer the pooled count): outside, the item named with both values."""
    rec = copy.deepcopy(card_rec)
    edit(rec)
    ok, text = mc.card_setting(rec, "alignment")
    assert not ok and f"{count} of 13 items differ" in text, text
    differ = text.split("; match:")[0]
    assert reason in differ, text


def _small_card(runs) -> mc.Card:  # noqa: ANN001
    """The card's items set to the small plan's own setting (d = 8, n = 160, m = 32, ...)."""
    e1 = runs.get("maennel2020.e1_random")
    tr = runs.get("maennel2020.transfer")["teacher"]
    up = runs.get("maennel2020.spread_random")
    tc = e1.config["train"]
    # one lr and batch serve the card's B1 setting and its fine-tuning, as in the small plan
    assert (tr.config["train"]["lr"], tr.config["train"]["batch_size"]) == (tc["lr"],
                                                                            tc["batch_size"])
    return dataclasses.replace(
        mc.CARD, d=e1.config["data"]["d"], n=(e1.meta["trained_on"],),
        widths=(e1.config["net"]["m"],), lr=tc["lr"], batch=tc["batch_size"],
        pooled=e1.seeds * e1.config["net"]["m"], f_seeds=e1.seeds,
        up_n=up.meta["trained_on"], up_m=up.config["net"]["m"], up_epochs=1,
        down_n=up.meta["held_out"], t_seeds=e1.seeds)


@pytest.mark.parametrize("cid", ["maennel2020.b1.alignment", "maennel2020.b1.teacher_control",
                                 "maennel2020.b2.transfer_function_learned"])
def test_claims_are_outside_off_the_card_and_inside_on_it(small_runs, tmp_path, monkeypatch, cid):
    """The small plan (d = 8, n = 160, m = 32, batch 20) is not the card's setting: the claim
    keeps its verdict, marked outside, and names the items; with the card's items set to the
    small plan's own setting, the same Records are inside."""
    runs, _ = small_runs
    edits, _ = HOLDING[cid]
    v = judge(CLAIMS[cid], _doctor(runs, tmp_path / "off", edits))
    assert v.verdict == "holds" and v.in_regime is False, v.regime
    assert v.regime.startswith("premises met") and "Setting: not the card's" in v.regime
    assert "d 8 (stored sigma_i^2; config 8) vs the card's 30" in v.regime
    assert "width 32 (stored; config 32) vs the card's H in {256, 2048}" in v.regime
    monkeypatch.setattr(mc, "CARD", _small_card(runs))
    on = judge(CLAIMS[cid], _doctor(runs, tmp_path / "on", edits))
    assert on.verdict == "holds" and on.in_regime is True, on.regime
    assert "every item matches" in on.regime


def test_transfer_claims_compare_pre_training_and_fine_tuning(small_runs, tmp_path, monkeypatch):
    """B3 on the teacher task: inside with the card set to the small plan; a fine-tuning lr or
    batch off the card, or fine-tuning labels that are not the card's (random ones in place of
    the linear teacher's; the XOR clusters' clean labels), make it outside, named."""
    runs, _ = small_runs
    monkeypatch.setattr(mc, "CARD", _small_card(runs))
    grow = {"spread_random": _norm_at_end(1.5)}
    cid = "maennel2020.b3.transfer_teacher"
    on = judge(CLAIMS[cid], _doctor(runs, tmp_path / "on", grow))
    assert on.in_regime is True and "every item matches" in on.regime, on.regime
    lr = mc.CARD.lr

    def fine_lr(rec: Record) -> None:
        rec.config["train"]["lr"] = 2 * lr

    off = judge(CLAIMS[cid], _doctor(runs, tmp_path / "lr", {**grow, "transfer": fine_lr},
                                     "teacher"))
    assert off.in_regime is False and off.verdict == on.verdict
    assert f"fine-tuning teacher: lr {2 * lr:g} vs the card's {lr:g}" in off.regime, off.regime
    # the setting line reads the fine-tuning Record too (it printed the plan's lr)
    assert f"SGD batch {mc.CARD.batch}, lr={2 * lr:g}, fresh head" in off.setting, off.setting

    def randomised(rec: Record) -> None:
        rec.arrays["static/noisy"] = np.ones_like(rec.arrays["static/noisy"])

    off = judge(CLAIMS[cid], _doctor(runs, tmp_path / "lab", {**grow, "transfer": randomised},
                                     "teacher"))
    assert off.in_regime is False
    assert "fine-tuning teacher: labels: linear-teacher labels, changed fraction 1.0000" \
        in off.regime.split("; match:")[0], off.regime
    xor = judge(CLAIMS["maennel2020.b3.transfer_xor"], _doctor(runs, tmp_path / "xor", grow))
    assert xor.in_regime is False
    differ = xor.regime.split("; match:")[0]
    assert "pre-training xor_random: data xor clusters" in differ
    assert "fine-tuning xor: labels: clean xor labels" in differ


def test_setting_text_reads_the_initialisation_and_trained_layers(small_runs, tmp_path):
    """The setting line said "He init, trained a and b" whatever the Record's config: a Record
    with init variance 0.5 and no first-layer bias must say so."""
    runs, _ = small_runs

    def edit(rec: Record) -> None:
        rec.config["net"].update(init_var=0.5, bias=False)

    v = judge(CLAIMS["maennel2020.b1.alignment"], _doctor(runs, tmp_path, {"e1_random": edit}))
    assert "He init" not in v.setting and "init var 0.5" in v.setting, v.setting
    assert "trained W, a," in v.setting and "a, b" not in v.setting, v.setting
    assert "first-layer bias off" in v.regime.split("; match:")[0]


def test_learned_bias_names_each_upstream_in_setting_and_premises(small_runs):
    """b3.transfer_learned_bias judges three tasks pre-trained on two upstream runs
    (spread_random for teacher and random, xor_random for xor): its setting described only the
    first (Gaussian data) and its two premises did not say which run they were about."""
    runs, _ = small_runs
    o = CLAIMS["maennel2020.b3.transfer_learned_bias"].check(runs)
    assert "pre-trained spread_random" in o.setting and "pre-trained xor_random" in o.setting
    assert "xor d=" in o.setting, o.setting
    assert "spread_random: premise: the network learned" in o.regime
    assert "xor_random: premise: the network learned" in o.regime, o.regime


def test_sources_cite_only_what_the_card_read():
    """The card read the abstract and introduction, Definition 3 and Figs. 4, 5 (one panel) and
    20; "Sections 2–4 and the appendix text are unknown", and Fig. 1 [SECONDARY] shows "both
    positive and negative transfer": no claim may cite Section 2, and the claim that cites
    Fig. 1 for positive transfer must say what the card says of it."""
    from twolayer.claims import claims_for

    for c in claims_for(["maennel2020"]):
        assert "Section 2" not in c.source and "Section 3" not in c.source, (c.id, c.source)
        if "Fig. 1" in c.source:
            assert "[SECONDARY]" in c.source and "negative" in c.source, (c.id, c.source)


def test_figure_differences_describe_each_paper_figure():
    """Each maennel figure's differences describe its own paper figure (card section 3): Fig. 2
    is a 2-layer CNN on CIFAR10 patches; Fig. 4 (left) and Fig. 20 are fully connected nets with
    two hidden layers on centred Gaussian inputs, so "Gaussian inputs instead of CIFAR10" and
    "instead of a CNN" are false there; only the transfer figure draws XOR runs. All three said
    "Gaussian inputs N(0, Σ_x) and Frei's XOR clusters instead of CIFAR10 image patches; ...
    instead of a CNN/VGG/ResNet"."""
    from twolayer.plots import FIGURES

    text = {n: " ".join(FIGURES[n].differences) for n in (
        "maennel2020-misalignment", "maennel2020-transfer-function", "maennel2020-transfer")}
    f = text["maennel2020-transfer-function"]
    assert "CIFAR10 image patches" not in f and "CNN" not in f and "XOR" not in f, f
    assert "two hidden layers" in f
    m = text["maennel2020-misalignment"]
    assert "XOR" not in m and "CNN" in m and "CIFAR10" in m, m
    t = text["maennel2020-transfer"]
    assert "XOR" in t and "VGG16" in t, t


def _fig20_left(rec: Record) -> Record:
    """The card's record moved to Fig. 20 left's data: d = 10, Σ_x = diag(1, 1.1, …, 1.9),
    N = 10,000 (init norms redrawn at d = 10, He 2/d)."""
    out = copy.deepcopy(rec)
    R = out.arrays["static/sigma2"].shape[0]
    rng = np.random.default_rng(1)
    out.config["data"].update(d=10, n=10000, sigma2_min=1.0, sigma2_max=1.9)
    out.config["net"]["init_var"] = 0.2
    out.arrays["static/sigma2"] = np.tile(np.arange(10, 20) / 10.0, (R, 1)).astype(np.float32)
    out.arrays["static/noisy"] = rng.integers(0, 10, (R, 10000)) != rng.integers(0, 10, (R, 10000))
    out.arrays["static/init_w_norm"] = np.linalg.norm(
        rng.standard_normal((R, H, 10)) * np.sqrt(0.2), axis=-1).astype(np.float32)
    return out


def test_b2_accepts_fig20_lefts_setting_and_b1_does_not(card_rec):
    """B2 names "the three Fig. 20 settings": Fig. 20 left (d = 10, σ_i² = 1, 1.1, …, 1.9,
    N = 10,000) is inside for B2, but not B1's setting (section 4: d = 30)."""
    left = _fig20_left(card_rec)
    ok, text = mc.card_setting(left, "function")
    assert ok, text
    ok, text = mc.card_setting(left, "alignment")
    assert not ok and "d 10 (stored sigma_i^2; config 10) vs the card's 30" in text, text
    bad = copy.deepcopy(left)
    bad.arrays["static/noisy"] = bad.arrays["static/noisy"][:, :2000]  # N = 2000 at d = 10
    ok, text = mc.card_setting(bad, "function")
    assert not ok and "n 2000 per run (stored) vs the card's N = 10000 (Fig. 20 left)" in text


def test_fine_tuning_labels_count_each_seed_once(small_runs):
    """A fine-tuning Record holds V·R runs (variant-major), each seed's labels repeated once per
    variant: the labels' changed fraction is a binomial over R·n' labels, not V·R·n' (which
    made its tolerance sqrt(V) too tight)."""
    runs, _ = small_runs
    rec = runs.get("maennel2020.transfer")["random"]
    R, V = int(rec.meta["runs_per_variant"]), len(rec.meta["variants"])
    noisy = rec.arrays["static/noisy"]
    assert noisy.shape[0] == V * R and (noisy.reshape(V, R, -1) == noisy[:R]).all()
    ok, text = mc.transfer_setting({"spread_random": runs.get("maennel2020.spread_random")},
                                   {"random": rec})
    assert f"changed fraction {noisy[:R].mean():.4f} of {R * noisy.shape[-1]} (measured)" in text


def _two_runs(rec: Record) -> None:
    """The Record cut to its first two runs (every per-run array, the config's seeds)."""
    R = rec.seeds
    for k, a in list(rec.arrays.items()):
        if a.ndim and a.shape[0] == R:
            rec.arrays[k] = a[:2].copy()
    rec.config["seeds"] = 2
    rec.meta["seeds"] = list(rec.meta.get("seeds", range(R)))[:2]


@pytest.mark.parametrize("cid, which", [("maennel2020.b2.transfer_function", "w"),
                                        ("maennel2020.b2.transfer_function_learned", "dw")])
def test_transfer_function_with_two_runs_is_not_decided(small_runs, tmp_path, cid, which):
    """With R = 2 runs every leave-one-out subset is one run, whose eta^2 is 1 by definition
    (no seed-to-seed spread to explain): the jackknife's pseudo-values were all equal and B2
    reported a zero-width "95% CI" (e.g. [0.0093, 0.0093]) and "fails" from it, which only
    the registry's zero-width guard turned into inconclusive. No interval exists here: the
    claim must report none, and stay inconclusive."""
    from test_maennel_records import _seed_scaled

    runs, _ = small_runs

    def edit(rec: Record) -> None:
        _two_runs(rec)
        _seed_scaled(which)(rec)  # f varies by seed, not by direction: eta^2 far below 0.5
        err = rec.arrays["errors/train_error"].copy()
        err[:, -1] = 0.0  # both runs fitted their labels: the premise holds
        rec.arrays["errors/train_error"] = err

    v = judge(CLAIMS[cid], _doctor(runs, tmp_path, {"e1_random": edit}))
    assert v.measured is not None and v.measured < 0.5, v.measured  # the point estimate is low
    assert v.verdict == "inconclusive", (v.verdict, v.ci)
    assert v.ci is None or not (np.isfinite(v.ci).all() and v.ci[0] == v.ci[1]), v.ci


def _card_e1(card: Record) -> Callable:
    """An edit that turns the small plan's e1_random Record into one of the card's B1 setting:
    ``card``'s config and static arrays (d = 30, N = 2000, m = 256, R = 8, ...), two probe
    times, W(0) He-initialised, ΔW drawn from an exactly aligned, anisotropic covariance (so
    B1 holds), and every run's labels fitted (final training error 0)."""
    def edit(rec: Record) -> None:
        R, m = card.arrays["static/init_w_norm"].shape
        rng = np.random.default_rng(5)
        lam = np.logspace(-2, 0, D)
        w0 = rng.standard_normal((R, m, D)) * np.sqrt(2.0 / D)
        dw = rng.standard_normal((R, m, D)) * np.sqrt(lam)
        arrays = dict(card.arrays)
        for name, (a, b) in {"w": (w0, w0 + dw), "dw": (np.zeros_like(dw), dw)}.items():
            arrays[f"maennel/{name}_sum"] = np.stack([a.sum(1), b.sum(1)], 1)
            arrays[f"maennel/{name}_outer"] = np.stack(
                [np.einsum("rmi,rmj->rij", a, a), np.einsum("rmi,rmj->rij", b, b)], 1)
        arrays["errors/train_error"] = np.stack([np.full(R, 0.9), np.zeros(R)], 1)
        rec.config, rec.meta = copy.deepcopy(card.config), dict(card.meta)
        rec.times, rec.arrays = np.array([0, 100]), arrays
    return edit


def test_b1_on_a_record_of_the_cards_setting_is_inside(small_runs, tmp_path, card_rec):
    """b1.alignment judged on a whole Record of the card's setting (card defaults, nothing
    patched): holds and inside; the same Record with lr 0.1 keeps its verdict, outside, with
    the reason named."""
    runs, _ = small_runs
    v = judge(CLAIMS["maennel2020.b1.alignment"],
              _doctor(runs, tmp_path / "in", {"e1_random": _card_e1(card_rec)}))
    assert v.verdict == "holds" and v.in_regime is True, (v.verdict, v.regime)
    assert "every item matches" in v.regime
    off = copy.deepcopy(card_rec)
    off.config["train"]["lr"] = 0.1
    w = judge(CLAIMS["maennel2020.b1.alignment"],
              _doctor(runs, tmp_path / "off", {"e1_random": _card_e1(off)}))
    assert w.verdict == "holds" and w.in_regime is False
    assert "1 of 13 items differ; differ: lr 0.1 vs the card's 0.05" in w.regime, w.regime


def test_misalignment_caption_reads_the_records_setting(small_runs, tmp_path, monkeypatch):
    """The misalignment figure's caption said "10 random classes ... d=30, He init, trained head
    and bias" whatever Records it drew: drawn from the small plan's (d = 8), it must say d=8."""
    from twolayer.plots import FIGURES
    from twolayer.plots import maennel2020 as P

    runs, _ = small_runs
    seen: list[str] = []
    real = P.captioned_figure

    def spy(w, h, caption):  # noqa: ANN001, ANN202
        seen.append(caption)
        return real(w, h, caption)

    monkeypatch.setattr(P, "captioned_figure", spy)
    FIGURES["maennel2020-misalignment"].draw(tmp_path, runs)
    d = runs.get("maennel2020.e1_random").config["data"]["d"]
    assert d != 30 and f"d={d}, He init, trained head and bias" in seen[0], seen[0]


def test_transfer_function_with_one_run_warns_nothing(small_runs, tmp_path):
    """``--seeds 1``: B2's detail took a standard deviation over one seed and numpy warned
    "Degrees of freedom <= 0" on the user's terminal (an error verdict under -W error)."""
    import warnings

    runs, _ = small_runs

    def one(rec: Record) -> None:
        _two_runs(rec)
        for k, a in list(rec.arrays.items()):
            if a.ndim and a.shape[0] == 2:
                rec.arrays[k] = a[:1].copy()
        rec.config["seeds"] = 1

    doctored = _doctor(runs, tmp_path, {"e1_random": one})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        v = judge(CLAIMS["maennel2020.b2.transfer_function"], doctored)
    assert v.verdict == "inconclusive", (v.verdict, v.detail[:300])
