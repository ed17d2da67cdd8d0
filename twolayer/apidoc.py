"""Render ``docs/api.md`` from :mod:`twolayer.api`, so the API reference cannot drift.

``python -m twolayer.apidoc > docs/api.md`` regenerates it; a test compares the file with
:func:`render`. Every name of ``twolayer.api.__all__`` is listed in its section (``_SECTIONS``
of :mod:`twolayer.api`) with its signature (``inspect.signature``, type hints as written) and
its docstring; a class with its public methods and properties, the :mod:`~twolayer.stats`
module with its public functions. The type aliases the signatures name (``Draw``,
``Interval``, ...) are spelled out at the end. Sphinx roles in docstrings (``:func:`x```,
double backquotes) become Markdown code spans.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from . import api

HEADER = """# twolayer.api reference

Generated from the docstrings by `python -m twolayer.apidoc > docs/api.md` (a test checks that
this page matches the code). `twolayer.api` is the whole public surface for plugins: import from
it, not from twolayer's modules; these names and signatures are kept stable. How to use them:
[extending.md](extending.md) (recipes executed by the test suite).
"""

WIDTH = 100


def markdown(doc: str) -> str:
    """A docstring as Markdown: Sphinx roles and double backquotes become code spans."""
    doc = re.sub(r":(?:func|class|meth|mod|data|attr|exc):`~?([^`]+)`", r"`\1`", doc)
    return re.sub(r"``([^`]+)``", r"`\1`", doc)


def docstring(obj: Any) -> str | None:
    """``obj``'s own docstring, or None (a dataclass's generated ``Name(fields...)`` text and
    a docstring inherited by a class do not count)."""
    if isinstance(obj, str) or (not callable(obj) and not isinstance(obj, (property,
                                                                           ModuleType))):
        return None
    doc = inspect.getdoc(obj)
    if doc and inspect.isclass(obj):
        own = obj.__dict__.get("__doc__")
        if not own or (dataclasses.is_dataclass(obj) and own.startswith(obj.__name__ + "(")):
            return None
    return doc or None


def public_parameters(sig: inspect.Signature) -> list[inspect.Parameter]:
    """The parameters a caller passes: without ``self``/``cls`` and private ``_fields``."""
    return [p for p in sig.parameters.values()
            if p.name not in ("self", "cls") and not p.name.startswith("_")]


def class_signature(cls: type) -> inspect.Signature | None:
    """The constructor's public parameters; None for a protocol or a class without its own
    constructor."""
    init = next((k.__dict__["__init__"] for k in cls.__mro__ if "__init__" in k.__dict__), None)
    if init is None or init is object.__init__ or getattr(cls, "_is_protocol", False):
        return None
    sig = inspect.signature(init)
    return sig.replace(parameters=public_parameters(sig),
                       return_annotation=inspect.Signature.empty)


def members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties a class defines itself, in definition order (for a
    dataclass, not its fields; ``__call__`` counts as public: a protocol's call)."""
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for name, value in vars(cls).items():
        if (name.startswith("_") and name != "__call__") or name in fields:
            continue
        if isinstance(value, (staticmethod, classmethod)):
            yield name, value.__func__
        elif isinstance(value, property) or inspect.isfunction(value):
            yield name, value


def module_functions(module: ModuleType) -> list[tuple[str, Callable[..., Any]]]:
    """The public functions defined in ``module``, in definition order."""
    return [(n, f) for n, f in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(f)
            and f.__module__ == module.__name__]


def _clean(text: str) -> str:
    """A type's repr as written in code: no module paths of typing or twolayer, ``np.``."""
    text = re.sub(r"ForwardRef\('([^']*)'\)", r"\1", text)
    text = re.sub(r"'([^']*)'", r"\1", text)
    text = re.sub(r"\bnumpy\.", "np.", text).replace("torch._C.", "torch.")
    return re.sub(r"\b(?:typing|collections\.abc|pathlib|twolayer(?:\.[a-z_]+)+)\.",
                  "", text)


