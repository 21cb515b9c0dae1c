"""YAML with line numbers: parse a config safely and map each key path to its line.

Besides syntax, it refuses what a config never needs and what would exhaust the parser: values
nested deeper than ``MAX_DEPTH`` or expanding (through aliases) past ``MAX_VALUES``
(docs/config.md, "Limits"), each as one line with the file, the line and the key path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fivea.config.errors import KeyPath, format_path
from fivea.config.parsed_presets import parsed
from fivea.errors import ConfigError

if TYPE_CHECKING:
    import yaml


def _loader() -> type[yaml.SafeLoader]:
    """libyaml's parser when PyYAML was built with it: the same nodes and marks, ~5x faster (it
    is most of fivea's start-up work on a small log: a config is parsed on every run)."""
    import yaml  # imported when a text is parsed: a shipped preset is read parsed

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree; a syntax error is raised by the pure-Python parser, whose
    messages name the offending character (libyaml's do not)."""
    import yaml

    for loader_class in dict.fromkeys((_loader(), yaml.SafeLoader)):
        loader = loader_class(text)
        try:
            return loader.get_single_node()
        except yaml.YAMLError:
            if loader_class is yaml.SafeLoader:
                raise
        finally:
            loader.dispose()
    return None


def parse_yaml(text: str, origin: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML safely, rejecting duplicate keys; return data and a key-path -> line map.

    A shipped preset's text comes already parsed (``fivea.config.parsed_presets``)."""
    return parsed(text) or parse_text(text, origin)


def parse_text(text: str, origin: str) -> tuple[Any, dict[KeyPath, int]]:
    """``parse_yaml`` with PyYAML, whatever the text."""
    import yaml

    try:
        node = _compose(text)
    except RecursionError as exc:
        raise _too_deep(text, origin) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = ""
        if "\t" in problem or "'\\t'" in problem:
            hint = "; YAML indentation must use spaces, not tabs"
        msg = f"{origin}{line}: invalid YAML: {problem}{hint}"
        raise ConfigError(msg) from exc
    if node is None:
        msg = (
            f"{origin}: the config is empty; start from `fivea init` or `fivea presets 5a-default`"
        )
        raise ConfigError(msg)
    lines: dict[KeyPath, int] = {}
    _walk_nodes(node, (), lines, origin)
    try:
        data = _loader()("").construct_document(node)
    except RecursionError as exc:  # not reached after _walk_nodes' depth limit; kept as a guard
        raise _too_deep(text, origin) from exc
    except yaml.YAMLError as exc:  # e.g. an unhashable key such as `[a]: 1`
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        msg = f"{origin}{line}: invalid YAML: {problem}"
        raise ConfigError(msg) from exc
    return data, lines


# the deepest key of a config is 6 levels down (subfunnels.x.steps[0].event[0]); a value nested
# far deeper is a mistake, and thousands of levels overflow the parser's recursion (exit 3)
MAX_DEPTH = 32
# values after YAML aliases are expanded: ten aliases of ten aliases, nine deep, are 10^9 values
# from 10 lines ("billion laughs"), walked for minutes; the presets hold ~300
MAX_VALUES = 100_000


def _deep_error(origin: str, line: int, path: KeyPath) -> ConfigError:
    shown = format_path(path[:8]) + ("…" if len(path) > 8 else "")
    msg = (
        f"{origin}:{line}: {shown or '(top level)'}: nested more than {MAX_DEPTH} levels deep; "
        "a fivea config needs at most 6 (see docs/config.md)"
    )
    return ConfigError(msg)


def _too_deep(text: str, origin: str) -> ConfigError:
    """Where a document nests too deeply, found from the parser's flat event stream (the node
    tree itself cannot be built: building it recursed too deeply)."""
    # the pure-Python parser: libyaml refuses a deep flow ("while increasing flow level") before
    # it reaches the level to report; read lazily, the answer is near the top
    import yaml

    events = yaml.parse(text, Loader=yaml.SafeLoader)
    with contextlib.suppress(yaml.YAMLError):
        found = _deep_event(events, origin)
        if found is not None:
            return found
    msg = f"{origin}: nested too deeply; a fivea config needs at most 6 levels (see docs/config.md)"
    return ConfigError(msg)


def _deep_event(events: Iterator[yaml.Event], origin: str) -> ConfigError | None:
    import yaml

    frames: list[list[Any]] = []  # per open collection: [is_mapping, key or index, expects_key]
    for event in events:
        if isinstance(event, yaml.CollectionEndEvent):
            if frames:
                frames.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        parent = frames[-1] if frames else None
        if parent is not None and parent[0]:
            if parent[2]:  # a key
                parent[1], parent[2] = getattr(event, "value", "?"), False
                if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                    continue
            else:
                parent[2] = True
        elif parent is not None:
            parent[1] += 1
        if isinstance(event, yaml.CollectionStartEvent):
            if len(frames) >= MAX_DEPTH:
                path = tuple(frame[1] for frame in frames)
                return _deep_error(origin, event.start_mark.line + 1, path)
            frames.append([isinstance(event, yaml.MappingStartEvent), -1, True])
    return None


def _walk_nodes(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], origin: str, depth: int = 0
) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if depth >= MAX_DEPTH and isinstance(node, yaml.CollectionNode):
        raise _deep_error(origin, node.start_mark.line + 1, path)
    if len(lines) > MAX_VALUES:  # one entry per key path walked: aliases count each time
        msg = (
            f"{origin}:{node.start_mark.line + 1}: {format_path(path[:8]) or '(top level)'}: "
            f"the config expands to more than {MAX_VALUES:,} values (aliases of aliases?); "
            "a fivea config holds a few hundred"
        )
        raise ConfigError(msg)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                msg = (
                    f"{origin}:{key_node.start_mark.line + 1}: {format_path(path) or '(top level)'}: "
                    "a key must be a plain name, not a list or a mapping"
                )
                raise ConfigError(msg)
            key = key_node.value
            if key in seen:
                msg = (
                    f"{origin}:{key_node.start_mark.line + 1}: "
                    f"{format_path((*path, key))}: duplicate key (first given on line "
                    f"{seen[key]}); keep one"
                )
                raise ConfigError(msg)
            seen[key] = key_node.start_mark.line + 1
            _walk_nodes(value_node, (*path, key), lines, origin, depth + 1)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_nodes(item, (*path, index), lines, origin, depth + 1)
