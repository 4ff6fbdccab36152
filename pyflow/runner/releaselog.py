"""The release log: table ``pyflow_releases`` in the target, one row per release event.

Blue-green builds (:mod:`pyflow.runner.release`) append ``published`` or ``failed``; ``pyflow
rollback`` appends ``rollback``; retention appends ``dropped``. Rows are only ever appended
(``INSERT``), never updated, so the table works on every engine, Athena's Hive tables included;
all columns are text but ``seq`` (the event's order). The log lives in the target, beside the
data it describes, so it survives a fresh clone of the project and is shared by everyone
deploying to the target (docs/deploying-safely.md#where-releases-are-recorded).

A release's ``models`` is the whole production map after it: model name -> the production
relation and the physical relation (in a release schema) it points at, for every model any
release published, not only the ones this release built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.config.releaseconfig import RELEASES_TABLE, ReleasesConfig
from pyflow.relation import Relation

COLUMNS = (
    "seq", "release_id", "event", "at", "project_name", "target_name", "built", "models", "detail",
)  # fmt: skip
"""The table's columns, in order (docs/deploying-safely.md#the-release-table)."""

PUBLISHED, FAILED, ROLLBACK, DROPPED = "published", "failed", "rollback", "dropped"


def meta_schema(config: ReleasesConfig, target_schema: str) -> str:
    """The schema of the release table: configured, else ``<target schema>__pyflow``."""
    return config.schema_ or f"{target_schema}__pyflow"


@dataclass(frozen=True)
class Placement:
    """Where a model's production name is, and the physical relation it points at."""

    production: Relation
    physical: Relation
    kind: str = "table"
    """``table`` or ``view``: what the physical relation is."""
    table_type: str | None = None
    """The model's ``table_type`` (``iceberg``, ``hive``; None: the engine's default), for dropping it."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ``models``."""
        p, q = self.production, self.physical
        return {
            "production": [p.database, p.schema, p.identifier],
            "physical": [q.database, q.schema, q.identifier],
            "kind": self.kind,
            "table_type": self.table_type,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Placement:
        """Read :meth:`to_json`."""
        return cls(
            Relation(*data["production"]),
            Relation(*data["physical"]),
            str(data.get("kind", "table")),
            data.get("table_type"),
        )


@dataclass
class Release:
    """One release as ``pyflow releases`` shows it."""

    release_id: str
    at: str
    status: str
    built: list[str] = field(default_factory=list)
    models: dict[str, Placement] = field(default_factory=dict)
    detail: str = ""
    current: bool = False
    leftover: list[str] = field(default_factory=list)
    """For a dropped release: its models whose relations a kept release still points at."""

    def to_json(self) -> dict[str, Any]:
        """The ``--output json`` form."""
        return {
            "release_id": self.release_id,
            "at": self.at,
            "status": self.status,
            "current": self.current,
            "built": self.built,
            "models": {n: p.to_json() for n, p in sorted(self.models.items())},
            "detail": self.detail,
            "leftover": self.leftover,
        }


class ReleaseLog:
    """The release table of one target (and project), read and appended through ``adapter``."""

    def __init__(self, adapter: Adapter, relation: Relation, project: str, target: str) -> None:
        self.adapter = adapter
        self.relation = relation
        self.project = project
        self.target = target

    def events(self) -> list[dict[str, Any]]:
        """Every event of this project and target, in order (none when the table does not exist)."""
        a = self.adapter
        if a.relation_type(self.relation) is None:
            return []
        lit = a.literal_sql
        rows = a.fetchall(
            f"SELECT {', '.join(a.quote(c) for c in COLUMNS)}\nFROM {a.render(self.relation)}\n"
            f"WHERE project_name = {lit(self.project)} AND target_name = {lit(self.target)}",
            model=RELEASES_TABLE,
        )
        out = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
        return sorted(out, key=lambda e: int(e["seq"]))

    def append(
        self,
        release_id: str,
        event: str,
        *,
        built: Sequence[str] = (),
        models: Mapping[str, Placement] | None = None,
        detail: str = "",
    ) -> list[str]:
        """Append one event (creating the schema and table when missing); return the statements."""
        a = self.adapter
        rel = self.relation
        exists = a.relation_type(rel) is not None
        seq = 1
        if exists:
            got = a.fetchall(f"SELECT max(seq) FROM {a.render(rel)}", model=RELEASES_TABLE)
            seq = int(got[0][0] or 0) + 1 if got else 1
        values = {
            "release_id": release_id,
            "event": event,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "project_name": self.project,
            "target_name": self.target,
            "built": json.dumps(list(built)),
            "models": json.dumps({n: p.to_json() for n, p in sorted((models or {}).items())}),
            "detail": detail,
        }
        select = "SELECT " + ", ".join(
            [f"CAST({seq} AS BIGINT) AS {a.quote('seq')}"]
            + [f"CAST({a.literal_sql(v)} AS VARCHAR) AS {a.quote(k)}" for k, v in values.items()]
        )
        sent: list[str] = []
        if not exists:
            if rel.schema and not a.schema_exists(rel.database, rel.schema):
                sent.append(a.create_schema_sql(rel.database, rel.schema))
            sent.append(a.create_table_as_sql(rel, select))
        else:
            cols = ", ".join(a.quote(c) for c in COLUMNS)
            sent.append(f"INSERT INTO {a.render(rel)} ({cols})\n{select}")
        for sql in sent:
            a.execute(sql, model=RELEASES_TABLE)
        return sent

    def releases(self) -> list[Release]:
        """Releases oldest first, with their status and the current marker."""
        found: dict[str, Release] = {}
        current: str | None = None
        for e in self.events():
            rid, event = str(e["release_id"]), str(e["event"])
            if event in (PUBLISHED, FAILED):
                found[rid] = Release(
                    rid,
                    str(e["at"]),
                    event,
                    built=list(json.loads(e["built"] or "[]")),
                    models={n: Placement.from_json(p) for n, p in json.loads(e["models"] or "{}").items()},
                    detail=str(e["detail"] or ""),
                )
            if event in (PUBLISHED, ROLLBACK):
                current = rid
            elif event == DROPPED and rid in found:
                found[rid].status = DROPPED
                found[rid].leftover = list(json.loads(e["built"] or "[]"))
        for r in found.values():
            r.current = r.release_id == current
        return list(found.values())

    def current(self) -> Release | None:
        """The release production points at, or None before the first one."""
        return next((r for r in self.releases() if r.current), None)
