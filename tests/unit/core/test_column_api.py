"""dbt's ``api.Column`` (pyflow.core.renderdb.ColumnApi): type labels per target."""

from __future__ import annotations


def test_api_column_labels_follow_the_target_type():
    from pyflow.core.renderdb import RelationApi

    duck, trino = (
        RelationApi(lambda s: s, None, "duckdb").Column,
        RelationApi(lambda s: s, None, "trino").Column,
    )

    assert [duck.translate_type(t) for t in ("string", "integer", "float", "varchar(3)")] == [
        "TEXT",
        "INT",
        "FLOAT",
        "varchar(3)",
    ]
    assert [trino.translate_type(t) for t in ("STRING", "integer", "float")] == [
        "VARCHAR",
        "INTEGER",
        "DOUBLE",
    ]
    assert trino.string_type(10) == "varchar(10)"
