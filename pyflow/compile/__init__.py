"""Compile: Ibis expressions and rendered Jinja SQL -> one SELECT in the target's dialect.

Works offline: inputs arrive as :class:`~pyflow.compile.model.Upstream` values (a rendered
relation or an inline CTE, plus column types), so no adapter is imported here.
"""
