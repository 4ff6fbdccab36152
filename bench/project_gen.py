"""Generate a synthetic pyflow project of N models for benchmarks.

The project has one Parquet source (``raw.events``, written with DuckDB's ``range()``) and N
models laid out in ``depth`` layers, so the DAG is ``depth`` models deep:

- ``models/staging/`` (layer 0): filters and mutates reading the source; views (folder config).
- ``models/intermediate/layer_NN/`` (layers 1 .. depth-2): filters, mutates and joins of two
  upstreams, each reading a random model of the layer just above (plus, for joins, one of any
  earlier layer), so fan-out is random; about 1 in 7 is an aggregate leaf. Tables by default,
  about 1 in 6 a view (in-file config).
- ``models/marts/`` (last layer): group-by/aggregate leaves; tables.

Models alternate between Python ``@model`` functions returning Ibis expressions (even index)
and Jinja SQL models using ``ref``/``source`` (odd index), so each language is half the project;
``--language python`` (or ``sql``) writes every model in one language, same layout.
Every non-leaf model keeps the source's row schema, so any model can feed any other and row
counts stay close to the source's. The layout is deterministic for a given (N, depth, seed).

Run as a script to write a project for manual profiling::

    python bench/project_gen.py /tmp/p100 --models 100
"""

from __future__ import annotations

import argparse
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_ROWS = 200_000
DEPTH = 10

PYFLOW_YML = """\
name: bench
vars:
  min_amount: 0.5
models:
  +materialized: table
  staging:
    +materialized: view
"""

# In the project folder, so a ~/.pyflow/profiles.yml cannot redirect the benchmark.
PROFILES_YML = """\
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: pyflow.duckdb
"""

SOURCES_YML = """\
version: 2

sources:
  - name: raw
    external_location: "data/{name}.parquet"
    tables:
      - name: events
        columns:
          - {name: id, data_type: BIGINT}
          - {name: customer_id, data_type: BIGINT}
          - {name: category, data_type: BIGINT}
          - {name: amount, data_type: DOUBLE}
          - {name: day, data_type: DATE}
          - {name: status, data_type: VARCHAR}
"""

MACROS_SQL = """\
{#- Round a money amount to cents. -#}
{% macro money(expr) %}round({{ expr }}, 2){% endmacro %}
"""

SOURCE_SQL = """\
COPY (
    SELECT
        range AS id,
        range % 5000 AS customer_id,
        range % 20 AS category,
        (range % 1000) / 10.0 AS amount,
        DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS day,
        ['new', 'paid', 'shipped', 'returned'][range % 4 + 1] AS status
    FROM range({rows})
) TO '{path}' (FORMAT parquet)
"""

ROW_KINDS = ("filter", "mutate", "join")


@dataclass
class ModelPlan:
    """One generated model: its name, layer, operation and upstream names."""

    index: int
    layer: int
    kind: str
    parents: list[str] = field(default_factory=list)
    view: bool = False
    language: str = "mixed"

    @property
    def name(self) -> str:
        """Model (and table) name."""
        return f"m{self.index:04d}"

    @property
    def is_python(self) -> bool:
        """Even models are Python, odd ones SQL (all one language unless ``language`` is mixed)."""
        if self.language != "mixed":
            return self.language == "python"
        return self.index % 2 == 0

    @property
    def is_leaf(self) -> bool:
        """Aggregates change the row schema, so nothing reads them."""
        return self.kind == "aggregate"


@dataclass
class ProjectPlan:
    """The models of a generated project, in layer order."""

    models: list[ModelPlan]
    depth: int

    def count(self, predicate: str) -> int:
        """How many models have a truthy attribute ``predicate`` (e.g. ``is_python``)."""
        return sum(1 for m in self.models if getattr(m, predicate))

    def summary(self) -> str:
        """A one-line description (models, languages, kinds, materializations, depth)."""
        kinds = {k: sum(1 for m in self.models if m.kind == k) for k in (*ROW_KINDS, "aggregate")}
        views = self.count("view")
        return (
            f"{len(self.models)} models ({self.count('is_python')} Python, "
            f"{len(self.models) - self.count('is_python')} SQL; "
            + ", ".join(f"{v} {k}" for k, v in kinds.items())
            + f"; {len(self.models) - views} tables, {views} views; depth {self.depth})"
        )


