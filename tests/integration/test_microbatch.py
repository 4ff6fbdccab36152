"""Microbatch incremental models (dbt 1.9+) on DuckDB: batches by event time, inputs with an
``event_time`` filtered to each batch, each batch's window replaced atomically, a failed batch
named, and the default window (``begin`` first, then ``lookback``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EVENTS = """event_time,id,amount
2024-01-01 08:00:00,1,10
2024-01-01 23:59:59,2,20
2024-01-02 00:00:00,3,30
2024-01-03 12:00:00,4,40
2024-01-05 12:00:00,5,50
"""

MODEL = """{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='event_time',
    batch_size='day', begin='2024-01-01') }}
select event_time, id, amount{{ extra }} from {{ ref('events') }}
"""


def _project(make_project: Any, extra: str = "", batch_size: str = "day") -> Path:
    return make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj", "seeds": {"+event_time": "event_time"}}),
            "seeds/events.csv": EVENTS,
            "models/daily.sql": MODEL.replace("{{ extra }}", extra).replace("'day'", f"'{batch_size}'"),
        }
    )


def _batches(output: str) -> list[str]:
    return re.findall(r"model 'daily': (batch \d+ of \d+ \[[^)]*\) \w+)", output)


def test_microbatch_builds_each_batch_of_the_given_window(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("seed", "--project-dir", project)

    result = pyflow(
        "run", "--project-dir", project, "--event-time-start", "2024-01-01", "--event-time-end", "2024-01-04"
    )

    assert _batches(result.output) == [
        "batch 1 of 3 [2024-01-01 00:00, 2024-01-02 00:00) done",
        "batch 2 of 3 [2024-01-02 00:00, 2024-01-03 00:00) done",
        "batch 3 of 3 [2024-01-03 00:00, 2024-01-04 00:00) done",
    ]
    rows = warehouse(project).rows("SELECT id, amount FROM main.daily ORDER BY id")
    assert rows == [(1, 10), (2, 20), (3, 30), (4, 40)]  # 2024-01-05 is outside the window


def test_microbatch_replaces_only_its_window(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("seed", "--project-dir", project)
    window = ("--event-time-start", "2024-01-01", "--event-time-end", "2024-01-04")
    pyflow("run", "--project-dir", project, *window)
    (project / "seeds/events.csv").write_text(EVENTS.replace(",1,10", ",1,11").replace(",3,30", ",3,33"))
    pyflow("seed", "--project-dir", project)

    result = pyflow(
        "run", "--project-dir", project, "--event-time-start", "2024-01-02", "--event-time-end", "2024-01-03"
    )

    assert _batches(result.output) == ["batch 1 of 1 [2024-01-02 00:00, 2024-01-03 00:00) done"]
    rows = warehouse(project).rows("SELECT id, amount FROM main.daily ORDER BY id")
    assert rows == [(1, 10), (2, 20), (3, 33), (4, 40)]  # day 1 kept its old row; day 2 replaced


def test_microbatch_a_failed_batch_is_named_and_leaves_its_window(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("seed", "--project-dir", project)
    window = ("--event-time-start", "2024-01-01", "--event-time-end", "2024-01-04")
    pyflow("run", "--project-dir", project, *window)
    # the row of id 3 (day 2 only) fails to convert; the other days' batches succeed
    failing = "case when id = 3 then cast('x' || id as integer) else amount + 1 end as amount"
    (project / "models/daily.sql").write_text(MODEL.replace("amount{{ extra }}", failing))

    result = pyflow("run", "--project-dir", project, *window, expect=1)

    assert _batches(result.output) == [
        "batch 1 of 3 [2024-01-01 00:00, 2024-01-02 00:00) done",
        "batch 2 of 3 [2024-01-02 00:00, 2024-01-03 00:00) failed",
        "batch 3 of 3 [2024-01-03 00:00, 2024-01-04 00:00) done",
    ]
    assert "1 of 3 batches failed: [2024-01-02 00:00, 2024-01-03 00:00)" in result.output
    assert "[microbatch-failed]" in result.output
    rows = warehouse(project).rows("SELECT id, amount FROM main.daily ORDER BY id")
    assert rows == [(1, 11), (2, 21), (3, 30), (4, 41)]  # day 2 rolled back to its old row


def test_microbatch_default_window_is_begin_then_lookback(make_project, pyflow, warehouse):
    project = _project(make_project, batch_size="year")
    pyflow("seed", "--project-dir", project)

    first = pyflow("run", "--project-dir", project)
    second = pyflow("run", "--project-dir", project)

    years = [b.split(" [")[1][:4] for b in _batches(first.output)]
    this_year = datetime.now(UTC).year
    assert years == [str(y) for y in range(2024, this_year + 1)]  # begin up to the current (partial) year
    again = [b.split(" [")[1][:4] for b in _batches(second.output)]
    assert again == years[-2:]  # lookback 1: the previous year and the current one
    assert warehouse(project).rows("SELECT count(*) FROM main.daily") == [(5,)]


def test_microbatch_retry_reruns_the_model_over_the_recorded_window(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("seed", "--project-dir", project)
    window = ("--event-time-start", "2024-01-02", "--event-time-end", "2024-01-04")
    failing = "case when id = 3 then cast('x' || id as integer) else amount end as amount"
    (project / "models/daily.sql").write_text(MODEL.replace("amount{{ extra }}", failing))
    pyflow("run", "--project-dir", project, *window, expect=1)
    (project / "models/daily.sql").write_text(MODEL.replace("{{ extra }}", ""))

    result = pyflow("retry", "--project-dir", project)

    assert _batches(result.output) == [
        "batch 1 of 2 [2024-01-02 00:00, 2024-01-03 00:00) done",
        "batch 2 of 2 [2024-01-03 00:00, 2024-01-04 00:00) done",
    ]
    assert warehouse(project).rows("SELECT id FROM main.daily ORDER BY id") == [(3,), (4,)]


def test_microbatch_filters_a_source_with_event_time(make_project, pyflow, warehouse):
    project = make_project(
        {
            "pyflow.yml": json.dumps({"name": "proj"}),
            "seeds/raw_events.csv": EVENTS,
            "models/sources.yml": """
                sources:
                  - name: raw
                    schema: main
                    tables:
                      - name: raw_events
                        config: {event_time: event_time}
            """,
            "models/daily.sql": MODEL.replace(
                "{{ ref('events') }}", "{{ source('raw', 'raw_events') }}"
            ).replace("{{ extra }}", ""),
        }
    )
    pyflow("seed", "--project-dir", project)

    result = pyflow(
        "run", "--project-dir", project, "--event-time-start", "2024-01-02", "--event-time-end", "2024-01-04"
    )

    assert len(_batches(result.output)) == 2
    assert warehouse(project).rows("SELECT id FROM main.daily ORDER BY id") == [(3,), (4,)]


def test_microbatch_with_hooks_still_commits_batch_by_batch(make_project, pyflow, warehouse):
    project = _project(make_project)
    pyflow("seed", "--project-dir", project)
    window = ("--event-time-start", "2024-01-01", "--event-time-end", "2024-01-04")
    pyflow("run", "--project-dir", project, *window)
    failing = "case when id = 3 then cast('x' || id as integer) else amount + 1 end as amount"
    hooked = MODEL.replace("begin='2024-01-01'", "begin='2024-01-01', post_hook='select 1'")
    (project / "models/daily.sql").write_text(hooked.replace("amount{{ extra }}", failing))

    result = pyflow("run", "--project-dir", project, *window, expect=1)

    assert [b.rsplit(" ", 1)[1] for b in _batches(result.output)] == ["done", "failed", "done"]
    rows = warehouse(project).rows("SELECT id, amount FROM main.daily ORDER BY id")
    assert rows == [(1, 11), (2, 21), (3, 30), (4, 41)]
