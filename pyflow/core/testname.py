"""Names and unique ids of generic tests, as dbt generates them.

dbt names a generic test ``<test>_<model>_<arguments>`` (``source_<test>_<source>_<table>_...``
on a source; ``<package>_<test>_...`` for a package's test), the arguments sorted by name, flattened and joined by ``__`` with everything but
letters, digits and ``_`` replaced by ``_``; e.g. ``accepted_values_orders_status__placed__shipped``.
Its unique id ends in ten hex digits of an MD5 of the name and the test's metadata:
``test.<project>.<name>.<hash>``. Singular tests keep ``test.<project>.<name>``; unit tests are
``unit_test.<project>.<model>.<name>`` (see :class:`pyflow.core.node.TestNode`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

ID_HASH_LENGTH = 10
MAX_NAME = 200
"""Longer generated names end in a hash instead (dbt keeps them whole; a file name must fit)."""
_UNSAFE = re.compile(r"[^0-9a-zA-Z_]+")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def generic_test_name(test: str, target: str, args: Mapping[str, Any], *, source: bool) -> str:
    """The full name dbt gives a generic test; ``target`` is the model, or ``<source>_<table>``."""
    flat: list[str] = []
    for key in sorted(args):
        if key == "model":
            continue
        value = args[key]
        parts = list(value.values()) if isinstance(value, Mapping) else value
        flat.extend(str(p) for p in (parts if isinstance(parts, list | tuple) else [parts]))
    unique = "__".join(_UNSAFE.sub("_", part) for part in flat)
    test = test.replace(".", "_")  # a package's test: dbt_utils.x -> dbt_utils_x
    name = f"{'source_' if source else ''}{test}_{target}_{unique}"
    if len(name) > MAX_NAME:
        name = f"{name[: MAX_NAME - 33]}_{_md5(name)}"
    return name


def _hashable(data: Any) -> Any:
    if type(data) is dict:
        return {k: _hashable(data[k]) for k in sorted(data)}
    if type(data) is list:
        return [_hashable(v) for v in data]
    return str(data)


def generic_test_id_hash(name: str, test: str, kwargs: Mapping[str, Any], model: str) -> str:
    """The hash ending a generic test's unique id: dbt's, over its name and metadata.

    ``kwargs`` are the test's arguments (``column_name`` included) and ``model`` what dbt passes
    as the ``model`` argument (:func:`model_argument`). A package's test (``dbt_utils.x``) has
    its package as the metadata's namespace.
    """
    namespace, _, short = test.rpartition(".")
    metadata = {"name": short, "kwargs": {**kwargs, "model": model}, "namespace": namespace or None}
    return _md5(name + repr(_hashable(metadata)))[-ID_HASH_LENGTH:]


def model_argument(name: str, table: str | None) -> str:
    """The ``model`` argument dbt gives a generic test on model ``name`` (or source table)."""
    target = f"source('{name}', '{table}')" if table is not None else f"ref('{name}')"
    return "{{ get_where_subquery(" + target + ") }}"
