"""`pyflow source freshness` end to end: pass / warn / error / runtime error, rules merged from
source and table, filters, TIMESTAMP and TIMESTAMPTZ columns, file sources, target/sources.json,
exit codes and configuration errors."""

from __future__ import annotations

import json
import re
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pyflow.config.loader import load_project
from pyflow.errors import PyflowError

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str | Path) -> Any:
    from pyflow.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"pyflow.yml": f"name: {root.name}\n", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def ago(**delta: float) -> str:
    """A naive UTC time ``delta`` ago, as CSV/SQL text."""
    return (datetime.now(UTC) - timedelta(**delta)).replace(tzinfo=None).isoformat(sep=" ")


def sources_json(root: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((root / "target" / "sources.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


SOURCES = """
    sources:
      - name: crm
        loaded_at_field: loaded_at
        freshness:
          warn_after: {count: 1, period: hour}
          error_after: {count: 1, period: day}
        tables:
          - name: fresh
            external_location: data/fresh.csv
          - name: late
            external_location: data/late.csv
          - name: stale
            external_location: data/stale.csv
          - name: relaxed              # the table's error_after replaces the source's
            external_location: data/stale.csv
            freshness: {error_after: {count: 7, period: day}}
          - name: filtered             # only rows matching the filter count
            external_location: data/mixed.csv
            freshness: {filter: "kind = 'old'"}
          - name: unchecked
            external_location: data/stale.csv
            freshness: null
      - name: other
        freshness: {warn_after: {count: 1, period: hour}}
        tables:
          - name: no_field
            external_location: data/stale.csv
      - name: plain
        tables:
          - name: plain
            external_location: data/stale.csv
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(
        tmp_path / "fresh",
        {
            "models/sources.yml": SOURCES,
            "data/fresh.csv": f"id,loaded_at\n1,{ago(hours=30)}\n2,{ago(minutes=10)}\n",
            "data/late.csv": f"id,loaded_at\n1,{ago(hours=3)}\n",
            "data/stale.csv": f"id,loaded_at\n1,{ago(days=3)}\n",
            "data/mixed.csv": f"id,kind,loaded_at\n1,old,{ago(days=2)}\n2,new,{ago(minutes=1)}\n",
        },
    )


def test_freshness_statuses_lines_and_exit_code(project: Path) -> None:
    result = cli("source", "freshness", "--project-dir", project)

    assert result.exit_code == 1, result.output
    out = result.output
    assert re.search(r"\d of 5 PASS freshness of crm\.fresh \.+ \[PASS in \d+\.\d\ds\]", out), out
    assert re.search(r"\d of 5 WARN freshness of crm\.late \.+ \[WARN in ", out)
    assert re.search(r"\d of 5 ERROR STALE freshness of crm\.stale \.+ \[ERROR STALE in ", out)
    assert re.search(r"\d of 5 WARN freshness of crm\.relaxed ", out)
    assert re.search(r"\d of 5 ERROR STALE freshness of crm\.filtered ", out)
    assert "crm.unchecked" not in out and "plain.plain" not in out
    assert (
        "source 'other.no_field' (models/sources.yml:26) has a freshness rule but no loaded_at_field" in out
    )
    assert "Error: source crm.stale is stale (models/sources.yml:12)" in out
    assert "its newest row is 3 days old (max(loaded_at) = " in out
    assert "configured to error after 1 day" in out
    assert "Warning: source crm.late is stale (models/sources.yml:10)" in out
    assert "Done. PASS=1 WARN=2 ERROR=2 SKIP=0 TOTAL=5" in out

    found = sources_json(project)
    assert {u: r["status"] for u, r in found.items()} == {
        "source.fresh.crm.fresh": "pass",
        "source.fresh.crm.late": "warn",
        "source.fresh.crm.stale": "error",
        "source.fresh.crm.relaxed": "warn",
        "source.fresh.crm.filtered": "error",
    }
    late = found["source.fresh.crm.late"]
    assert 3 * 3600 - 60 < late["max_loaded_at_time_ago_in_s"] < 3 * 3600 + 60
    assert datetime.fromisoformat(late["snapshotted_at"]).tzinfo is not None
    assert late["criteria"] == {
        "warn_after": {"count": 1, "period": "hour"},
        "error_after": {"count": 1, "period": "day"},
        "filter": None,
    }
    assert found["source.fresh.crm.relaxed"]["criteria"]["error_after"] == {"count": 7, "period": "day"}
    assert found["source.fresh.crm.filtered"]["criteria"]["filter"] == "kind = 'old'"
    assert found["source.fresh.crm.fresh"]["max_loaded_at_time_ago_in_s"] < 3600


def test_freshness_select_and_warnings_only_exit_0(project: Path) -> None:
    result = cli(
        "source", "freshness", "--project-dir", project, "-s", "source:crm.late", "-s", "source:crm.fresh"
    )

    assert result.exit_code == 0, result.output
    assert "Done. PASS=1 WARN=1 ERROR=0 SKIP=0 TOTAL=2" in result.output
    assert set(sources_json(project)) == {"source.fresh.crm.late", "source.fresh.crm.fresh"}


def test_freshness_selector_from_selectors_yml(project: Path) -> None:
    (project / "selectors.yml").write_text(
        "selectors:\n  - name: late_only\n    definition: {method: source, value: crm.late}\n"
    )

    result = cli("source", "freshness", "--project-dir", project, "--selector", "late_only")

    assert result.exit_code == 0, result.output
    assert set(sources_json(project)) == {"source.fresh.crm.late"}


def test_freshness_output_option_and_json_log(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "fresh.json"
    result = cli(
        "source",
        "freshness",
        "--project-dir",
        project,
        "--select",
        "source:crm.fresh",
        "-o",
        out,
        "--log-format",
        "json",
    )

    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    finish = [e for e in events if e["kind"] == "node_finish"]
    assert [(e["result"]["name"], e["result"]["status"]) for e in finish] == [("crm.fresh", "pass")]
    assert json.loads(out.read_text())["results"][0]["status"] == "pass"
    assert not (project / "target" / "sources.json").exists()


def test_freshness_runtime_error_and_no_rows(tmp_path: Path) -> None:
    root = write(
        tmp_path / "broken",
        {
            "models/sources.yml": """
                sources:
                  - name: raw
                    freshness: {warn_after: {count: 1, period: hour}}
                    loaded_at_field: loaded_at
                    tables:
                      - name: missing
                      - name: empty
                        external_location: data/empty.csv
            """,
            "data/empty.csv": "id,loaded_at\n",
        },
    )

    result = cli("source", "freshness", "--project-dir", root)

    assert result.exit_code == 1, result.output
    assert "ERROR freshness of raw.missing" in result.output
    assert "WARN freshness of raw.empty" in result.output
    assert "it has no rows" in result.output
    assert "source 'raw.missing' (models/sources.yml:6): duckdb error" in result.output
    assert "Fix: check that the source table exists and that loaded_at_field 'loaded_at'" in result.output
    found = sources_json(root)
    missing = found["source.broken.raw.missing"]
    assert missing["status"] == "runtime error"
    assert missing["max_loaded_at"] is None and "duckdb error" in missing["error"]
    assert found["source.broken.raw.empty"]["status"] == "warn"


@pytest.fixture
def new_york() -> Iterator[None]:
    """The process (and so DuckDB's session) in America/New_York, five hours behind UTC."""
    import os

    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_freshness_of_timestamp_and_timestamptz_columns_in_a_table(tmp_path: Path, new_york: None) -> None:
    import duckdb

    root = write(
        tmp_path / "tz",
        {
            "models/sources.yml": """
                sources:
                  - name: raw
                    freshness:
                      warn_after: {count: 1, period: hour}
                      error_after: {count: 4, period: hour}
                    tables:
                      - {name: events, loaded_at_field: loaded_tz}
                      - {name: events_naive, identifier: events, loaded_at_field: loaded_naive}
                      - name: events_declared
                        identifier: events
                        loaded_at_field: loaded_tz
                        columns:
                          - {name: loaded_tz, data_type: TIMESTAMPTZ}
                          - {name: loaded_naive, data_type: TIMESTAMP}
            """,
        },
    )
    instant = datetime.now(UTC) - timedelta(hours=2)
    con = duckdb.connect(str(root / "pyflow.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        f"CREATE TABLE raw.events AS SELECT TIMESTAMPTZ '{instant.isoformat()}' AS loaded_tz, "
        f"TIMESTAMP '{instant.replace(tzinfo=None).isoformat()}' AS loaded_naive"
    )
    con.close()

    result = cli("source", "freshness", "--project-dir", root)

    assert result.exit_code == 0, result.output
    found = sources_json(root)
    for table in ("events", "events_naive", "events_declared"):
        row = found[f"source.tz.raw.{table}"]
        assert row["status"] == "warn", (table, row)
        assert abs(row["max_loaded_at_time_ago_in_s"] - 7200) < 120, (table, row)
        assert datetime.fromisoformat(row["max_loaded_at"]) == instant.replace(
            microsecond=instant.microsecond
        )


@pytest.mark.parametrize(
    ("freshness", "code", "texts"),
    [
        (
            "{warn_after: {count: 1, period: hours}}",
            "invalid-config",
            ("period", "'minute', 'hour' or 'day'"),
        ),
        (
            "{warn_afer: {count: 1, period: hour}}",
            "unknown-config-key",
            ("unknown property key 'warn_afer'", "Did you mean 'warn_after'"),
        ),
        ("{error_after: {count: 0, period: day}}", "invalid-config", ("count", "greater than 0")),
        (
            "{warn_after: {count: 1, period: day, every: 2}}",
            "unknown-config-key",
            ("'every'", "count, period"),
        ),
    ],
)
def test_invalid_freshness_config_names_file_line_and_fix(
    tmp_path: Path, freshness: str, code: str, texts: tuple[str, ...]
) -> None:
    root = write(
        tmp_path / "bad",
        {
            "models/sources.yml": f"sources:\n  - name: raw\n    tables:\n      - name: events\n        freshness: {freshness}\n"
        },
    )

    with pytest.raises(PyflowError) as info:
        load_project(root)

    text = str(info.value)
    assert info.value.code == code
    assert text.startswith("models/sources.yml:5: ")
    assert "Fix: " in text
    for part in texts:
        assert part in text
    result = cli("source", "freshness", "--project-dir", root)
    assert result.exit_code == 1
    assert result.stderr == f"pyflow: {text}\n"


def test_docs_show_the_keys_of_sources_json(project: Path) -> None:
    """docs/artifacts.md's sources.json example has exactly the keys pyflow writes."""
    cli("source", "freshness", "--project-dir", project, "--select", "source:crm.late")
    real = json.loads((project / "target" / "sources.json").read_text())
    doc = (REPO / "docs" / "artifacts.md").read_text()
    section = doc[doc.index("## target/sources.json") :]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None, "docs/artifacts.md shows no sources.json example"
    shown = json.loads(block[1])
    assert shown.keys() == real.keys()
    assert shown["metadata"].keys() == real["metadata"].keys()
    assert shown["results"][0].keys() == real["results"][0].keys()
    assert shown["results"][0]["criteria"].keys() == real["results"][0]["criteria"].keys()