LANGUAGES = ("mixed", "python", "sql")


def plan_project(n: int, depth: int = DEPTH, seed: int = 0, language: str = "mixed") -> ProjectPlan:
    """Lay out ``n`` models over ``min(depth, n)`` layers, in ``language`` (see :data:`LANGUAGES`).

    The layout (layers, kinds, parents) depends only on ``(n, depth, seed)``, not on the language.
    """
    if n < 1:
        raise SystemExit("the project needs at least one model")
    if language not in LANGUAGES:
        raise SystemExit(f"unknown language {language!r}: pick one of {', '.join(LANGUAGES)}")
    depth = max(1, min(depth, n))
    rng = random.Random(seed)
    models: list[ModelPlan] = []
    row_models: list[list[str]] = [[] for _ in range(depth)]
    for i in range(n):
        layer = i * depth // n
        first_in_layer = not models or models[-1].layer != layer
        if layer == 0:
            plan = ModelPlan(i, 0, rng.choice(("filter", "mutate")), ["raw.events"], view=True)
        elif layer == depth - 1 and depth > 1:
            plan = ModelPlan(i, layer, "aggregate", [rng.choice(row_models[layer - 1])])
        else:
            earlier = [m for lay in row_models[:layer] for m in lay]
            roll = rng.random()
            if roll < 0.14 and not first_in_layer:
                kind = "aggregate"
            elif roll < 0.40 and len(earlier) > 1:
                kind = "join"
            else:
                kind = rng.choice(("filter", "mutate"))
            primary = rng.choice(row_models[layer - 1])
            parents = [primary]
            if kind == "join":
                parents.append(rng.choice([m for m in earlier if m != primary]))
            plan = ModelPlan(i, layer, kind, parents, view=kind != "aggregate" and rng.random() < 1 / 6)
        plan.language = language
        if not plan.is_leaf:
            row_models[layer].append(plan.name)
        models.append(plan)
    return ProjectPlan(models, depth)


# ---- model text -------------------------------------------------------------------------------
def _python_model(m: ModelPlan) -> str:
    config = ', materialized="view"' if m.view and m.layer > 0 else ""
    if m.layer == 0:
        params, t = "raw__events: ibis.Table", "raw__events"
    else:
        params = ", ".join(f"{p}: ibis.Table" for p in m.parents)
        t = m.parents[0]
    if m.kind == "filter":
        body = f"t = {t}\n    return t.filter(t.amount >= {0.5 * (m.index % 3)}, t.status != 'void')"
    elif m.kind == "mutate":
        body = (
            f"t = {t}\n"
            "    return t.mutate(\n"
            "        category=(t.category + 1) % 20,\n"
            "        amount=(t.amount * 1.01).round(2),\n"
            "        status=t.status.lower(),\n"
            "    )"
        )
    elif m.kind == "join":
        a, b = m.parents
        body = (
            f"a, b = {a}, {b}\n"
            "    return a.join(b, a.id == b.id).select(\n"
            "        id=a.id,\n"
            "        customer_id=a.customer_id,\n"
            "        category=a.category,\n"
            "        amount=a.amount + b.amount * 0.5,\n"
            "        day=a.day,\n"
            "        status=a.status,\n"
            "    )"
        )
    else:
        body = (
            f"t = {t}\n"
            "    return t.group_by(['customer_id', 'category']).aggregate(\n"
            "        orders=t.count(), total=t.amount.sum(), last_day=t.day.max()\n"
            "    )"
        )
    doc = f"{m.kind.capitalize()} model {m.name} (layer {m.layer}) of the benchmark project."
    return (
        f'"""{doc}"""\n\nimport ibis\n\nfrom pyflow import model\n\n\n'
        f"@model{'(' + config[2:] + ')' if config else ''}\n"
        f"def {m.name}({params}) -> ibis.Table:\n"
        f'    """{m.kind} of {", ".join(m.parents)}."""\n'
        f"    {body}\n"
    )


