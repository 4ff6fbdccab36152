"""``pyflow run-operation MACRO --args '{...}'``: call one project macro against the target.

The macro renders with the names a hook sees (:func:`pyflow.runner.hooks.jinja_context`:
``target``, ``var``, ``env_var``, ``ref``/``source`` naming relations, ``log`` ...) plus the
database: ``run_query``, ``{% call statement() %}`` / ``load_result``, ``adapter.get_relation``
and ``adapter.get_columns_in_relation`` run on the target (:mod:`pyflow.runner.renderdb`), and
dbt's cross-database macros, ``dbt`` and ``adapter.dispatch``. The ``--args`` mapping is passed
as keyword arguments, checked against the macro's parameters first. Its rendered text and its
return value are discarded, as dbt does: an operation acts through the statements it runs and
says what it did with ``log(..., info=True)``. No node runs, no hook runs, and no artifact is
written (``run_results.json`` keeps describing the last run, which ``pyflow retry`` reads).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2.nodes as jn

from pyflow.core.renderdb import RenderCalls
from pyflow.errors import AdapterError, ProjectError, PyflowError, closest
from pyflow.runner.hooks import jinja_context
from pyflow.runner.renderdb import AdapterDatabase, render_services

if TYPE_CHECKING:
    from pyflow.runner.session import Session

log = logging.getLogger(__name__)

ARGS_NAME = "pyflow_operation_args"
"""The context name the ``--args`` mapping is bound to in the call template."""
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTERNAL = ("test_", "materialization_", "snapshot_", "docs_")


@dataclass(frozen=True)
class MacroSignature:
    """Where a macro is defined and which parameters it takes."""

    name: str
    path: str
    line: int
    params: tuple[str, ...]
    required: tuple[str, ...]
    """The parameters without a default."""
    takes_kwargs: bool
    """True when the body reads ``kwargs``: any other keyword is accepted."""


def macro_signature(session: Session, name: str) -> MacroSignature:
    """The signature of project macro ``name`` (``package.name`` accepted).

    Raises:
        ProjectError: No macro of that name (``unknown-macro``), with the closest names and
            their files.

    """
    jinja = session.project.jinja
    bare = name
    if "." in name:
        package, _, bare = name.rpartition(".")
        if package != session.project.name and bare not in jinja.packages.get(package, frozenset()):
            bare = name  # not a package of this project: reported as unknown below
    path = jinja.macro_paths.get(bare)
    if path is None or not _IDENTIFIER.match(bare) or bare.startswith(_INTERNAL):
        raise _unknown(session, name)
    tree = jinja.env.parse(jinja.sources[path], filename=path)
    node = next(m for m in tree.find_all(jn.Macro) if m.name == bare)
    params = tuple(a.name for a in node.args)
    required = params[: len(params) - len(node.defaults)]
    takes_kwargs = any(n.name == "kwargs" for n in node.find_all(jn.Name))
    return MacroSignature(bare, path, node.lineno, params, required, takes_kwargs)


def _unknown(session: Session, name: str) -> ProjectError:
    jinja = session.project.jinja
    callable_ = [n for n in jinja.macro_paths if _IDENTIFIER.match(n) and not n.startswith(_INTERNAL)]
    near = closest(name.rpartition(".")[2], callable_)
    files = sorted(set(jinja.macro_paths[n] for n in callable_))
    where = "the project's macros are in: " + ", ".join(files) if files else "the project has no macros"
    return ProjectError(
        f"run-operation: no macro named '{name}'",
        suggestions=near,
        detail="\n".join([*(f"{n} is defined in {jinja.macro_paths[n]}" for n in near), where]),
        hint="correct the name, or define {% macro " + name.rpartition(".")[2] + "() %} in a file "
        "under macros/",
        code="unknown-macro",
    )


def check_args(signature: MacroSignature, args: Mapping[str, Any]) -> None:
    """Raise ``invalid-args`` when ``args`` names a parameter the macro lacks or misses a required one."""
    unknown = [k for k in args if k not in signature.params]
    missing = [p for p in signature.required if p not in args]
    if (unknown and not signature.takes_kwargs) or missing:
        takes = ", ".join(signature.params) or "no arguments"
        what = (
            f"--args has '{unknown[0]}', which the macro does not take"
            if unknown and not signature.takes_kwargs
            else f"--args lacks {', '.join(repr(m) for m in missing)}, which the macro needs"
        )
        raise ProjectError(
            what,
            model=signature.name,
            resource="macro",
            path=signature.path,
            line=signature.line,
            suggestions=closest(unknown[0], signature.params) if unknown else [],
            hint=f"the macro takes: {takes}; pass them as --args '{{name: value, ...}}'",
            code="invalid-args",
        )


def run_operation(session: Session, name: str, args: Mapping[str, Any]) -> None:
    """Call macro ``name`` with ``args`` against the session's target; its output is discarded.

    Raises:
        ProjectError: Unknown macro (``unknown-macro``) or arguments it does not take
            (``invalid-args``).
        PyflowError: The macro failed (a raised compiler error, a failed query ...), with the
            macro's file and line.

    """
    signature = macro_signature(session, name)
    check_args(signature, args)
    compiler = session.compiler
    services = render_services(session.adapter, session.project, None)
    context = jinja_context(compiler, signature.name, RenderCalls(AdapterDatabase(session.adapter), name))
    context.update(graph=services.graph, config=lambda *a, **k: "", **{ARGS_NAME: dict(args)})
    key = f"<run-operation {signature.name}>"
    session.project.jinja.add_template(key, "{{ " + signature.name + "(**" + ARGS_NAME + ") }}")
    log.info("run-operation %s(%s)", signature.name, ", ".join(sorted(args)))
    try:
        session.project.jinja.render(key, context, model=signature.name, builtins=services.builtins)
    except PyflowError as exc:
        exc.resource = "macro"
        if exc.path == key:  # raised by the call itself: point at the macro
            exc.path, exc.line = signature.path, signature.line
        if isinstance(exc, AdapterError) and exc.code == "database-error":
            exc.hint = f"fix the query the macro runs at {exc.location}, or the data it reads"
        raise
