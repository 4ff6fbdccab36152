"""``pyflow retry``: rerun what did not succeed in the last invocation, with that invocation's flags.

Owns reading back the ``args`` block of ``run_results.json`` (written by
:func:`pyflow.runner.artifacts.invocation_args`): which command ran, with which flags, and which
nodes ended ``error``, ``fail``, ``skipped`` or ``cancelled``. The retry itself is an ordinary
:meth:`pyflow.runner.session.Session.execute` restricted to those nodes
(:attr:`~pyflow.runner.session.Options.only`); it writes a new ``run_results.json`` holding
the nodes it ran, as dbt's ``retry`` does, so a retry of a retry picks up what is still failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pyflow.config.project import load_project_config
from pyflow.errors import ProjectError, PyflowError
from pyflow.runner.session import Options
from pyflow.secret import MASK, redact_keys

RETRYABLE_COMMANDS = ("run", "build", "test", "seed", "snapshot")
"""Commands whose ``run_results.json`` a retry can replay."""
RETRY_STATUSES = frozenset({"error", "fail", "skipped", "cancelled"})
"""Node statuses a retry reruns (dbt's error, fail and skipped, plus pyflow's cancelled)."""
RUN_RESULTS = "run_results.json"
_RUN_AGAIN = "run the command again instead of retrying it (it writes a new run_results.json)"


@dataclass(frozen=True)
class RetryPlan:
    """What ``pyflow retry`` does: the command to rerun with its options, or nothing."""

    command: str
    previous_invocation: str
    options: Options | None
    """None when nothing is left to retry."""
    message: str
    """The line to print first: what is retried, or why nothing is."""


def _cannot(message: str, path: str, hint: str) -> ProjectError:
    return ProjectError(message, path=path, hint=hint, code="cannot-retry")


def _read(path: Path, shown: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(
            "there is no previous run to retry (no such file)",
            path=shown,
            hint="run a command first (`pyflow build`, `run`, `test`, `seed` or `snapshot`); "
            "`pyflow retry` reruns what did not succeed in it",
            code="no-previous-run",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _cannot(
            f"cannot read {shown}: {exc}",
            shown,
            _RUN_AGAIN,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("args"), dict):
        raise _cannot(
            f"{shown} does not record the command that wrote it (no 'args')",
            shown,
            _RUN_AGAIN,
        )
    return data


def _has_mask(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_mask(v) for v in value)
    return bool(value == MASK)


def _recorded_vars(args: Mapping[str, Any], shown: str) -> dict[str, Any]:
    """The recorded ``--vars``: from ``vars_yaml`` when written (it keeps dates as dates)."""
    value: Any = args.get("vars") or {}
    if isinstance(args.get("vars_yaml"), str):
        from pyflow.config.yamlfile import load_yaml

        try:
            value = load_yaml(None, display=f"{shown} (args.vars_yaml)", text=args["vars_yaml"]).data or {}
        except PyflowError:
            raise _cannot(
                f"{shown} records --vars that cannot be read back",
                shown,
                "give the same --vars to the retry: pyflow retry --vars '{...}'",
            ) from None
    if not isinstance(value, dict):
        raise _cannot(f"{shown} records --vars that are not a mapping", shown, _RUN_AGAIN)
    return value


def _strings(args: Mapping[str, Any], key: str, shown: str) -> tuple[str, ...]:
    value = args.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _cannot(f"{shown} records a '{key}' that is not a list of criteria", shown, _RUN_AGAIN)
    return tuple(value)


def _folder(args: Mapping[str, Any], key: str, shown: str) -> Path | None:
    """A recorded ``--state``/``--defer-state`` folder (None when the invocation had none)."""
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _cannot(f"{shown} records a '{key}' that is not a folder", shown, _RUN_AGAIN)
    return Path(value)


def plan_retry(
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    vars: Mapping[str, Any] | None,
    threads: int | None,
) -> RetryPlan:
    """Read the last ``run_results.json`` and decide what ``pyflow retry`` reruns.

    ``target`` must name the recorded target when given; ``vars`` and ``threads``, when given,
    replace the recorded ones (dbt's rule); every other flag is the recorded one.

    Raises:
        ProjectError: No ``run_results.json`` (``no-previous-run``), or one that cannot be
            retried: unreadable, from another command, another target, or with secret
            ``--vars`` stored masked and none given (``cannot-retry``).

    """
    root = Path(project_dir).resolve()
    cfg, _ = load_project_config(root)
    shown = f"{Path(cfg.target_path).as_posix()}/{RUN_RESULTS}"
    data = _read(root / cfg.target_path / RUN_RESULTS, shown)
    args: dict[str, Any] = data["args"]
    command = str(args.get("which") or args.get("command") or "")
    meta = data.get("metadata") or {}
    invocation, when = str(meta.get("invocation_id") or ""), str(meta.get("generated_at") or "?")
    if command not in RETRYABLE_COMMANDS:
        raise _cannot(
            f"the last invocation was `pyflow {command or '?'}`, which retry cannot rerun",
            shown,
            "retry reruns "
            + ", ".join(f"`pyflow {c}`" for c in RETRYABLE_COMMANDS)
            + "; run the command again",
        )
    recorded_target = args.get("target")
    if target is not None and recorded_target is not None and target != recorded_target:
        raise _cannot(
            f"the last invocation ran against target '{recorded_target}', not '{target}'",
            shown,
            f"drop --target (the retry reruns the failures on '{recorded_target}'), or run "
            f"`pyflow {command} --target {target}` to build on '{target}'",
        )
    recorded_vars = _recorded_vars(args, shown) if vars is None else {}
    if vars is None and _has_mask(recorded_vars):
        secret = sorted(k for k, v in redact_keys(recorded_vars).items() if _has_mask(v))
        raise _cannot(
            f"the last invocation's --vars {', '.join(secret)} are stored masked in {shown}",
            shown,
            "give the same --vars to the retry: pyflow retry --vars '{...}'",
        )
    ids = [
        str(r["unique_id"])
        for r in data.get("results") or []
        if isinstance(r, dict) and r.get("status") in RETRY_STATUSES and r.get("unique_id")
    ]
    if not ids:
        return RetryPlan(
            command,
            invocation,
            None,
            f"Nothing to retry: every node of the last invocation (`pyflow {command}` at {when}, "
            f"{invocation}) succeeded.",
        )
    options = Options(
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target or recorded_target,
        vars=dict(vars if vars is not None else recorded_vars),
        select=_strings(args, "select", shown),
        exclude=_strings(args, "exclude", shown),
        selector=args.get("selector") if isinstance(args.get("selector"), str) else None,
        indirect_selection=str(args.get("indirect_selection") or "eager"),
        threads=threads or (args.get("threads") if isinstance(args.get("threads"), int) else None),
        full_refresh=bool(args.get("full_refresh")) and command in ("run", "seed", "build"),
        fail_fast=bool(args.get("fail_fast")),
        only=frozenset(ids),
        retry_of=invocation or None,
        state=_folder(args, "state", shown),
        defer=bool(args.get("defer")),
        defer_state=_folder(args, "defer_state", shown),
        favor_state=bool(args.get("favor_state")),
        event_time_window=_window(args),
    )
    total = len(data.get("results") or [])
    return RetryPlan(
        command,
        invocation,
        options,
        f"Retrying {len(ids)} of the {total} node(s) of `{command_line(command, options)}` "
        f"(invocation {invocation}) that did not succeed",
    )


def _window(args: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The recorded ``--event-time-start`` / ``--event-time-end`` (microbatch models rerun the same window)."""
    found = [args.get("event_time_start"), args.get("event_time_end")]
    start, end = (datetime.fromisoformat(v) if isinstance(v, str) and v else None for v in found)
    return start, end


def command_line(command: str, options: Options) -> str:
    """The command line an invocation's options stand for (secret ``--vars`` masked)."""
    parts = [f"pyflow {command}"]
    if options.select:
        parts.append("--select " + " ".join(options.select))
    if options.exclude:
        parts.append("--exclude " + " ".join(options.exclude))
    if options.selector:
        parts.append(f"--selector {options.selector}")
    if options.target:
        parts.append(f"--target {options.target}")
    if options.vars:
        parts.append(f"--vars '{json.dumps(redact_keys(dict(options.vars)), default=str)}'")
    if options.threads:
        parts.append(f"--threads {options.threads}")
    if options.full_refresh:
        parts.append("--full-refresh")
    if options.state is not None:
        parts.append(f"--state {options.state}")
    if options.defer:
        parts.append("--defer")
    if options.defer_state is not None:
        parts.append(f"--defer-state {options.defer_state}")
    if options.favor_state:
        parts.append("--favor-state")
    if options.fail_fast:
        parts.append("--fail-fast")
    return " ".join(parts)
