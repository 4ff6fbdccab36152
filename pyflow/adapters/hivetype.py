"""Athena's Hive DDL type names for Trino type names (``varchar`` -> ``string``, ``row(...)`` -> ``struct<...>``)."""

from __future__ import annotations

_HIVE_SCALARS = {"varchar": "string", "char": "string", "integer": "int", "real": "float"}


def hive_type(data_type: str) -> str:
    """A Trino type name as Athena's Hive DDL spells it (``varchar`` -> ``string`` ...)."""
    text = data_type.strip()
    name, _, rest = text.partition("(")
    name = name.strip().lower()
    args = rest[:-1] if rest.endswith(")") else rest
    if name == "array":
        return f"array<{hive_type(args)}>"
    if name == "map":
        key, value = _split_top(args)
        return f"map<{hive_type(key)},{hive_type(value)}>"
    if name == "row":
        fields = [f.strip().partition(" ") for f in _split_top(args)]
        return "struct<" + ",".join(f"{n.strip(chr(34))}:{hive_type(t)}" for n, _, t in fields) + ">"
    if name.startswith("timestamp"):
        return "timestamp"
    if name in _HIVE_SCALARS:
        return _HIVE_SCALARS[name]
    return text.lower()


def _split_top(text: str) -> list[str]:
    """Split ``a, b(c, d)`` at the commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts
