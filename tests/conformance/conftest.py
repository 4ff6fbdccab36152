"""Engines the conformance suite runs on: ``engine_adapter`` is parametrized over them.

``duckdb`` always runs (a private in-memory database), and so does ``trino-on-duckdb``: the Trino
adapter's code paths on DuckDB behind sqlglot (see :mod:`tests.conformance.emulated`).
``trino`` runs on a live server, once per catalog, and ``athena`` only when its environment is set:

=========  =======================================  ==================================================
engine     enabled by                               other settings (defaults)
=========  =======================================  ==================================================
trino      a server answering at ``PYFLOW_TRINO_URL``  ``PYFLOW_TEST_TRINO_CATALOGS`` (memory,iceberg,hive;
           (default http://127.0.0.1:18080, what     ``_CATALOG`` names one), ``_USER`` (pyflow),
           ``scripts/trino.sh start`` serves)        ``_SCHEMA`` (pyflow_conformance_<per session>)
athena     ``PYFLOW_TEST_ATHENA_S3_STAGING_DIR``    ``_REGION`` (us-east-1), ``_CATALOG`` (awsdatacatalog),
                                                    ``_SCHEMA`` (pyflow_conformance), ``_WORK_GROUP`` (primary)
=========  =======================================  ==================================================

On the live server every test runs on ``iceberg`` and a declared share on ``memory`` and
``hive`` (:mod:`.live`; all of them under ``PYFLOW_TEST_TRINO_FULL=true``).
The ``trino`` engines are skipped with one line when no server answers, and fail under
``PYFLOW_TRINO_REQUIRED=true`` (the ``trino_server`` fixture of ``tests/conftest.py``). A catalog the server does
not have is skipped. Strategies are declared per connector (:data:`SUPPORTED_STRATEGIES`), which
the suite reads from ``system.metadata.catalogs``.

Remote targets are built the way users build them: a ``profiles.yml`` (values read with
``env_var``) resolved by ``load_target``, then ``adapter_class(type)(target.config)``.

One adapter is shared per test module (connections are slow to open); the function-scoped
``adapter`` fixture drops the suite's tables first, so every test starts from an empty schema.
Property tests take ``engine_adapter`` and reset it per example themselves.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.base import Adapter
from pyflow.errors import ProjectError, PyflowError

from . import live
from .tables import reset

REMOTE_ENV = {
    "athena": "PYFLOW_TEST_ATHENA_S3_STAGING_DIR",
}

PROFILES = {
    "trino": """
        conformance:
          target: trino
          outputs:
            trino:
              type: trino
              host: "{host}"
              port: {port}
              user: "{{{{ env_var('PYFLOW_TEST_TRINO_USER', 'pyflow') }}}}"
              database: "{catalog}"
              schema: "{schema}"
    """,
    "athena": """
        conformance:
          target: athena
          outputs:
            athena:
              type: athena
              s3_staging_dir: "{{ env_var('PYFLOW_TEST_ATHENA_S3_STAGING_DIR') }}"
              region_name: "{{ env_var('PYFLOW_TEST_ATHENA_REGION', 'us-east-1') }}"
              database: "{{ env_var('PYFLOW_TEST_ATHENA_CATALOG', 'awsdatacatalog') }}"
              schema: "{{ env_var('PYFLOW_TEST_ATHENA_SCHEMA', 'pyflow_conformance') }}"
              work_group: "{{ env_var('PYFLOW_TEST_ATHENA_WORK_GROUP', 'primary') }}"
    """,
}


def _remote(engine: str) -> Any:
    marks = [
        getattr(pytest.mark, engine),
        pytest.mark.skipif(
            not os.environ.get(REMOTE_ENV[engine]),
            reason=f"set {REMOTE_ENV[engine]} to run the conformance suite on {engine}",
        ),
    ]
    return pytest.param(engine, marks=marks, id=engine)


def trino_catalogs() -> list[str]:
    """The catalogs of the live server the suite runs on (``PYFLOW_TEST_TRINO_CATALOGS``)."""
    names = os.environ.get("PYFLOW_TEST_TRINO_CATALOGS") or os.environ.get(
        "PYFLOW_TEST_TRINO_CATALOG", "memory,iceberg,hive"
    )
    return [n.strip() for n in names.split(",") if n.strip()]


def _trino(catalog: str) -> Any:
    return pytest.param(f"trino:{catalog}", marks=pytest.mark.trino, id=f"trino-{catalog}")


ENGINES = [
    pytest.param("duckdb", marks=pytest.mark.duckdb, id="duckdb"),
    pytest.param("trino-on-duckdb", marks=pytest.mark.emulated, id="trino-on-duckdb"),
    *(_trino(c) for c in trino_catalogs()),
    _remote("athena"),
]


PROPERTY_EXAMPLES = {"duckdb": 200, "trino-on-duckdb": 40}
"""Hypothesis examples per property test and engine; a live engine runs 5 (each is dozens of queries)."""


def property_settings(request: pytest.FixtureRequest) -> Any:
    """Hypothesis settings of the running property test on its engine (examples per engine)."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=PROPERTY_EXAMPLES.get(engine_of(request), 5),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def engine_of(request: pytest.FixtureRequest) -> str:
    """The engine id (``duckdb``, ``trino-on-duckdb``, ``trino:memory`` ...) the running test is parametrized with."""
    return str(request.node.callspec.params["engine_adapter"])


