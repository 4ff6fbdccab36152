"""Malformed CSV is an error naming file, line and field counts, never an empty or guessed table.

Issue 10, item 2. Seeds on DuckDB (first load, reload in place, ``--full-refresh``), CSV file
sources on DuckDB, and the Trino/Athena seed paths (INSERT ... VALUES batches, Athena's Parquet
upload) on a recording connection: every path parses the CSV one strict way, checks that the
loaded table holds exactly the CSV's records, and leaves the old table as it was on a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.errors import AdapterError, MaterializationError
from pyflow.materializers.base import Job, SeedFile
from pyflow.materializers.seed import SeedMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, RecordingConnection, athena_adapter, record_aws_calls

GOOD = "id,name,qty\n1,apple,3\n2,pear,5\n"
BAD_LAST_LINE = "id,name,qty\n1,apple,3\n2,pear,5\n3,plum,7,extra\n"


def _seed_project(make_project, text: str = GOOD) -> Path:
    return make_project({"seeds/fruit.csv": text})


# ---- seeds on DuckDB ---------------------------------------------------------------------
def test_seed_full_refresh_with_an_extra_field_fails_and_keeps_the_old_table(
    make_project, pyflow, warehouse, run_results
):
    project = _seed_project(make_project)
    pyflow("seed", "--project-dir", project)
    (project / "seeds" / "fruit.csv").write_text(BAD_LAST_LINE, encoding="utf-8")

    failed = pyflow("seed", "--full-refresh", "--project-dir", project, expect=1)

    assert "Done. PASS=0 WARN=0 ERROR=1 SKIP=0 TOTAL=1" in failed.output
    assert "seeds/fruit.csv:4" in failed.output
    assert "line 4 has 4 fields, expected 3" in failed.output
    assert "Fix: " in failed.output
    result = run_results(project)["fruit"]
    assert result["status"] == "error"
    assert "line 4 has 4 fields, expected 3" in result["message"]
    assert warehouse(project).rows("SELECT * FROM fruit ORDER BY id") == [(1, "apple", 3), (2, "pear", 5)]


def test_seed_reload_with_a_missing_field_fails_and_keeps_the_old_rows(make_project, pyflow, warehouse):
    project = _seed_project(make_project)
    pyflow("seed", "--project-dir", project)
    (project / "seeds" / "fruit.csv").write_text("id,name,qty\n1,apple,3\n9,fig\n", encoding="utf-8")

    failed = pyflow("seed", "--project-dir", project, expect=1)

    assert "seeds/fruit.csv:3" in failed.output
    assert "line 3 has 2 fields, expected 3" in failed.output
    assert warehouse(project).rows("SELECT * FROM fruit ORDER BY id") == [(1, "apple", 3), (2, "pear", 5)]


def test_seed_first_load_of_a_ragged_csv_creates_no_table(make_project, pyflow, warehouse):
    project = _seed_project(make_project, BAD_LAST_LINE)

    failed = pyflow("seed", "--project-dir", project, expect=1)

    assert "line 4 has 4 fields, expected 3" in failed.output
    assert "main.fruit" not in warehouse(project).relations()


def test_seed_with_an_unclosed_quote_names_the_line_it_opens_on(make_project, pyflow, warehouse):
    project = _seed_project(make_project)
    pyflow("seed", "--project-dir", project)
    (project / "seeds" / "fruit.csv").write_text(
        'id,name,qty\n1,apple,3\n2,"pear,5\n3,plum,7\n', encoding="utf-8"
    )

    failed = pyflow("seed", "--full-refresh", "--project-dir", project, expect=1)

    assert "seeds/fruit.csv:3" in failed.output
    assert "quote" in failed.output
    assert warehouse(project).rows("SELECT count(*) FROM fruit") == [(2,)]


def test_seed_quoted_newlines_are_one_record_and_later_lines_keep_their_numbers(
    make_project, pyflow, warehouse, run_results
):
    text = 'id,note\n1,"two\nlines"\n2,plain\n3,"a, b"\n'
    project = _seed_project(make_project, text)

    pyflow("seed", "--project-dir", project)

    assert warehouse(project).rows("SELECT * FROM fruit ORDER BY id") == [
        (1, "two\nlines"),
        (2, "plain"),
        (3, "a, b"),
    ]
    assert run_results(project)["fruit"]["rows_affected"] == 3
    (project / "seeds" / "fruit.csv").write_text(text + "4,x,y\n", encoding="utf-8")
    failed = pyflow("seed", "--project-dir", project, expect=1)
    assert "seeds/fruit.csv:6" in failed.output and "line 6 has 3 fields, expected 2" in failed.output


def test_one_column_seed_with_a_blank_line_is_an_error_not_a_null_row(make_project, pyflow, warehouse):
    project = _seed_project(make_project, "code\nA\n\nB\n")

    failed = pyflow("seed", "--project-dir", project, expect=1)

    assert "seeds/fruit.csv:3" in failed.output
    assert "line 3 is blank" in failed.output
    assert "main.fruit" not in warehouse(project).relations()


def test_seed_loading_other_rows_than_the_csv_has_is_an_error_and_rolls_back(
    tmp_path: Path, duckdb_adapter: DuckDBAdapter
) -> None:
    # the reload path (DELETE + INSERT in one transaction) checks the count before committing
    path = tmp_path / "codes.csv"
    path.write_text("code\n1\n2\n", encoding="utf-8")
    target = Relation("memory", "main", "codes")
    SeedMaterializer().build(
        Job(
            "codes",
            target,
            duckdb_adapter,
            sql=duckdb_adapter.csv_scan_sql(path, {}, ","),
            seed=SeedFile(path, records=2),
        )
    )
    short = Job(
        "codes", target, duckdb_adapter, sql="SELECT 7::INTEGER AS code", seed=SeedFile(path, records=2)
    )

    with pytest.raises(MaterializationError) as info:
        SeedMaterializer().build(short)

    err = info.value
    assert err.code == "seed-row-count"
    assert "the loaded table has 1 row(s), but codes.csv has 2 record(s)" in err.message
    assert duckdb_adapter.fetchall("SELECT code FROM codes ORDER BY code") == [(1,), (2,)]


# ---- CSV file sources on DuckDB -------------------------------------------------------------
SOURCES = """\
sources:
  - name: raw
    tables:
      - name: events
        external_location: "data/events.csv"
