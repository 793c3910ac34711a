"""Engine events of a preview, update, refresh or destroy, collected into a :class:`RunResult`.

The Automation API calls ``on_event`` with each :class:`pulumi.automation.EngineEvent` the Pulumi
CLI emits (from a thread of its own). :class:`EventCollector` is that callback: it keeps one
:class:`Step` per resource, the diagnostics and policy violations, and the engine's own change
summary, and forwards each step to a :class:`Display` (``progress.py``).
:func:`render_summary` writes the result people read at the end; ``RunResult.to_dict`` is the
machine form (``--json``).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from clusterforge.engine.guard import DataLoss, data_loss

#: Step operations that change nothing: unchanged resources, data-source reads and refresh steps
#: that found no drift (a refresh that finds drift reports ``update`` or ``delete`` instead).
NO_CHANGE_OPS = frozenset({"same", "read", "refresh"})
#: The three steps of a replacement, counted once as ``replace``.
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced"})
SYMBOL = {
    "create": "+", "update": "~", "delete": "-", "replace": "+-", "read": ">", "refresh": "~",
    "import": "=", "import-replacement": "=>", "discard": "-", "same": " ",
}  # fmt: skip
PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
    "import": "imported",
}
DOING = {
    "create": "creating",
    "update": "updating",
    "delete": "deleting",
    "replace": "replacing",
    "import": "importing",
}
#: Results of operations that only plan (their counts read "to create", their data loss "would be").
PLANNING_COMMANDS = frozenset({"preview", "preview-destroy", "preview-refresh"})
#: Order of the counts in summaries.
SUMMARY_ORDER = ("create", "update", "replace", "delete", "import", "read", "refresh", "same")
#: ANSI escapes and Pulumi colour tags (``<{%fg 1%}>``) in diagnostic messages.
_COLOR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[^%]*%\}>")


def plain_text(message: str) -> str:
    """``message`` without colour codes and surrounding whitespace."""
    return _COLOR.sub("", message).strip()


def _op(value: Any) -> str:
    """An ``OpType`` (a str enum, which hashes by name) or a JSON string as the plain op string."""
    return str(getattr(value, "value", value))


@dataclass
class Step:
    """What the engine does to one resource."""

    urn: str
    type: str
    op: str
    protected: bool = False
    started: float = 0.0
    finished: float | None = None
    failed: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def changes(self) -> bool:
        return self.op not in NO_CHANGE_OPS

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "op": self.op,
            "protected": self.protected,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message, "urn": self.urn}


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    pack: str
    level: str
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "pack": self.pack,
            "level": self.level,
            "message": self.message,
            "urn": self.urn,
        }


@dataclass
class RunResult:
    """The outcome of one engine operation (``preview``, ``up``, ``destroy``, ``refresh``).

    ``outcome`` is ``ok``, ``no-changes`` (nothing to do, nothing done), ``drift`` (changes where
    none were expected), ``data-loss`` (up refused), ``policy`` (mandatory policy violations) or
    ``declined`` (the user said no).
    """

    command: str
    steps: list[Step] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policy_violations: list[PolicyViolation] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0
    outcome: str = "ok"
    #: destroy: protected resources left in place (type, name).
    kept: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(count for op, count in self.changes.items() if op not in NO_CHANGE_OPS)

    @property
    def data_loss(self) -> list[DataLoss]:
        return data_loss((s.urn, s.type, s.op) for s in self.steps)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "outcome": self.outcome,
            "changed": self.changed,
            "changes": dict(self.changes),
            "steps": [s.to_dict() for s in self.steps if s.changes],
            "data_loss": [d.to_dict() for d in self.data_loss],
            "kept": [{"type": t, "name": n} for t, n in self.kept],
            "policy_violations": [v.to_dict() for v in self.policy_violations],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "outputs": self.outputs,
            "duration_seconds": round(self.duration_seconds, 1),
        }


class Display(Protocol):
    """Shows steps as they happen. Used as a context manager around one engine operation."""

    def __enter__(self) -> Display: ...
    def __exit__(self, *exc: object) -> None: ...
    def started(self, step: Step, planning: bool) -> None: ...
    def finished(self, step: Step, planning: bool) -> None: ...
    def diagnostic(self, diagnostic: Diagnostic) -> None: ...


class EventCollector:
    """The ``on_event`` callback: collects steps, diagnostics, policy violations and the summary."""

    def __init__(
        self, command: str, display: Display | None = None, clock: Any = time.monotonic
    ) -> None:
        self.command = command
        self.display = display
        self._clock = clock
        self._begin = clock()
        self._lock = threading.Lock()
        self._steps: dict[str, Step] = {}
        self._diagnostics: list[Diagnostic] = []
        self._policy: list[PolicyViolation] = []
        self._summary: dict[str, int] | None = None
        self._duration: float | None = None

    def __call__(self, event: Any) -> None:
        with self._lock:
            if event.resource_pre_event is not None:
                self._pre(
                    event.resource_pre_event.metadata, bool(event.resource_pre_event.planning)
                )
            elif event.res_outputs_event is not None:
                self._outputs(
                    event.res_outputs_event.metadata, bool(event.res_outputs_event.planning)
                )
            elif event.res_op_failed_event is not None:
                self._failed(event.res_op_failed_event.metadata)
            elif event.diagnostic_event is not None:
                self._diagnostic(event.diagnostic_event)
            elif event.policy_event is not None:
                p = event.policy_event
                self._policy.append(
                    PolicyViolation(
                        p.policy_name,
                        p.policy_pack_name,
                        p.enforcement_level,
                        plain_text(p.message),
                        p.resource_urn,
                    )
                )
            elif event.summary_event is not None:
                self._summary = {
                    _op(k): int(v) for k, v in (event.summary_event.resource_changes or {}).items()
                }
                self._duration = float(event.summary_event.duration_seconds or 0)

    def _pre(self, meta: Any, planning: bool) -> None:
        op = _op(meta.op)
        step = self._steps.get(meta.urn)
        if step is None:
            state = meta.new or meta.old
            step = Step(
                meta.urn, meta.type, op, bool(state and state.protect), started=self._clock()
            )
            self._steps[meta.urn] = step
        elif op in REPLACE_OPS:
            step.op = "replace"
            return
        if op in REPLACE_OPS:
            step.op = "replace"
        if self.display is not None:
            self.display.started(step, planning)

    def _outputs(self, meta: Any, planning: bool) -> None:
        step = self._steps.get(meta.urn)
        if step is None:
            step = self._steps[meta.urn] = Step(
                meta.urn, meta.type, _op(meta.op), started=self._clock()
            )
        elif step.op == "refresh" and _op(meta.op) != "refresh":
            step.op = _op(meta.op)  # a refresh that found drift is reported as update or delete
        if step.finished is None:
            step.finished = self._clock()
            if self.display is not None:
                self.display.finished(step, planning)

    def _failed(self, meta: Any) -> None:
        step = self._steps.get(meta.urn) or Step(meta.urn, meta.type, _op(meta.op))
        self._steps.setdefault(meta.urn, step)
        step.failed = True
        step.finished = self._clock()
        if self.display is not None:
            self.display.finished(step, False)

    def _diagnostic(self, event: Any) -> None:
        if event.ephemeral:
            return
        text = plain_text(event.message)
        if not text:
            return
        diagnostic = Diagnostic(event.severity, text, event.urn)
        self._diagnostics.append(diagnostic)
        if self.display is not None and event.severity in ("error", "warning"):
            self.display.diagnostic(diagnostic)

    def result(self, **extra: Any) -> RunResult:
        """What was collected so far, as a :class:`RunResult` (``extra`` sets further fields)."""
        with self._lock:
            steps = list(self._steps.values())
            changes = dict(self._summary) if self._summary is not None else _count(steps)
            duration = self._duration if self._duration else self._clock() - self._begin
            return RunResult(
                self.command,
                steps,
                changes,
                list(self._diagnostics),
                list(self._policy),
                duration_seconds=duration,
                **extra,
            )


def _count(steps: list[Step]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.op] = counts.get(step.op, 0) + 1
    return counts


def counts_line(changes: dict[str, int], *, planned: bool) -> str:
    """``+ 61 to create, ~ 2 to update, 10 unchanged`` (or ``created``/``updated`` after an update)."""
    parts = []
    ops = [op for op in SUMMARY_ORDER if op in changes] + sorted(
        op for op in changes if op not in SUMMARY_ORDER
    )
    for op in ops:
        count = changes[op]
        if not count or op in NO_CHANGE_OPS:
            continue
        label = f"to {op}" if planned else PAST.get(op, op)
        parts.append(f"{SYMBOL.get(op, '*')} {count} {label}")
    unchanged = sum(changes.get(op, 0) for op in NO_CHANGE_OPS)
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    return ", ".join(parts) or "no resources"


def render_summary(result: RunResult, *, title: str) -> str:
    """The end-of-run text: counts, data loss, protected resources kept, policy, errors, outputs."""
    planned = result.command in PLANNING_COMMANDS
    lines = [f"{title}: {counts_line(result.changes, planned=planned)}"]
    if not result.changed:
        lines.append("  no changes")
    for loss in result.data_loss:
        verb = "deleted" if loss.op == "delete" else "replaced"
        lines.append(
            f"  DATA LOSS: {loss.type} {loss.name} would be {verb}"
            if planned
            else f"  data lost: {loss.type} {loss.name} {verb}"
        )
    if result.kept:
        lines.append(f"  kept (protected): {', '.join(f'{t} {n}' for t, n in result.kept)}")
    for violation in result.policy_violations:
        lines.append(f"  policy {violation.level}: {violation.policy}: {violation.message}")
    for diagnostic in result.errors:
        lines.append(f"  error: {diagnostic.message.splitlines()[0]}")
    if result.outputs:
        lines.append("  outputs:")
        lines.extend(f"    {key}: {_short_value(value)}" for key, value in result.outputs.items())
    lines.append(f"  duration: {result.duration_seconds:.0f}s")
    return "\n".join(lines) + "\n"


def _short_value(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 100 else text[:97] + "..."
