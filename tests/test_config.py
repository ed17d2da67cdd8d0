"""Config: validation with messages naming flag, value and range; resolved defaults; canonical
JSON; run ids that change with every field and nothing else."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from twolayer.config import Config, DataConfig, NetConfig, ProbeConfig, TrainConfig, data_kinds
from twolayer.errors import ConfigError

SECTIONS = {"data": DataConfig, "net": NetConfig, "train": TrainConfig, "probe": ProbeConfig}


def build(section: str | None, **kw) -> Config:
    if section is None:
        return Config(**kw)
    return Config(**{section: SECTIONS[section](**kw)})


FLAG = {"kind": "data"}  # DataConfig.kind is set by --data

# (section, field, value, words the message must contain besides the flag)
BAD = [
    ("data", "d", 1, ">= 2"),
    ("data", "d", 0, ">= 2"),
    ("data", "d", 2.5, ">= 2"),
    ("data", "d", math.nan, ">= 2"),
    ("data", "n", 0, ">= 1"),
    ("data", "n_test", 0, ">= 1"),
    ("data", "noise", 0.5, "[0, 0.5)"),
    ("data", "noise", -0.1, "[0, 0.5)"),
    ("data", "noise", math.nan, "[0, 0.5)"),
    ("data", "noise", math.inf, "[0, 0.5)"),
    ("data", "noise", "0.1", "[0, 0.5)"),
    ("data", "noise_model", "gauss", "iid, per-cluster, one-cluster, confident"),
    ("data", "sigma2", 0.0, "> 0"),
    ("data", "sigma2", -1.0, "> 0"),
    ("data", "sigma2", math.nan, "> 0"),
    ("data", "sigma2", -math.inf, "> 0"),
    ("data", "cluster_dist", "cauchy", "gaussian, uniform, laplace"),
    ("data", "kind", "spiral", "xor, clusters"),
    ("data", "num_classes", 3, "2 classes"),  # xor has 2 classes
    ("net", "m", 1, "no positive and no negative neuron"),  # an odd m >= 3 runs (a_m = 0)
    ("net", "m", 0, ">= 2"),
    ("net", "init_var", 0.0, "> 0"),
    ("net", "init_var", -1e-3, "> 0"),
    ("net", "init_var", math.inf, "> 0"),
    ("net", "second_layer", "uniform", "frei, gaussian"),
    ("net", "bias", "no", "true or false"),  # was accepted, and "no" is truthy: a bias
    ("net", "train_second_layer", 1, "true or false"),  # 1 and True: two run ids, one run
    ("train", "lr", 0.0, "> 0"),
    ("train", "lr", -0.1, "> 0"),
    ("train", "lr", math.nan, "> 0"),
    ("train", "steps", -1, "[0, 1000000000000]"),
    ("train", "steps", math.inf, "[0, 1000000000000]"),
    ("train", "steps", 10**20, "[0, 1000000000000]"),  # >= 2^64 crashed the probe schedule
    ("train", "batch_size", 0, ">= 1"),
    ("train", "objective", "hinge", "logistic, softmax"),
    ("probe", "num_times", 1, ">= 2"),
    (None, "seeds", 0, ">= 1"),
    (None, "seed", -1, "[0, "),
    (None, "dtype", "float16", "float32, float64"),
]


@pytest.mark.parametrize("section,field,value,words", BAD, ids=[f"{b[1]}={b[2]}" for b in BAD])
def test_bad_values_raise_config_error_naming_flag_value_range(section, field, value, words):
    with pytest.raises(ConfigError) as e:
        build(section, **{field: value})
    msg = str(e.value)
    flag = FLAG.get(field, field)  # the CLI flag of the field
    assert e.value.field == flag
    assert msg.startswith("--" + flag.replace("_", "-") + " ")
    assert repr(value) in msg
    assert words in msg, msg
    assert "\n" not in msg


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="batch-size"):
        Config(data=DataConfig(n=10), train=TrainConfig(batch_size=11))
    with pytest.raises(ConfigError, match="objective"):  # K > 2 needs softmax
        Config(data=DataConfig(kind="clusters", num_classes=3))
    with pytest.raises(ConfigError, match="noise-model"):
        DataConfig(kind="clusters", num_classes=3, noise_model="confident")
    with pytest.raises(ConfigError, match="second-layer"):  # fixed head has one output
        Config(train=TrainConfig(objective="softmax"))
    # odd m is fine with a gaussian head
    assert NetConfig(m=7, second_layer="gaussian").m == 7


def test_a_refused_noise_model_names_every_model_the_kind_accepts():
    """e.g. --data clusters --noise-model one-cluster listed iid and per-cluster, not random"""
    from twolayer.config import NOISE_MODELS

    for name, kind in data_kinds().items():
        accepted = kind.config.noise_models
        for model in NOISE_MODELS:
            if model in accepted or model == "confident":  # confident: "needs --data xor"
                continue
            with pytest.raises(ConfigError) as e:
                DataConfig(kind=name, noise_model=model)
            assert e.value.field == "noise_model"
            assert all(m in e.value.valid for m in accepted), (name, model, e.value.valid)


def test_a_refused_rotate_names_every_kind_that_rotates():
    """--rotate --data lms said only xor can be rotated; gaussian can too"""
    rotating = [k for k, kind in data_kinds().items()
                if "rotate" in {f.name for f in dataclasses.fields(kind.config)}]
    assert {"xor", "gaussian"} <= set(rotating)
    for k in rotating:
        assert DataConfig(kind=k, rotate=True).rotate is True
    for k in ("lms", "linxor"):
        with pytest.raises(ConfigError) as e:
            DataConfig(kind=k, rotate=True)
        assert e.value.field == "rotate"
        assert all(f" {r}" in e.value.valid for r in rotating), e.value.valid


def test_lr_must_be_representable_in_the_dtype():
    msg = (r"--lr 1e\+300 is invalid: overflows float32 \(above its largest number\); valid "
           r"range is \[1.175e-38, 3.403e\+38\]")
    with pytest.raises(ConfigError, match=msg):
        Config(train=TrainConfig(lr=1e300))
    assert Config(train=TrainConfig(lr=1e300), dtype="float64").train.lr == 1e300


def test_outputs_follow_the_objective():
    c = Config(
        data=DataConfig(kind="clusters", num_classes=4),
        net=NetConfig(second_layer="gaussian"),
        train=TrainConfig(objective="softmax"),
    )
    assert c.net.outputs == 4
    assert Config().net.outputs == 1


def test_resolved_defaults_follow_frei_fig2_scaling():
    c = Config(data=DataConfig(d=80), net=NetConfig(m=300)).resolved()
    assert c.data.sigma2 == pytest.approx(80**-1.2, rel=1e-15)
    assert c.net.init_var == pytest.approx(0.01 / (300 * 80), rel=1e-15)
    explicit = Config(data=DataConfig(d=80, sigma2=0.3), net=NetConfig(m=300, init_var=1e-3))
    assert explicit.resolved().data.sigma2 == 0.3 and explicit.resolved().net.init_var == 1e-3
    assert Config().resolved().resolved() == Config().resolved()


def test_integral_floats_become_ints():
    c = Config(data=DataConfig(d=50.0, n=100.0), seeds=2.0)
    assert isinstance(c.data.d, int) and isinstance(c.data.n, int) and isinstance(c.seeds, int)
    assert c.run_id == Config(data=DataConfig(d=50, n=100), seeds=2).run_id


def test_canonical_json_is_sorted_compact_and_round_trips():
    c = Config(data=DataConfig(noise=0.2, rotate=True), train=TrainConfig(batch_size=50), seeds=3)
    text = c.canonical_json()
    assert " " not in text and "\n" not in text
    d = json.loads(text)

    def check_sorted(obj):
        if isinstance(obj, dict):
            assert list(obj) == sorted(obj)
            for v in obj.values():
                check_sorted(v)

    check_sorted(d)
    # every field present, None defaults resolved
    assert d["data"]["sigma2"] == pytest.approx(50**-1.2)
    assert d["net"]["init_var"] == pytest.approx(0.01 / (400 * 50))
    back = Config.from_dict(d)
    assert back.canonical_json() == text and back.run_id == c.run_id
    with pytest.raises(ConfigError):
        Config.from_dict({**d, "colour": "blue"})
    with pytest.raises(ConfigError):
        Config.from_dict({**d, "data": {**d["data"], "dd": 3}})


def test_run_id_is_stable_for_equal_configs():
    a = Config(data=DataConfig(d=30, noise=0.15), net=NetConfig(m=100), seeds=4)
    b = Config(seeds=4, net=NetConfig(m=100), data=DataConfig(noise=0.15, d=30))
    assert a is not b and a.run_id == b.run_id
    assert len(a.run_id) == 12 and all(ch in "0123456789abcdef" for ch in a.run_id)
    # None defaults and their resolved values are the same experiment
    assert Config().run_id == Config(
        data=DataConfig(sigma2=50**-1.2), net=NetConfig(init_var=0.01 / (400 * 50))
    ).run_id
    assert a.run_id == Config.from_dict(json.loads(a.canonical_json())).run_id


def _leaf_changes():
    """(base config, changed config, field name) for every user-settable field."""
    base = Config(net=NetConfig(second_layer="gaussian"))
    changes = {
        "data": dict(
            kind="clusters", d=51, n=999, n_test=1999, noise=0.2, noise_model="per-cluster",
            sigma2=0.05, cluster_dist="laplace", rotate=True,
        ),
        "net": dict(m=402, init_var=1e-7, second_layer="frei", train_second_layer=True, bias=True),
        "train": dict(lr=0.11, steps=999, batch_size=100, objective="softmax"),
        "probe": dict(num_times=41, dense_until=11, probes=("errors",)),
    }
    out = []
    for sec, kv in changes.items():
        for f, v in kv.items():
            out.append((base, base.replace(**{f"{sec}__{f}": v}), f"{sec}.{f}"))
    for f, v in dict(seeds=2, seed=1, dtype="float64").items():
        out.append((base, base.replace(**{f: v}), f))
    k_base = Config(
        data=DataConfig(kind="clusters", num_classes=3),
        net=NetConfig(second_layer="gaussian"),
        train=TrainConfig(objective="softmax"),
    )
    out.append((k_base, k_base.replace(data__num_classes=4), "data.num_classes"))
    # the fields of the other kinds, each changed on its kind's default config
    kind_changes = {
        "lms": dict(slabs=5, margin=0.15),
        "gaussian": dict(spectrum="log", sigma2_min=0.2, sigma2_max=2.0, rotate=True),
        "badger": dict(n_ascended=10, mean_var=0.5, fraction=0.5),
    }
    for kind, kv in kind_changes.items():
        soft = kind == "badger"
        kb = Config(data=DataConfig(kind=kind), net=NetConfig(second_layer="gaussian"),
                    train=TrainConfig(objective="softmax" if soft else "logistic"))
        for f, v in kv.items():
            out.append((kb, kb.replace(**{f"data__{f}": v}), f"data.{kind}.{f}"))
    # integrator settings enter the run id only where they act (GD ids are unchanged by them)
    out.append((base, base.replace(train__integrator="flow"), "train.integrator"))
    flow = base.replace(train__integrator="flow")
    out.append((flow, flow.replace(train__rtol=1e-4), "train.rtol"))
    auto = base.replace(train__integrator="auto")
    out.append((auto, auto.replace(train__switch=500), "train.switch"))
    return out


def test_every_field_is_covered_by_the_run_id_test():
    covered = {name for _, _, name in _leaf_changes()}
    covered |= {"data." + n.split(".")[-1] for n in covered if n.startswith("data.")}
    fields = {f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    fields |= {f"data.{f}" for kind in data_kinds().values() for f in kind.fields}
    fields |= {"seeds", "seed", "dtype"}
    fields.discard("net.outputs")  # derived from the objective and K, not settable
    assert fields <= covered, fields - covered


@pytest.mark.parametrize(
    "base,changed,name", _leaf_changes(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_run_id_changes_with_every_field(base, changed, name):
    assert changed.canonical_json() != base.canonical_json()
    assert changed.run_id != base.run_id, name


def test_replace_nested_fields():
    c = Config().replace(data__noise=0.25, net__m=10, seeds=3)
    assert (c.data.noise, c.net.m, c.seeds) == (0.25, 10, 3)
    assert c.data.d == Config().data.d
    with pytest.raises(ConfigError):
        Config().replace(data__noise=0.7)


def test_run_seeds():
    assert Config(seeds=3, seed=10).run_seeds == [10, 11, 12]


def test_gd_run_ids_do_not_depend_on_flow_settings():
    base = Config()
    assert base.run_id == base.replace(train__rtol=1e-4, train__switch=7).run_id
    assert base.run_id != base.replace(train__integrator="auto").run_id


@pytest.mark.parametrize("section,value", [
    ("data", None), ("data", {"d": 5}), ("net", "frei"), ("train", None), ("probe", "errors"),
    ("probe", ("errors",)),
])
def test_a_section_that_is_not_its_config_class_is_a_config_error_naming_it(section, value):
    """Config(data={"d": 5}) raised AttributeError deep inside; Config(probe="errors") was
    accepted."""
    with pytest.raises(ConfigError) as e:
        Config(**{section: value})
    assert e.value.field == section and SECTIONS[section].__name__ in str(e.value)


@pytest.mark.parametrize("probes", ["errors", None, (1,), ("errors", None)])
def test_probes_must_be_a_tuple_of_names(probes):
    """probes="errors" was split into the probes 'e', 'r', ...; None raised a TypeError."""
    with pytest.raises(ConfigError) as e:
        ProbeConfig(probes=probes)
    assert e.value.field == "probes" and "tuple of probe names" in str(e.value)
    assert ProbeConfig(probes=["errors"]).probes == ("errors",)  # a sweep spec's list


def test_a_data_kind_that_is_not_a_string_is_a_config_error():
    """DataConfig(kind=["xor"]) raised TypeError: unhashable type: 'list'."""
    with pytest.raises(ConfigError, match="valid choices are xor"):
        DataConfig(kind=["xor"])


def test_numpy_scalars_are_numbers():
    """m=np.int64(4) (a value read from an array) was refused as "must be an integer", and
    lr=np.float32(0.1) as "must be a finite number > 0"; they are the plain numbers."""
    import numpy as np

    c = Config(data=DataConfig(d=np.int64(20), noise=np.float32(0.25)),
               net=NetConfig(m=np.int32(8), init_var=np.float64(1e-3)),
               train=TrainConfig(lr=np.float32(0.5), steps=np.uint16(10)), seeds=np.int64(3))
    plain = Config(data=DataConfig(d=20, noise=0.25), net=NetConfig(m=8, init_var=1e-3),
                   train=TrainConfig(lr=0.5, steps=10), seeds=3)
    assert c.run_id == plain.run_id
    assert type(c.net.m) is int and type(c.train.lr) is float and type(c.seeds) is int
    with pytest.raises(ConfigError, match="valid range is >= 2"):
        NetConfig(m=np.int64(0))
    with pytest.raises(ConfigError, match="finite number > 0"):
        TrainConfig(lr=np.float32("nan"))
    with pytest.raises(ConfigError, match="must be an integer"):
        Config(seeds=np.True_)


@pytest.mark.parametrize("field,value", [("progress", "no"), ("progress", 0), ("tf32", "no"),
                                         ("tf32", None), ("device", None), ("device", 0)])
def test_runtime_switches_must_be_booleans_and_the_device_a_name(field, value):
    """Runtime(tf32="no") was accepted and, being truthy, allowed TF32 GEMMs; progress="no"
    drew a progress bar; device=None failed at the first call with AttributeError."""
    from twolayer.engine import Runtime

    with pytest.raises(ConfigError) as e:
        Runtime(**{field: value})
    assert e.value.field == field
    assert ("is not given" if value is None else repr(value)) in str(e.value)
    assert Runtime(progress=None, tf32=True, device="cpu").tf32 is True


@pytest.mark.parametrize("make, flag", [
    (lambda: DataConfig(d=10**300, n=10), "--d"),
    (lambda: DataConfig(n=10**51), "--n"),
    (lambda: NetConfig(m=10**300), "--m"),
    (lambda: Config(seeds=10**60), "--seeds"),
])
def test_sizes_beyond_1e50_are_a_config_error_in_the_python_api(make, flag):
    """The CLI refuses sizes above 1e50 at parsing; a Config built in Python went on to the
    memory check, whose float products overflowed (d = m = 10**300: OverflowError), or was
    refused for a default it derived (--sigma2 0.0, never given)."""
    with pytest.raises(ConfigError) as e:
        make()
    assert str(e.value).startswith(flag + " ") and "1e50" in str(e.value)
