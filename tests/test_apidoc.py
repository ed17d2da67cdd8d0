"""docs/api.md is generated from twolayer.api (`python -m twolayer.apidoc`), and every public name
is documented and typed: a docstring of its own, type hints on its parameters and return (for a
class: its constructor's parameters, and each public method and property), nothing private."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from twolayer import api
from twolayer.apidoc import (
    class_signature,
    docstring,
    members,
    module_functions,
    public_parameters,
    render,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_api_reference_matches_the_code() -> None:
    assert DOC.read_text() == render(), (
        "docs/api.md is stale: run `python -m twolayer.apidoc > docs/api.md`"
    )


def test_the_reference_lists_every_exported_name_with_its_signature() -> None:
    text = render()
    for name in api.__all__:
        assert f"### `{name}`\n" in text, name
    assert "configs: Config | Sequence[Config] | None = None" in text  # train / measure
    assert "- `config_values(path: str) -> torch.Tensor`:" in text  # ProbeState's member
    assert "#### `stats.holm_outcomes`" in text and "#### `stats.median_ci`" in text
    assert " at 0x" not in text  # no object addresses: the page is the same on every run
    assert "_cache" not in text  # private fields are not part of a signature


def missing_hints(fn: Any, skip_return: bool = False) -> list[str]:
    """The parameters (and the return) of ``fn`` without a type hint."""
    sig = inspect.signature(fn)
    out = [p.name for p in public_parameters(sig) if p.annotation is p.empty]
    if not skip_return and sig.return_annotation is sig.empty:
        out.append("return")
    return out


def problems(name: str, obj: Any) -> list[str]:
    """What is missing in one exported name: docstrings and type hints, its members' too."""
    out: list[str] = []
    if isinstance(obj, ModuleType):
        if docstring(obj) is None:
            out.append(f"{name}: no docstring")
        for fname, fn in module_functions(obj):
            out += problems(f"{name}.{fname}", fn)
        return out
    if not callable(obj):  # a constant: documented in twolayer.api._CONSTANTS
        return [] if api._CONSTANTS.get(name) else [f"{name}: not described in _CONSTANTS"]
    if docstring(obj) is None:
        out.append(f"{name}: no docstring")
    if inspect.isclass(obj):
        sig = class_signature(obj)
        if sig is not None:
            out += [f"{name}({p}): no type hint" for p in
                    (p.name for p in sig.parameters.values() if p.annotation is p.empty)]
        for mname, member in members(obj):
            if docstring(member) is None:
                out.append(f"{name}.{mname}: no docstring")
            fn = member.fget if isinstance(member, property) else member
            out += [f"{name}.{mname}: no type hint on {h}" for h in missing_hints(fn)]
        return out
    return out + [f"{name}: no type hint on {h}" for h in missing_hints(obj)]


def test_every_public_name_has_a_docstring_and_type_hints() -> None:
    found = [p for name in api.__all__ for p in problems(name, getattr(api, name))]
    assert found == []


def test_the_checks_can_fail() -> None:
    def bare(x, y: int = 1):
        return x

    class Undocumented:
        def method(self) -> int:
            return 1

    assert problems("bare", bare) == ["bare: no docstring", "bare: no type hint on x",
                                      "bare: no type hint on return"]
    assert problems("Undocumented", Undocumented) == [
        "Undocumented: no docstring", "Undocumented.method: no docstring"]
    assert problems("SOMETHING", "a value") == ["SOMETHING: not described in _CONSTANTS"]


def test_nothing_private_is_exported() -> None:
    for name in api.__all__:
        assert not name.startswith("_"), name
        obj = getattr(api, name)
        module = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
        if module is not None and not isinstance(obj, str):
            assert module.startswith("twolayer."), (name, module)
    assert sorted(set(api.__all__)) == sorted(api.__all__)  # no name twice
    # the sections of the page hold every exported name exactly once
    listed = [n for _, names in api._SECTIONS for n in names]
    assert sorted(listed) == sorted(api.__all__)


def test_a_name_outside_the_sections_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(api, "__all__", [*api.__all__, "Extra"])
    monkeypatch.setattr(api, "Extra", int, raising=False)
    with pytest.raises(ValueError, match="Extra"):
        render()


def test_what_the_issue_asks_a_plugin_to_reach_is_exported() -> None:
    """Issue 18's list: data kinds (streaming too), a loss (value and derivative), a probe with
    the config, an experiment, a claim (outcome's keywords), a figure, the verdict statistics,
    simulate, train/measure, Record."""
    need = {"register_data_kind", "DataKind", "DataConfig", "Flag", "iid_sampler",
            "streaming_kind", "register_loss", "Loss", "probe", "ProbeState", "experiment",
            "claim", "outcome", "figure", "stats", "simulate", "train", "measure", "Record",
            "Runs", "Config", "Runtime"}
    assert need <= set(api.__all__)
    assert {"value", "value_and_dloss"} <= set(inspect.signature(api.Loss).parameters)
    assert {"per_seed", "threshold", "direction", "in_regime", "regime"} <= set(
        inspect.signature(api.outcome).parameters)
    for fn in ("median_ci", "bootstrap_ci", "family_level", "holm_outcomes", "outliers", "used",
               "mean_ci", "compare", "jackknife", "holm", "seeds_needed"):
        assert callable(getattr(api.stats, fn)), fn
    assert hasattr(api.ProbeState, "config_values") and "configs" in inspect.signature(
        api.ProbeState).parameters
