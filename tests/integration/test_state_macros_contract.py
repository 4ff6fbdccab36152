"""``state:modified.macros`` and ``state:modified.contract`` (dbt's), and their part in ``state:modified``.

The project::

    macros: cents(col) <- money(col) (calls cents)    unused()    test positive (a generic test)
    models: direct (calls cents) -> child             indirect (calls money)
            plain (no macro; tested by positive)       dispatched (adapter.dispatch('fmt'))
            contracted (enforced contract)             loose (columns typed, no contract)

The state is the target/ of a first build; each case edits one file and lists a selection.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FILES = {
    "pyflow.yml": "name: shop\nprofile: shop\n",
    "profiles.yml": """
        shop:
          target: dev
          outputs:
            dev: {type: duckdb, path: pyflow.duckdb, schema: dev}
        """,
    "macros/cents.sql": "{% macro cents(col) %}{{ col }} * 100{% endmacro %}\n",
    "macros/money.sql": "{% macro money(col) -%}\n  {{ cents(col) }}\n{%- endmacro %}\n",
    "macros/unused.sql": "{% macro unused() %}1{% endmacro %}\n",
    "macros/fmt.sql": (
        "{% macro fmt(x) %}{{ return(adapter.dispatch('fmt')(x)) }}{% endmacro %}\n"
        "{% macro default__fmt(x) %}{{ x }}{% endmacro %}\n"
    ),
    "macros/positive.sql": (
        "{% test positive(model, column_name) %}\n"
        "select * from {{ model }} where {{ column_name }} <= 0\n"
        "{% endtest %}\n"
    ),
    "models/direct.sql": "select {{ cents('1') }} as c\n",
    "models/child.sql": "select c from {{ ref('direct') }}\n",
    "models/indirect.sql": "select {{ money('2') }} as m\n",
    "models/plain.sql": "select 1 as id\n",
    "models/dispatched.sql": "select {{ fmt('3') }} as f\n",
    "models/contracted.sql": "select 1::integer as id, 'a'::varchar as name\n",
    "models/loose.sql": "select 1::integer as id\n",
    "models/schema.yml": """
        models:
          - name: plain
            columns:
              - name: id
                tests: [positive]
          - name: contracted
            config:
              materialized: table
              contract: {enforced: true}
            columns:
              - name: id
                data_type: integer
              - name: name
                data_type: varchar
          - name: loose
            columns:
              - name: id
                data_type: integer
        """,
}


@pytest.fixture
def built(make_project, pyflow) -> tuple[Path, Path]:
    """The project built once, with its target/ kept aside as the state."""
    project = make_project(FILES)
    pyflow("build", "--project-dir", project)
    state = project.parent / f"{project.name}-state"
    shutil.copytree(project / "target", state)
    return project, state


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _ls(pyflow, project: Path, state: Path, criterion: str) -> list[str]:
    return sorted(pyflow("ls", "--project-dir", project, "-s", criterion, "--state", state).stdout.split())


COLUMN = "      - name: name\n        data_type: varchar\n"


@pytest.mark.parametrize(
    ("edit", "criterion", "expected"),
    [
        # a macro a model calls directly; then through another macro; the unused one: nothing
        (("macros/cents.sql", "* 100", "* 1000"), "state:modified.macros", ["direct", "indirect"]),
        (("macros/cents.sql", "* 100", "* 1000"), "state:modified", ["direct", "indirect"]),
        (("macros/cents.sql", "* 100", "* 1000"), "state:modified+", ["child", "direct", "indirect"]),
        (("macros/cents.sql", "* 100", "* 1000"), "state:modified.body", []),
        (("macros/money.sql", "{{ cents(col) }}", "{{ cents(col) }} + 0"), "state:modified.macros", ["indirect"]),
        (("macros/unused.sql", "1", "2"), "state:modified", []),
        # an implementation found by adapter.dispatch, and a generic test's macro
        (("macros/fmt.sql", "{{ x }}{% endmacro", "{{ x }} || ''{% endmacro"), "state:modified.macros", ["dispatched"]),
        (("macros/positive.sql", "<= 0", "< 0"), "state:modified", ["positive_plain_id"]),
        # an enforced contract: a column's type, a constraint, a column removed, turned off
        (("models/schema.yml", "data_type: varchar", "data_type: text"), "state:modified.contract", ["contracted"]),
        (("models/schema.yml", "data_type: varchar", "data_type: text"), "state:modified", ["contracted"]),
        (("models/schema.yml", "data_type: varchar", "data_type: text"), "state:modified.configs", []),
        (
            ("models/schema.yml", COLUMN, COLUMN + "        constraints: [{type: not_null}]\n"),
            "state:modified.contract",
            ["contracted"],
        ),
        (("models/schema.yml", "contract: {enforced: true}", "contract: {enforced: false}"), "state:modified.contract", ["contracted"]),
        (("models/schema.yml", "contract: {enforced: true}", "contract: {enforced: false}"), "state:modified.configs", ["contracted"]),
    ],
)  # fmt: skip
def test_state_macros_and_contract_select_exactly(built, pyflow, edit, criterion, expected):
    project, state = built
    _edit(project, *edit)

    assert _ls(pyflow, project, state, criterion) == expected


def test_an_unenforced_contract_column_type_change_is_not_modified(built, pyflow):
    project, state = built
    path = project / "models/schema.yml"
    text = path.read_text(encoding="utf-8")
    head, loose = text.split("- name: loose")
    path.write_text(head + "- name: loose" + loose.replace("integer", "bigint"), encoding="utf-8")

    assert _ls(pyflow, project, state, "state:modified") == []


def test_nothing_changed_selects_nothing(built, pyflow):
    project, state = built
    for criterion in ("state:modified", "state:modified.macros", "state:modified.contract"):
        assert _ls(pyflow, project, state, criterion) == []


def test_manifest_records_macro_text_calls_and_contract(built):
    project, _ = built
    manifest = json.loads((project / "target/manifest.json").read_text(encoding="utf-8"))

    money = manifest["macros"]["money"]
    assert money["unique_id"] == "macro.shop.money"
    assert money["macro_sql"] == "{% macro money(col) -%}\n  {{ cents(col) }}\n{%- endmacro %}"
    assert money["depends_on"] == {"macros": ["macro.shop.cents"]}
    assert manifest["nodes"]["model.shop.indirect"]["depends_on"]["macros"] == ["macro.shop.money"]
    assert manifest["nodes"]["model.shop.dispatched"]["depends_on"]["macros"] == ["macro.shop.fmt"]
    assert manifest["macros"]["fmt"]["depends_on"] == {"macros": ["macro.shop.default__fmt"]}
    contract = manifest["nodes"]["model.shop.contracted"]["contract"]
    assert contract["enforced"] is True and len(contract["checksum"]) == 64
    assert manifest["nodes"]["model.shop.loose"]["contract"]["checksum"] is None


def test_a_state_without_macro_text_compares_no_macros(built, pyflow):
    """A manifest of an older pyflow stores no macro_sql: macros count as unchanged, not as new."""
    project, state = built
    path = state / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["macros"].values():
        entry.pop("macro_sql", None)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    _edit(project, "macros/cents.sql", "* 100", "* 1000")

    assert _ls(pyflow, project, state, "state:modified.macros") == []