def base_engine(engine: str) -> str:
    """``trino`` for ``trino:<catalog>``; other engine ids as they are."""
    return engine.partition(":")[0]


TRINO_SCHEMA = os.environ.get("PYFLOW_TEST_TRINO_SCHEMA") or f"pyflow_conformance_{uuid.uuid4().hex[:8]}"
"""The schema of this session's live Trino tables: its own, so two sessions on one server never meet."""

_CONNECTORS: dict[str, str] = {}
"""Catalog -> connector of the live Trino server (filled when the server is found)."""


def connect(
    engine: str, workdir: Path, beside: Adapter | None = None, request: pytest.FixtureRequest | None = None
) -> Adapter:
    """A new adapter for ``engine`` (skips when pyflow does not have that adapter yet).

    ``beside``: an open adapter of the same engine whose database the new one must share
    (only the emulated engine needs it: its database lives in the process). ``request`` finds
    the live Trino server (the session's ``trino_server`` fixture).
    """
    from pyflow.adapters import adapter_class

    if engine == "duckdb":
        from pyflow.adapters.duckdb import DuckDBAdapter

        local = DuckDBAdapter.in_memory(invocation_id=uuid.uuid4().hex)
        local.execute("SET threads = 1")  # the suite's tables are tiny: threads only cost time
        return local
    if engine == "trino-on-duckdb":
        from .emulated import emulated_trino

        emulated = emulated_trino(uuid.uuid4().hex, beside=beside)
        emulated.execute(emulated.create_schema_sql(emulated.database, emulated.schema))
        return emulated
    engine, _, catalog = engine.partition(":")
    profile = textwrap.dedent(PROFILES[engine])
    if engine == "trino":
        assert request is not None, "the live Trino engine needs the test's request"
        server = request.getfixturevalue("trino_server")
        if catalog not in server.catalogs:
            pytest.skip(f"the Trino server at {server.url} has no catalog {catalog!r}")
        _CONNECTORS.update(server.catalogs)
        profile = profile.format(host=server.host, port=server.port, catalog=catalog, schema=TRINO_SCHEMA)
    try:
        cls = adapter_class(engine)
    except ProjectError as exc:
        pytest.skip(f"pyflow has no {engine} adapter yet: {exc.message}")
    from pyflow.config.profile import load_target

    folder = workdir / f"profile_{engine}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(profile, encoding="utf-8")
    try:
        target = load_target(folder, "conformance", engine, profiles_dir=folder)
    except ProjectError as exc:
        if exc.code != "unknown-target-type":
            raise
        pytest.skip(f"pyflow has no '{engine}' target type in profiles.yml yet: {exc.message}")
    adapter = cls(target.config, invocation_id=uuid.uuid4().hex)
    adapter.execute(adapter.create_schema_sql(adapter.database, adapter.schema))
    return adapter


ALL_STRATEGIES = frozenset({"append", "merge", "delete+insert", "insert_overwrite"})

SUPPORTED_STRATEGIES: dict[tuple[str, str], frozenset[str]] = {
    ("duckdb", "tables"): ALL_STRATEGIES,
    ("trino-on-duckdb", "tables"): ALL_STRATEGIES,
    ("trino", "iceberg"): ALL_STRATEGIES,
    ("trino", "hive"): frozenset({"append", "insert_overwrite"}),
    ("trino", "hive unpartitioned"): frozenset({"append"}),
    ("trino", "memory"): frozenset({"append"}),
    ("athena", "iceberg"): ALL_STRATEGIES,
    ("athena", "hive"): frozenset({"append", "insert_overwrite"}),
}
"""The incremental strategies each engine (and catalog or table type) supports: declared once, here.

A test whose strategy is declared unsupported must get ``unsupported-strategy`` (it is then
skipped, naming the declaration); an engine that refuses a declared strategy, or accepts one
declared unsupported, fails the test. The storage is the Trino catalog
catalog's connector (``memory``: no row-level writes; ``hive``: no MERGE, partitions overwritten
whole), Athena's ``table_type``, or ``tables`` for the others.
"""