"""


def test_csv_file_source_with_a_ragged_line_is_an_error_not_one_guessed_row(make_project, pyflow, warehouse):
    lines = "".join(f"{i},e{i},{i * 2}\n" for i in range(499))
    project = make_project(
        {
            "models/sources.yml": SOURCES,
            "models/events_copy.sql": "select * from {{ source('raw', 'events') }}",
            "data/events.csv": "id,name,amount\n" + lines + "1,2,3,4\n",
        }
    )

    failed = pyflow("build", "--project-dir", project, expect=1)

    assert "data/events.csv:501" in failed.output
    assert "line 501 has 4 fields, expected 3" in failed.output
    assert "Fix: " in failed.output
    assert "main.events_copy" not in warehouse(project).relations()


def test_csv_file_source_reads_its_header_and_every_row(make_project, pyflow, warehouse):
    lines = "".join(f"{i},e{i},{i * 2}\n" for i in range(500))
    project = make_project(
        {
            "models/sources.yml": SOURCES,
            "models/events_copy.sql": "{{ config(materialized='table') }}\nselect * from {{ source('raw', 'events') }}",
            "data/events.csv": "id,name,amount\n" + lines,
        }
    )

    pyflow("build", "--project-dir", project)

    db = warehouse(project)
    assert db.rows("SELECT count(*), min(id), max(amount) FROM events_copy") == [(500, 0, 998)]
    assert [
        c
        for (c,) in db.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events_copy' ORDER BY ordinal_position"
        )
    ] == ["id", "name", "amount"]


# ---- Trino and Athena seeds (recording connection) ------------------------------------------
TRINO_REL = Relation("hive", "analytics", "codes")
ATHENA_REL = Relation("awsdatacatalog", "shop", "codes")


def _trino(con: RecordingConnection) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "h", "database": "hive", "schema": "analytics"}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    adapter.open()
    return adapter


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _touching_codes(con: RecordingConnection) -> list[str]:
    """The statements sent about the seed's tables (catalog probes of the engine left out)."""
    return [s for s in con.sent() if '"codes' in s]


