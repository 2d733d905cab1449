"""Product areas and special figures: the rules of ``areas.yaml``.

An area rule matches a symbol by its source file (path globs) or its name
(symbol globs); the first matching rule wins. Path globs use ``*`` for any run
of characters (``/`` included) and ``{name}`` for one directory, which the
area name can reuse (``app/{name}``).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from vmon.errors import VmonError

#: Area of bytes no rule can claim: padding, fill, symbols without a source file.
UNATTRIBUTED = "(unattributed)"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def default_config() -> Path:
    return Path(str(resources.files("vmon.memmap").joinpath("areas.yaml")))


@dataclass(frozen=True)
class AreaRule:
    area: str
    paths: tuple[re.Pattern[str], ...]
    symbols: re.Pattern[str] | None
    templated: bool


@dataclass(frozen=True)
class FigureMatch:
    symbols: re.Pattern[str]
    sections: re.Pattern[str] | None


@dataclass(frozen=True)
class Figure:
    id: str
    label: str
    matches: tuple[FigureMatch, ...]

    def matches_symbol(self, name: str, section: str) -> bool:
        return any(
            m.symbols.match(name) and (m.sections is None or m.sections.match(section))
            for m in self.matches
        )


class Grouping:
    """The parsed ``areas.yaml``: area rules and figures."""

    def __init__(self, rules: list[AreaRule], figures: list[Figure], source: Path) -> None:
        self.rules = rules
        self.figures = figures
        self.source = source
        self._path_cache: dict[str, tuple[int, str] | None] = {}
        literal = {r.area for r in rules if not r.templated}
        self._known_literal = literal | {UNATTRIBUTED}
        self._known_templates = [_template_regex(r.area) for r in rules if r.templated]

    def area_for(self, path: str | None, symbol: str) -> str:
        """Area of a symbol defined in ``path`` (None when its file is unknown)."""
        by_path = self._first_path_rule(path) if path else None
        limit = by_path[0] if by_path else len(self.rules)
        for index in range(limit):
            rule = self.rules[index]
            if rule.symbols is not None and rule.symbols.match(symbol):
                return rule.area
        return by_path[1] if by_path else UNATTRIBUTED

    def _first_path_rule(self, path: str) -> tuple[int, str] | None:
        if path in self._path_cache:
            return self._path_cache[path]
        found: tuple[int, str] | None = None
        for index, rule in enumerate(self.rules):
            for pattern in rule.paths:
                match = pattern.match(path)
                if match:
                    area = rule.area.format(**match.groupdict()) if rule.templated else rule.area
                    found = (index, area)
                    break
            if found:
                break
        self._path_cache[path] = found
        return found

    def is_known_area(self, name: str) -> bool:
        return name in self._known_literal or any(t.fullmatch(name) for t in self._known_templates)

    def area_names(self) -> list[str]:
        names: list[str] = []
        for rule in self.rules:
            if rule.area not in names:
                names.append(rule.area)
        return [*names, UNATTRIBUTED]

    def figure_ids(self) -> list[str]:
        return [f.id for f in self.figures]


def _template_regex(area: str) -> re.Pattern[str]:
    """``app/{name}`` -> a regex for the area names it can produce (``app/ml``)."""
    parts = _PLACEHOLDER.split(area)  # names of placeholders land at odd indexes
    return re.compile("".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(parts)))


def path_glob(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: ``*`` any run, ``?`` one character, ``[..]`` a set, ``{x}`` one
    directory (captured for the area name)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "{":
            close = pattern.find("}", i)
            name = pattern[i + 1 : close] if close > 0 else ""
            if not name.isidentifier():
                raise ValueError(f"bad placeholder in {pattern!r}")
            out.append(f"(?P<{name}>[^/]+)")
            i = close
        elif char == "[":
            close = pattern.find("]", i + 2)
            if close < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : close]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = close
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def name_globs(patterns: list[str]) -> re.Pattern[str]:
    """One regex for a list of symbol-name globs (case-sensitive, like the linker)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@lru_cache(maxsize=4)