UNPARTITIONED_SETUP_REFUSED = frozenset({("athena", "hive"), ("trino", "hive")})
"""Where an insert_overwrite by partitions must fail with ``partitioning-changed`` on the suite's
tables: the suite loads them from frames, unpartitioned, and an Athena Hive insert_overwrite
replaces Glue partitions, so it refuses a table that has none."""

CANNOT_DROP_COLUMNS = frozenset({("trino", "memory"), ("athena", "hive")})
"""Where ``on_schema_change: sync_all_columns`` must be refused with ``unsupported-schema-change``
(the tables cannot drop columns); such a test is then skipped, naming the declaration."""

TYPE_CHANGES: dict[tuple[str, str], str] = {
    ("trino", "iceberg"): "promotions",
    ("trino", "hive"): "none",
    ("trino", "hive unpartitioned"): "none",
    ("trino", "memory"): "none",
    ("athena", "iceberg"): "promotions",
}
"""Where ``on_schema_change: sync_all_columns`` must refuse a column type change with
``unsupported-schema-change`` before writing anything (storage keys as in :data:`SUPPORTED_STRATEGIES`):
``promotions``, every change but Iceberg's type promotions (``integer -> bigint`` is one,
``varchar -> bigint`` is not); ``none``, every change (Trino 476's hive and memory connectors:
"This connector does not support setting column types"). Elsewhere every change is made."""

NO_TIME_ZONE_TYPE = frozenset({("trino", "hive")})
"""Where tables cannot store ``TIMESTAMP WITH TIME ZONE`` (Hive: "Unsupported Hive type"): a test
loading time-zone-aware frames is skipped there, naming the declaration."""

ADDED_COLUMNS_UNREADABLE = frozenset({("trino", "memory")})
"""Where reading a column that ``ALTER TABLE ADD COLUMN`` added fails for rows written before it
(Trino 476's memory connector: ``GENERIC_INTERNAL_ERROR: Index 3 out of bounds for length 3``,
an engine bug): a test that adds a column to a table with rows is skipped there, naming it."""

_DECLARED = pytest.StashKey[tuple[str, str, str]]()
"""(engine, storage, strategy) of the last strategy check of a test that was declared unsupported."""
_STORAGE = pytest.StashKey[tuple[str, str]]()
"""(engine, storage) of the last strategy check of a test."""


def refuses_type_change(request: pytest.FixtureRequest, config: dict[str, Any], old: str, new: str) -> bool:
    """Whether :data:`TYPE_CHANGES` declares that the running engine refuses ``old -> new``
    (``varchar -> bigint`` or ``integer -> bigint``) for a table with ``config``.

    False where the strategy, or ``sync_all_columns`` itself, is declared unsupported: that
    refusal comes first.
    """
    from types import SimpleNamespace

    from pyflow.adapters.base import TableOptions

    engine = engine_of(request)
    key = (base_engine(engine), storage_of(engine, TableOptions.from_config(SimpleNamespace(**config))))
    strategy = config.get("incremental_strategy") or ("merge" if config.get("unique_key") else "append")
    if strategy not in SUPPORTED_STRATEGIES.get(key, ALL_STRATEGIES) or key in CANNOT_DROP_COLUMNS:
        return False  # refused before any type is compared (the test then skips, naming that)
    rules = TYPE_CHANGES.get(key)
    return rules == "none" or (rules == "promotions" and (old, new) != ("integer", "bigint"))


def storage_of(engine: str, options: Any) -> str:
    """The key of :data:`SUPPORTED_STRATEGIES` next to ``engine`` for a table stored with ``options``."""
    engine, _, catalog = engine.partition(":")
    if engine == "trino":
        connector = _CONNECTORS.get(catalog, catalog)
        # hive overwrites partitions: insert_overwrite needs partitioned_by there
        return (
            f"{connector} unpartitioned" if connector == "hive" and not options.partitioned_by else connector
        )
    if engine == "athena":
        return "iceberg" if options.is_iceberg else "hive"
    return "tables"


