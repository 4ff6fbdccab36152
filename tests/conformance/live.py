"""Which conformance tests run on which catalog of the live Trino server.

Every test of the suite runs on the ``iceberg`` catalog, whose tables support everything the
suite asks (MERGE, DELETE, CREATE OR REPLACE, DROP COLUMN, type promotions, partitions). The
``memory`` and ``hive`` catalogs run the tests of what each is there to prove (:data:`ON_CATALOG`):
``memory`` the basics (append, first builds, full refreshes, failures, snapshots rebuilt without
MERGE), ``hive`` partitions and partition overwrite. That keeps the live run of ``.ci/run``
near ten minutes on two cores; ``PYFLOW_TEST_TRINO_FULL=true`` (``nox -s trino_full``) runs every
test on every catalog in ``PYFLOW_TEST_TRINO_CATALOGS`` (about 25 minutes).
"""

from __future__ import annotations

import os

ALL_TESTS = "iceberg"
"""The catalog that runs every test of the suite."""

ON_CATALOG: dict[str, frozenset[str]] = {
    "memory": frozenset(
        {
            "test_incremental_step_gives_expected_rows",
            "test_incremental_full_refresh_takes_the_batch_schema",
            "test_incremental_step_first_run_starts_from_no_table",
            "test_incremental_first_build_with_duplicate_keys_fails_and_creates_no_table",
            "test_incremental_failing_after_a_write_leaves_the_target_unchanged",
            "test_a_changed_column_type_is_cast_or_altered_for_every_strategy",
            "test_snapshot_records_updates_inserts_deletes_and_reinserts",
            "test_invalidate_hard_deletes_true_acts_as_invalidate",
            "test_snapshot_step_first_run_starts_from_no_table",
        }
    ),
    "hive": frozenset(
        {
            "test_incremental_step_gives_expected_rows",
            "test_incremental_step_twice_is_idempotent",
            "test_incremental_batch_columns_match_by_name_not_position",
            "test_incremental_duplicate_keys_are_fine_for_append_and_insert_overwrite",
            "test_incremental_failing_after_a_write_leaves_the_target_unchanged",
            "test_a_changed_column_type_is_cast_or_altered_for_every_strategy",
            "test_snapshot_records_updates_inserts_deletes_and_reinserts",
            "test_snapshot_step_keeps_the_type_of_an_all_null_column",
        }
    ),
}
"""Catalog -> the test functions it runs besides ``iceberg`` (a catalog not listed runs all)."""


def is_full() -> bool:
    """``PYFLOW_TEST_TRINO_FULL=true``: every test on every catalog."""
    return os.environ.get("PYFLOW_TEST_TRINO_FULL", "").lower() == "true"


def runs_on(catalog: str, test: str) -> bool:
    """Whether the test function named ``test`` runs on the live ``catalog`` in this session."""
    if is_full() or catalog == ALL_TESTS or catalog not in ON_CATALOG:
        return True
    return test in ON_CATALOG[catalog]
