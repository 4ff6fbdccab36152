"""Recovery of an Athena Hive table swap through Glue that a kill interrupted.

:meth:`~pyflow.adapters.athena.AthenaAdapter.swap_table` builds ``<t>__pyflow_tmp_<run>`` at a
fresh S3 prefix, points the target's Glue entry at it (the switch), repoints the partitions,
deletes the old data and, last, the temporary Glue entry: while that entry exists, the swap may
be unfinished. An insert_overwrite by partitions (``__pyflow_overwrite_*``) repoints partitions
the same way. For each such temporary Hive table of the target, the next run either

- leaves it to the generic recovery (:mod:`pyflow.adapters.recovery`), which discards it and its
  files, when the target does not read its data: the swap never switched, the target is intact;
- or finishes the swap, when the target reads its data (the target's location, or one of its
  partitions, is inside the temporary table's prefix): the target's partitions become the
  temporary table's, the old data is deleted (the location of the target's last Glue version
  before the switch, and those of the partitions replaced now), then the temporary Glue entry
  (metadata only: its files are the target's now).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pyflow.adapters.base import Leftover
from pyflow.adapters.s3location import glue_location as _location
from pyflow.adapters.s3location import overlaps as _overlaps
from pyflow.errors import PyflowError
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.adapters.athena import AthenaAdapter


def _is_iceberg(table: dict[str, Any]) -> bool:
    return str(table.get("Parameters", {}).get("table_type", "")).upper() == "ICEBERG"


def previous_location(glue: Any, target: Relation, database: str, new: str) -> str | None:
    """The location of the target's newest Glue version that does not read ``new``.

    That is the table the swap replaced; None when every version reads ``new`` (a first build).
    """
    versions: list[dict[str, Any]] = []
    pages = glue.get_paginator("get_table_versions").paginate(
        DatabaseName=database, TableName=target.identifier
    )
    for page in pages:
        versions.extend(page.get("TableVersions", []))
    versions.sort(key=lambda v: int(v.get("VersionId") or 0), reverse=True)
    for version in versions:
        location = _location(version.get("Table"))
        if location and not _overlaps(location, new):
            return location
    return None


def finish_glue_swaps(
    adapter: AthenaAdapter, target: Relation, leftovers: Sequence[Leftover], *, model: str | None = None
) -> tuple[list[str], list[Leftover]]:
    """Finish the swaps of ``target`` that passed their switch; what was done, and the rest."""
    database = target.schema or adapter.schema
    try:
        glue = adapter.aws_client("glue")
        current = adapter.glue_table(glue, target)
        if current is None or _location(current) is None:
            return [], list(leftovers)
        current_parts = adapter.glue_partitions(glue, target) if current.get("PartitionKeys") else []
        actions: list[str] = []
        rest: list[Leftover] = []
        for item in leftovers:
            entry = adapter.glue_table(glue, item.relation) if item.kind == "table" else None
            location = _location(entry)
            if entry is None or location is None or _is_iceberg(entry):
                rest.append(item)
                continue
            switched = _overlaps(_location(current), location)
            if not switched and not any(_overlaps(_location(p), location) for p in current_parts):
                rest.append(item)  # the target never read it: discarded with its files
                continue
            new_parts = adapter.glue_partitions(glue, item.relation) if entry.get("PartitionKeys") else []
            old: list[str] = []
            if switched:
                before = previous_location(glue, target, database, location)
                old += [before] if before else []
            if new_parts or (switched and current_parts):
                old += adapter.repoint_partitions(
                    glue, target, new_parts, current=current_parts if switched else None
                )
            new = [location, *(loc for p in new_parts if (loc := _location(p)))]
            adapter._delete_unused(old, new, model)
            glue.delete_table(DatabaseName=database, Name=item.relation.identifier)
            gone: list[str] = []  # as _delete_unused deletes them: a prefix, not the prefixes inside it
            for loc in sorted(dict.fromkeys(old), key=len):
                if not any(_overlaps(loc, other) for other in [*new, *gone]):
                    gone.append(loc)
            actions.append(
                f"finished swapping {item.relation.dotted()} in (the target reads its data; "
                + (f"deleted the old data at {', '.join(gone)}" if gone else "no old data left")
                + "), dropped its Glue entry"
            )
    except PyflowError:
        raise
    except Exception as exc:
        raise adapter.aws_error(exc, f"recovering an interrupted swap of {target.identifier}", model) from exc
    return actions, rest