def test_trino_seed_with_an_extra_field_sends_nothing_and_names_line_and_counts(tmp_path: Path) -> None:
    con = RecordingConnection(schemas={"analytics"}, tables={("analytics", "codes"): "BASE TABLE"})
    path = _csv(tmp_path, 'id,note\n1,"two\nlines"\n2,x,extra\n')

    with pytest.raises(AdapterError) as info:
        SeedMaterializer().build(Job("codes", TRINO_REL, _trino(con), seed=SeedFile(path, records=None)))

    err = info.value
    assert err.code == "seed-csv-invalid"
    assert (err.path, err.line) == (str(path), 4)
    assert "line 4 has 3 fields, expected 2" in err.message
    assert "Fix: " in str(err)
    # nothing created or renamed: only the cleanup of a temporary table that was never made
    assert _touching_codes(con) == ['DROP TABLE IF EXISTS "hive"."analytics"."codes__pyflow_tmp_aaaaaaaa"']


def test_trino_seed_with_an_unclosed_quote_is_an_error(tmp_path: Path) -> None:
    adapter = _trino(RecordingConnection())
    with pytest.raises(AdapterError) as info:
        adapter.seed_statements(TRINO_REL, _csv(tmp_path, 'id,note\n1,ok\n2,"open\n3,x\n'), {}, ",")
    assert info.value.code == "seed-csv-invalid"
    assert info.value.line == 3
    assert "quote" in info.value.message


def test_trino_seed_whose_table_holds_other_rows_than_the_csv_is_dropped_and_the_old_kept(
    tmp_path: Path,
) -> None:
    con = RecordingConnection(
        schemas={"analytics"}, tables={("analytics", "codes"): "BASE TABLE"}, row_count=1
    )
    path = _csv(tmp_path, "n\n1\n2\n")

    with pytest.raises(MaterializationError) as info:
        SeedMaterializer().build(Job("codes", TRINO_REL, _trino(con), seed=SeedFile(path, records=2)))

    assert info.value.code == "seed-row-count"
    tmp = '"hive"."analytics"."codes__pyflow_tmp_aaaaaaaa"'
    assert [s.split("\n")[0] for s in _touching_codes(con)] == [
        f"CREATE TABLE {tmp} AS",
        f"SELECT count(*) FROM {tmp}",
        f"DROP TABLE IF EXISTS {tmp}",
    ]  # no rename: the old table was never touched


def test_athena_seed_upload_of_a_ragged_csv_writes_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/pyflow-tests")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pyflow-tests")
    con = RecordingConnection(schemas={"shop"})
    with mock_aws():
        record_aws_calls(monkeypatch, con.statements)
        with pytest.raises(AdapterError) as info:
            athena_adapter(con).upload_seed(ATHENA_REL, _csv(tmp_path, "id,price\n1,2\n3\n"), {}, ",")
    assert info.value.code == "seed-csv-invalid"
    assert info.value.line == 3
    assert "line 3 has 1 field, expected 2" in info.value.message
    assert con.sent() == []


# ---- unit tests' CSV fixtures ---------------------------------------------------------------
UNIT_TESTS = """\
unit_tests:
  - name: totals_from_csv
    model: totals
    given:
      - input: ref('orders')
        format: csv
        rows: |
          id,amount
          1,"10"5
          2,7
    expect:
      rows: [{n: 2}]
"""


def test_unit_test_csv_fixture_with_text_after_a_quote_is_an_error_not_a_guess(make_project, pyflow):
    project = make_project(
        {
            "models/orders.sql": "select 1 as id, 5 as amount",
            "models/totals.sql": "select count(*) as n from {{ ref('orders') }}",
            "models/unit.yml": UNIT_TESTS,
        }
    )

    failed = pyflow("test", "--project-dir", project, expect=1)

    assert "[invalid-unit-test]" in failed.output
    assert "line 2 of the CSV rows cannot be parsed" in failed.output
    assert "Traceback" not in failed.output


def test_csv_file_source_glob_names_the_bad_file_and_line(make_project, pyflow):
    project = make_project(
        {
            "models/sources.yml": SOURCES.replace("data/events.csv", "data/events/*.csv"),
            "models/events_copy.sql": "select * from {{ source('raw', 'events') }}",
            "data/events/a.csv": "id,name,amount\n1,x,2\n",
            "data/events/b.csv": "id,name,amount\n3,y,4\n5,z\n",
        }
    )

    failed = pyflow("build", "--project-dir", project, expect=1)

    assert "data/events/b.csv:3" in failed.output
    assert "line 3 has 2 fields, expected 3" in failed.output
    assert "[csv-invalid]" in failed.output
