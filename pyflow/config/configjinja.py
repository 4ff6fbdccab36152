"""Jinja inside config values: ``+schema: "{{ target.schema }}_x"``, ``+enabled: "{{ var('x') }}"``.

Project-file trees and YAML properties may hold Jinja in string values, as dbt allows. They are
rendered when a node's config layers are merged, with ``var``, ``env_var`` and ``target`` (the
names dbt offers there), and ``doc('name')`` (the text of a docs block) once the macros are read;
hooks are the exception: they are rendered when they run. A value holding no ``{{``/``{%`` is returned untouched; a rendered
``True``/``False`` is read by the config models as a boolean, ``None`` becomes null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pyflow.config.yamlfile import YamlDoc
from pyflow.core.hook import hook_key
from pyflow.core.nativefilters import CONFIG_FILTERS
from pyflow.core.spec import TargetInfo
from pyflow.errors import ProjectError, PyflowError


def has_jinja(value: Any) -> bool:
    """True when ``value`` (at any depth) holds a string with Jinja in it."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(has_jinja(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_jinja(v) for v in value)
    return False


class ConfigRenderer:
    """Renders the Jinja in one node's config values (``var``, ``env_var``, ``target``)."""

    def __init__(
        self, vars: Mapping[str, Any], target: TargetInfo, doc: Callable[[str], str] | None = None
    ) -> None:
        self.vars = vars
        self.target = target
        self.doc = doc
        """``doc('name')``: the text of a docs block (descriptions use it)."""

    def layer(
        self,
        layer: Mapping[str, Any],
        *,
        model: str,
        resource: str,
        path: str,
        line: int | None,
        locate: Callable[[str, Any], int | None] | None = None,
    ) -> dict[str, Any]:
        """``layer`` with every Jinja string value rendered; errors name the file and the node.

        ``locate(key, value)`` gives the line of one value, when known; else ``line`` is used.
        """
        if not has_jinja(layer):
            return dict(layer)
        out = {}
        for key, value in layer.items():
            if hook_key(key) in ("pre_hook", "post_hook"):
                out[key] = value  # SQL templates: rendered when they run (pyflow.runner.hooks)
                continue
            at = (locate(key, value) if locate is not None and has_jinja(value) else None) or line
            out[key] = self._value(value, model=model, resource=resource, key=key, path=path, line=at)
        return out

    def _value(self, value: Any, *, model: str, resource: str, key: str, path: str, line: int | None) -> Any:
        if isinstance(value, Mapping):
            return {
                k: self._value(v, model=model, resource=resource, key=key, path=path, line=line)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [
                self._value(v, model=model, resource=resource, key=key, path=path, line=line) for v in value
            ]
        if not has_jinja(value):
            return value
        import jinja2
        import jinja2.sandbox

        from pyflow.core.sqlcontext import base_context

        context = base_context(model, self.vars, self.target, datetime.now(UTC))
        env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
        env.filters.update(CONFIG_FILTERS)  # dbt's as_bool, as_number, as_native, as_text
        try:
            names = {"doc": self.doc} if self.doc is not None else {}
            out = env.from_string(value).render(
                var=context["var"], env_var=context["env_var"], target=self.target, **names
            )
        except PyflowError as exc:  # an undefined var, a missing environment variable
            exc.path = exc.path or path
            exc.line = exc.line or line
            exc.model = exc.model or model
            raise
        except Exception as exc:  # the value's own Jinja: a syntax error, an unknown name ...
            raise ProjectError(
                f"cannot render the Jinja in config '{key}' ({value!r:.80}): {type(exc).__name__}: {exc}",
                model=model,
                resource=resource,
                path=path,
                line=line,
                hint="config values may use {{ var('x') }}, {{ env_var('X') }} and {{ target.name }}, "
                "{{ target.schema }}, {{ target.type }}, {{ target.database }}; "
                "quote the value if the braces are literal",
                code="config-jinja",
            ) from None
        return None if out == "None" else out


def tree_value_line(doc: YamlDoc, tree: str, key: str, value: Any) -> int | None:
    """The line of ``key: value`` (written with or without ``+``) in the ``tree:`` of a project file."""
    for loc, line in doc.lines.items():
        if len(loc) < 2 or loc[0] != tree or loc[-1] not in (key, "+" + key):
            continue
        node: Any = doc.data
        for part in loc:
            node = node.get(part) if isinstance(node, dict) else None
        if node == value:
            return line
    return None