def _sql_model(m: ModelPlan) -> str:
    head = f"-- {m.kind} model {m.name} (layer {m.layer}) of the benchmark project.\n"
    if m.view and m.layer > 0:
        head += "{{ config(materialized='view') }}\n"
    src = "{{ source('raw', 'events') }}" if m.layer == 0 else f"{{{{ ref('{m.parents[0]}') }}}}"
    if m.kind == "filter":
        body = f"select *\nfrom {src}\nwhere amount >= {{{{ var('min_amount') }}}} * {m.index % 3}\n  and status <> 'void'"
    elif m.kind == "mutate":
        body = textwrap.dedent(f"""\
            select
                id,
                customer_id,
                (category + 1) % 20 as category,
                {{{{ money('amount * 1.01') }}}} as amount,
                day,
                lower(status) as status
            from {src}""")
    elif m.kind == "join":
        body = textwrap.dedent(f"""\
            select a.id, a.customer_id, a.category, a.amount + b.amount * 0.5 as amount, a.day, a.status
            from {{{{ ref('{m.parents[0]}') }}}} as a
            join {{{{ ref('{m.parents[1]}') }}}} as b on a.id = b.id""")
    else:
        body = textwrap.dedent(f"""\
            select customer_id, category, count(*) as orders, sum(amount) as total, max(day) as last_day
            from {src}
            group by customer_id, category""")
    return head + body + "\n"


def _folder(m: ModelPlan, depth: int) -> str:
    if m.layer == 0:
        return "staging"
    if m.layer == depth - 1:
        return "marts"
    return f"intermediate/layer_{m.layer:02d}"


def write_source(path: Path, rows: int = SOURCE_ROWS) -> None:
    """Write the ``raw.events`` Parquet file with DuckDB (imported here: only generation needs it)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(SOURCE_SQL.format(rows=int(rows), path=str(path).replace("'", "''")))
    finally:
        con.close()


def generate(
    root: Path,
    n: int,
    *,
    depth: int = DEPTH,
    rows: int = SOURCE_ROWS,
    seed: int = 0,
    language: str = "mixed",
) -> ProjectPlan:
    """Write a project of ``n`` models into ``root`` (created; must not hold a project yet)."""
    plan = plan_project(n, depth, seed, language)
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyflow.yml").write_text(PYFLOW_YML, encoding="utf-8")
    (root / "profiles.yml").write_text(PROFILES_YML, encoding="utf-8")
    (root / "macros").mkdir(exist_ok=True)
    (root / "macros" / "money.sql").write_text(MACROS_SQL, encoding="utf-8")
    models = root / "models"
    (models / "staging").mkdir(parents=True, exist_ok=True)
    (models / "staging" / "sources.yml").write_text(SOURCES_YML, encoding="utf-8")
    for m in plan.models:
        folder = models / _folder(m, plan.depth)
        folder.mkdir(parents=True, exist_ok=True)
        if m.is_python:
            (folder / f"{m.name}.py").write_text(_python_model(m), encoding="utf-8")
        else:
            (folder / f"{m.name}.sql").write_text(_sql_model(m), encoding="utf-8")
    write_source(root / "data" / "events.parquet", rows)
    return plan


def main() -> None:
    """``python bench/project_gen.py OUT --models N``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to create the project in")
    parser.add_argument("--models", type=int, default=100, help="number of models (default 100)")
    parser.add_argument("--depth", type=int, default=DEPTH, help=f"DAG depth (default {DEPTH})")
    parser.add_argument("--rows", type=int, default=SOURCE_ROWS, help=f"source rows (default {SOURCE_ROWS})")
    parser.add_argument("--seed", type=int, default=0, help="layout seed (default 0)")
    parser.add_argument(
        "--language", choices=LANGUAGES, default="mixed", help="models' language (default mixed: even Python)"
    )
    args = parser.parse_args()
    plan = generate(
        args.out, args.models, depth=args.depth, rows=args.rows, seed=args.seed, language=args.language
    )
    print(f"wrote {args.out}: {plan.summary()}")


if __name__ == "__main__":
    main()