class Renderer:
    """Renders the page and collects the type aliases its signatures name."""

    def __init__(self) -> None:
        # (module, alias) -> (definition, exported names whose signatures use it)
        self.aliases: dict[tuple[str, str], tuple[str, list[str]]] = {}

    def annotation(self, a: Any, ns: dict[str, Any], owner: str) -> str:
        text = a if isinstance(a, str) else _clean(inspect.formatannotation(a))
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
            value = ns.get(word)
            if word in api.__all__ or value is None or typing.get_origin(value) is None:
                continue
            key = (ns.get("__name__", "?"), word)
            definition, users = self.aliases.setdefault(key, (_clean(repr(value)), []))
            if owner not in users:
                users.append(owner)
        return text

    def param(self, p: inspect.Parameter, ns: dict[str, Any], owner: str) -> str:
        star = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        text = star + p.name
        if p.annotation is not p.empty:
            text += ": " + self.annotation(p.annotation, ns, owner)
        if p.default is not p.empty:
            text += (" = " if p.annotation is not p.empty else "=") + repr(p.default)
        return text

    def signature(self, name: str, sig: inspect.Signature, ns: dict[str, Any], owner: str,
                  prefix: str = "", one_line: bool = False) -> str:
        """``prefix name(params) -> return``, one parameter per line when longer than the
        page width (unless ``one_line``)."""
        parts: list[str] = []
        star_done = False
        params = list(sig.parameters.values())
        for i, p in enumerate(params):
            if p.kind is p.KEYWORD_ONLY and not star_done:
                parts.append("*")
            if p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL):
                star_done = True
            parts.append(self.param(p, ns, owner))
            nxt = params[i + 1] if i + 1 < len(params) else None
            if p.kind is p.POSITIONAL_ONLY and (nxt is None or nxt.kind is not p.POSITIONAL_ONLY):
                parts.append("/")
        ret = ""
        if sig.return_annotation is not sig.empty:
            ret = " -> " + self.annotation(sig.return_annotation, ns, owner)
        one = f"{prefix}{name}({', '.join(parts)}){ret}"
        if one_line or len(one) <= WIDTH or not parts:
            return one
        return f"{prefix}{name}(\n" + "".join(f"    {p},\n" for p in parts) + f"){ret}"

    def member(self, name: str, value: Any, ns: dict[str, Any], owner: str) -> list[str]:
        if isinstance(value, property):
            head = f"`{name}` (property)"
            ret = inspect.signature(value.fget).return_annotation if value.fget else None
            if ret not in (None, inspect.Signature.empty):
                head = f"`{name}: {self.annotation(ret, ns, owner)}` (property)"
        else:
            sig = inspect.signature(value)
            sig = sig.replace(parameters=public_parameters(sig))
            head = "`" + self.signature(name, sig, ns, owner, one_line=True) + "`"
        doc = docstring(value)
        body = "\n  ".join(markdown(doc).splitlines()) if doc else "(no docstring)"
        return [f"- {head}: {body}"]

    def entry(self, name: str, obj: Any) -> list[str]:
        """The Markdown of one exported name."""
        out = [f"### `{name}`", ""]
        doc = docstring(obj)
        text = markdown(doc) if doc else "(no docstring)"
        if isinstance(obj, ModuleType):
            out += [f"The module `{obj.__name__}`.", "", text, ""]
            for fname, fn in module_functions(obj):
                sig = self.signature(f"{name}.{fname}", inspect.signature(fn), vars(obj), name)
                out += [f"#### `{name}.{fname}`", "", "```python", sig, "```", "",
                        markdown(docstring(fn) or "(no docstring)"), ""]
            return out
        if inspect.isclass(obj):
            ns = vars(sys.modules[obj.__module__])
            sig = class_signature(obj)
            if getattr(obj, "_is_protocol", False):
                head = f"class {name}(Protocol)"
            elif sig is None:
                bases = [b.__name__ for b in obj.__bases__ if b is not object]
                head = f"class {name}" + (f"({', '.join(bases)})" if bases else "")
            else:
                head = self.signature(name, sig, ns, name, "class ")
            out += ["```python", head, "```", "", text, ""]
            lines = [line for n, v in members(obj) for line in self.member(n, v, ns, name)]
            return out + (["Members:", ""] + lines + [""] if lines else [])
        if callable(obj):
            ns = inspect.unwrap(obj).__globals__
            sig = self.signature(name, inspect.signature(obj), ns, name)
            return out + ["```python", sig, "```", "", text, ""]
        return out + ["```python", f"{name} = {obj!r}", "```", "",
                      markdown(api._CONSTANTS.get(name, "(undocumented)")), ""]

    def alias_section(self) -> list[str]:
        if not self.aliases:
            return []
        out = ["## Type aliases", "",
               "Named in the signatures above (not exported: write the type, or a function "
               "of that shape).", ""]
        for (module, alias), (definition, users) in sorted(self.aliases.items()):
            used = ", ".join(f"`{u}`" for u in users)
            out += [f"- `{alias}` (`{module}`, in {used}): `{definition}`"]
        return out + [""]


def render() -> str:
    """The whole reference page."""
    exported = list(api.__all__)
    listed = [n for _, names in api._SECTIONS for n in names]
    missing = sorted(set(exported) - set(listed))
    extra = sorted(set(listed) - set(exported))
    if missing or extra or len(listed) != len(set(listed)):
        raise ValueError(f"twolayer.api._SECTIONS and __all__ differ: not in a section {missing}, "
                         f"not exported {extra}, or a name listed twice")
    r = Renderer()
    parts = [HEADER, "## Contents", ""]
    for title, names in api._SECTIONS:
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
        parts.append(f"- [{title}](#{anchor}): " + ", ".join(f"`{n}`" for n in names))
    parts += ["- [Type aliases](#type-aliases)", ""]
    for title, names in api._SECTIONS:
        parts += [f"## {title}", ""]
        for n in names:
            parts += r.entry(n, getattr(api, n))
    parts += r.alias_section()
    return "\n".join(parts).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render(), end="")