@pytest.fixture(autouse=True)
def declared_strategies(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check every strategy decision of the running test against :data:`SUPPORTED_STRATEGIES`."""
    callspec = getattr(request.node, "callspec", None)
    param = callspec.params.get("engine_adapter") if callspec else None
    if param is None:
        return
    engine = base_engine(param)
    from pyflow.adapters.base import TableOptions
    from pyflow.errors import UnsupportedError
    from pyflow.materializers import incremental

    real = incremental.resolve_strategy

    def checked(cfg: Any, adapter: Any) -> str:
        storage = storage_of(param, TableOptions.from_config(cfg))
        request.node.stash[_STORAGE] = (engine, storage)
        if (engine, storage) not in SUPPORTED_STRATEGIES:
            pytest.fail(f"declare the strategies {engine} supports on {storage} in SUPPORTED_STRATEGIES")
        declared = SUPPORTED_STRATEGIES[(engine, storage)]
        requested = getattr(cfg, "incremental_strategy", None)
        try:
            strategy = real(cfg, adapter)
        except UnsupportedError as exc:
            if exc.code == "unsupported-strategy" and requested is not None and requested not in declared:
                request.node.stash[_DECLARED] = (engine, storage, requested)
                raise
            if exc.code == "unsupported-schema-change" and (engine, storage) in CANNOT_DROP_COLUMNS:
                request.node.stash[_DECLARED] = (engine, storage, "sync_all_columns (no DROP COLUMN)")
                raise
            pytest.fail(
                f"{engine} ({storage}) refused incremental_strategy {requested!r} [{exc.code}], "
                f"but the suite declares it supports {sorted(declared)}: {exc.message}"
            )
        if strategy not in declared:
            pytest.fail(
                f"{engine} ({storage}) accepted incremental_strategy {strategy!r}, "
                f"which the suite declares unsupported (it supports {sorted(declared)})"
            )
        return strategy

    monkeypatch.setattr(incremental, "resolve_strategy", checked)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A strategy declared unsupported on the engine skips, naming the declaration; nothing else does."""
    try:
        return (yield)
    except PyflowError as exc:
        declared = item.stash.get(_DECLARED, None)
        if exc.code in ("unsupported-strategy", "unsupported-schema-change") and declared is not None:
            engine, storage, strategy = declared
            pytest.skip(f"{engine} ({storage}) declares no {strategy}: {exc.message}")
        callspec = getattr(item, "callspec", None)
        param = str(callspec.params.get("engine_adapter", "")) if callspec else ""
        engine, _, catalog = param.partition(":")
        if (
            engine,
            _CONNECTORS.get(catalog, catalog),
        ) in ADDED_COLUMNS_UNREADABLE and "out of bounds for length" in exc.message:
            pytest.skip(
                f"{param}: a column added by ALTER TABLE ADD COLUMN is unreadable (engine bug): {exc.message}"
            )
        if (
            engine,
            _CONNECTORS.get(catalog, catalog),
        ) in NO_TIME_ZONE_TYPE and "with time zone" in exc.message:
            pytest.skip(f"{param}: no TIMESTAMP WITH TIME ZONE columns (NO_TIME_ZONE_TYPE): {exc.message}")
        if (
            exc.code == "partitioning-changed"
            and item.stash.get(_STORAGE, None) in UNPARTITIONED_SETUP_REFUSED
        ):
            pytest.skip(f"{exc.message} (the suite's tables are unpartitioned)")
        raise


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the live tests that :mod:`.live` does not run on their catalog."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = str(callspec.params.get("engine_adapter", "")) if callspec else ""
        test = getattr(item, "originalname", item.name)
        if engine.startswith("trino:") and not live.runs_on(engine.partition(":")[2], test):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="module", params=ENGINES)
def engine_adapter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Adapter]:
    """One adapter per engine, shared by the tests of a module."""
    adapter = connect(request.param, tmp_path_factory.mktemp("conformance"), request=request)
    try:
        yield adapter
    finally:
        try:
            reset(adapter)
        finally:
            adapter.close()


@pytest.fixture
def adapter(engine_adapter: Adapter) -> Adapter:
    """The module's adapter with the suite's tables dropped."""
    reset(engine_adapter)
    return engine_adapter


@pytest.fixture
def new_adapter(
    engine_adapter: Adapter, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Adapter]]:
    """Open further adapters of the same engine (closed at teardown)."""
    opened: list[Adapter] = []

    def open_one() -> Adapter:
        one = connect(engine_of(request), tmp_path, beside=engine_adapter, request=request)
        opened.append(one)
        return one

    yield open_one
    for one in opened:
        try:
            reset(one)
        finally:
            one.close()
