"""Pulumi's YAML files (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``) read as the Pulumi CLI reads them.

The CLI reads both through ``encoding.YAML`` (pulumi/pulumi ``sdk/go/common/encoding/marshal.go``, imported as
``yaml "gopkg.in/yaml.v3"`` since pulumi/pulumi@5666684 of December 2022, v3.50; still so at v3.260), and
``workspace.LoadProjectStackBytes`` (``sdk/go/common/workspace/loaders.go``) unmarshals the stack file into
``any``. go-yaml v3 resolves plain scalars by YAML 1.2 rules (go-yaml ``resolve.go``, branch v3):

- booleans are only ``true``/``True``/``TRUE`` and ``false``/``False``/``FALSE``: ``yes``, ``no``, ``on``,
  ``off``, ``y``, ``n`` stay strings (PyYAML's YAML 1.1 resolver reads them as booleans);
- null is ``~``, ``null``, ``Null``, ``NULL`` or nothing;
- integers are decimal, ``0x``, ``0o``, ``0b`` or a leading-``0`` octal, ``_`` ignored; no base-60;
- floats match ``[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`` or ``.inf``/``.nan`` spellings;
- a timestamp decoded into ``any`` stays the string it is written as (go-yaml ``decode.go``, "for backward
  compatibility reasons we set it as a string").

go-yaml v3 also refuses a mapping key written twice, at any depth ("mapping key ... already defined at line
...", ``decode.go``); so does :func:`load`, naming the file, the line and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """A YAML file the Pulumi CLI would refuse: one line naming the file, the line and what is wrong."""


class PulumiLoader(yaml.SafeLoader):
    """PyYAML's safe loader with go-yaml v3's resolver for plain scalars (see the module docstring)."""


PulumiLoader.yaml_implicit_resolvers = {}
PulumiLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
PulumiLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
PulumiLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?(?:[0-9_]+|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$"),
    list("-+0123456789"),
)
PulumiLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9_]+|[0-9_]+(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
PulumiLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])


def _int(loader: PulumiLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits[:2].lower() in ("0x", "0o", "0b"):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits.startswith("0"):  # YAML 1.1 octal, still read by go-yaml v3
        return sign * int(digits, 8)
    return sign * int(digits)


def _float(loader: PulumiLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
    return float(special.get(text.lower(), text))


def _timestamp_as_written(loader: PulumiLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


PulumiLoader.add_constructor("tag:yaml.org,2002:int", _int)
PulumiLoader.add_constructor("tag:yaml.org,2002:float", _float)
PulumiLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_written)


def _duplicate(node: yaml.Node, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], int, int] | None:
    """The first key written twice in one mapping, at any depth: its path, its line and the first one's line."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if key.value in seen:
                    return (*path, key.value), line, seen[key.value]
                seen[key.value] = line
                found = _duplicate(value, (*path, key.value))
            else:
                found = _duplicate(value, path)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _duplicate(item, (*path, str(index)))
            if found:
                return found
    return None


def dotted(path: tuple[str, ...]) -> str:
    """A key path as the stack file's config writes it: ``hardened-aml:network.computeSubnetPrefix``."""
    return ".".join(path[1:] if path[:1] == ("config",) and len(path) > 1 else path)


def load(path: Path, shown: str | None = None) -> Any:
    """The document of a YAML file as the Pulumi CLI reads it; :class:`YamlFileError` for what it refuses.

    ``shown`` is how the file is named in errors (default: ``path``).
    """
    name = shown or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    loader = PulumiLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        found = _duplicate(node)
        if found:
            keys, line, first = found
            raise YamlFileError(
                f"{name}, line {line}: {dotted(keys)}: written twice (first at line {first}); allowed: each key "
                "once (the Pulumi CLI refuses duplicate keys)"
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}, line {mark.line + 1}" if mark else name
        problem = " ".join(str(exc.problem or exc.context or "not YAML").split())
        raise YamlFileError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{name}: invalid YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()