def load(path: Path | None = None) -> Grouping:
    """Parse ``areas.yaml`` (the packaged one by default); VmonError names a bad key."""
    source = path or default_config()
    try:
        doc = yaml.safe_load(source.read_text())
    except OSError as err:
        raise VmonError(f"cannot read area rules {source}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise VmonError(f"{source}: not valid YAML ({_yaml_where(err)})") from None
    return parse(doc, source)


def parse(doc: Any, source: Path) -> Grouping:
    def fail(key: str, why: str) -> VmonError:
        return VmonError(f"{source}: {key}: {why}")

    if not isinstance(doc, dict):
        raise fail("(top)", "expected a mapping with 'areas' and 'figures'")
    _no_unknown(doc, {"version", "areas", "figures"}, "(top)", fail)
    if doc.get("version", 1) != 1:
        raise fail("version", f"unsupported version {doc.get('version')!r} (expected 1)")
    areas = doc.get("areas")
    if not isinstance(areas, list) or not areas:
        raise fail("areas", "expected a non-empty list of rules")
    rules = [_parse_rule(i, item, fail) for i, item in enumerate(areas)]
    figures_doc = doc.get("figures") or []
    if not isinstance(figures_doc, list):
        raise fail("figures", "expected a list")
    figures = [_parse_figure(i, item, fail) for i, item in enumerate(figures_doc)]
    ids = [f.id for f in figures]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise fail("figures", f"duplicate id {dupes[0]!r}")
    return Grouping(rules, figures, source)


def _parse_rule(i: int, item: Any, fail: Any) -> AreaRule:
    key = f"areas[{i}]"
    if not isinstance(item, dict):
        raise fail(key, "expected a mapping with 'area' and 'paths' and/or 'symbols'")
    _no_unknown(item, {"area", "paths", "symbols"}, key, fail)
    area = item.get("area")
    if not isinstance(area, str) or not area.strip():
        raise fail(f"{key}.area", "expected a non-empty name")
    if area == UNATTRIBUTED:
        raise fail(f"{key}.area", f"{UNATTRIBUTED} is reserved for bytes no rule claims")
    paths = _str_list(item.get("paths"), f"{key}.paths", fail)
    symbols = _str_list(item.get("symbols"), f"{key}.symbols", fail)
    if not paths and not symbols:
        raise fail(key, "needs 'paths' or 'symbols'")
    placeholders = set(_PLACEHOLDER.findall(area))
    if placeholders:
        if symbols:
            raise fail(
                f"{key}.symbols", "a rule with {placeholders} in its area can only match paths"
            )
        for pattern in paths:
            missing = placeholders - set(_PLACEHOLDER.findall(pattern))
            if missing:
                raise fail(f"{key}.paths", f"{pattern!r} does not define {{{sorted(missing)[0]}}}")
    try:
        compiled = tuple(path_glob(p) for p in paths)
    except (ValueError, re.error) as err:
        raise fail(f"{key}.paths", str(err)) from None
    return AreaRule(
        area=area,
        paths=compiled,
        symbols=name_globs(symbols) if symbols else None,
        templated=bool(placeholders),
    )


def _parse_figure(i: int, item: Any, fail: Any) -> Figure:
    key = f"figures[{i}]"
    if not isinstance(item, dict):
        raise fail(key, "expected a mapping with 'id', 'label' and 'match'")
    _no_unknown(item, {"id", "label", "match"}, key, fail)
    fid = item.get("id")
    if not isinstance(fid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", fid):
        raise fail(f"{key}.id", "expected a lower_case identifier")
    label = item.get("label", fid)
    if not isinstance(label, str):
        raise fail(f"{key}.label", "expected text")
    matches_doc = item.get("match")
    if not isinstance(matches_doc, list) or not matches_doc:
        raise fail(f"{key}.match", "expected a non-empty list")
    matches = []
    for j, entry in enumerate(matches_doc):
        mkey = f"{key}.match[{j}]"
        if not isinstance(entry, dict):
            raise fail(mkey, "expected a mapping with 'symbols' and optional 'sections'")
        _no_unknown(entry, {"symbols", "sections"}, mkey, fail)
        symbols = _str_list(entry.get("symbols"), f"{mkey}.symbols", fail)
        if not symbols:
            raise fail(f"{mkey}.symbols", "expected at least one glob")
        sections = _str_list(entry.get("sections"), f"{mkey}.sections", fail)
        matches.append(FigureMatch(name_globs(symbols), name_globs(sections) if sections else None))
    return Figure(id=fid, label=label, matches=tuple(matches))


def _str_list(value: Any, key: str, fail: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(key, "expected a list of glob strings")
    return list(value)


def _no_unknown(doc: dict[Any, Any], allowed: set[str], key: str, fail: Any) -> None:
    for name in doc:
        if name not in allowed:
            raise fail(
                f"{key}.{name}" if key != "(top)" else str(name),
                f"unknown key (expected one of: {', '.join(sorted(allowed))})",
            )


def _yaml_where(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or "parse error"
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)
