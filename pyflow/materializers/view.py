"""Views: CREATE OR REPLACE VIEW, replacing a table of the same name in one transaction."""

from __future__ import annotations

from typing import ClassVar

from pyflow.materializers.base import Job, Materializer, Outcome
from pyflow.materializers.table import TableMaterializer


class ViewMaterializer(Materializer):
    """``materialized: view`` (a DataFrame model is stored as a table instead)."""

    kind: ClassVar[str] = "view"

    def build(self, job: Job) -> Outcome:  # noqa: D102
        if job.sql is None:
            return TableMaterializer().build(job)
        adapter = job.adapter
        self.ensure_schema(job)
        with adapter.transaction():
            existing = self.existing(job)
            if existing == "table":
                job.execute(adapter.drop_relation_sql(job.relation, "table"))
            elif existing == "view" and not adapter.capabilities.replace_view:
                job.execute(adapter.drop_relation_sql(job.relation, "view"))
            job.execute(adapter.create_view_sql(job.relation, job.sql))
        return Outcome("created")
