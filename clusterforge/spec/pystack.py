"""Running a Python stack file: a time limit, its prints kept off stdout, every failure a finding.

A Python stack is the user's own program. Whatever it does — raise anything (including
``BaseException`` subclasses, ``KeyboardInterrupt`` or an exception whose ``str`` raises), call
``sys.exit()`` or ``os._exit()``, loop forever — the tool reports it as a finding with the file and line and goes
on to print its report. Only a real Ctrl-C from the user stops the tool.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_core import ValidationError

from clusterforge.findings import Finding, Severity
from clusterforge.secrets import redact_text
from clusterforge.spec import schema
from clusterforge.spec.base import SpecModel, error_details, stored_values
from clusterforge.spec.files import MAX_DEPTH

#: Rule id of "the Python stack program failed" (its schema errors stay SPEC001).
PROGRAM_RULE = "SPEC002"
#: Seconds a Python stack may run; CLUSTERFORGE_STACK_TIMEOUT overrides it.
DEFAULT_TIMEOUT = 60.0
_MAX_MESSAGE = 500


class StackTimeout(BaseException):
    """Raised inside a Python stack that ran past its time limit (a BaseException, so the
    stack's own ``except Exception`` cannot swallow it)."""


class StackExit(BaseException):
    """Raised in place of ``os._exit()`` inside a Python stack: ending the process there would
    end the tool with no report and the stack's exit code (``os._exit(0)``: a green CI run)."""

    def __init__(self, code: Any) -> None:
        super().__init__(code)
        self.code = code


@contextlib.contextmanager
def _no_process_exit(state: dict[str, bool]) -> Iterator[None]:
    """``os._exit`` (and its ``posix``/``nt`` original) raise StackExit while the stack runs.

    ``state["exited"]`` remembers the call, so a stack that catches StackExit still fails.
    """
    original = os._exit
    modules = [m for m in (sys.modules.get("posix"), sys.modules.get("nt")) if m is not None]
    modules = [m for m in modules if getattr(m, "_exit", None) is original]

    def exit_(code: int = 0) -> Any:
        state["exited"] = True
        raise StackExit(code)

    os._exit = exit_  # type: ignore[assignment]
    for module in modules:
        module._exit = exit_  # type: ignore[attr-defined]
    try:
        yield
    finally:
        os._exit = original
        for module in modules:
            module._exit = original  # type: ignore[attr-defined]


@dataclass
class Outcome:
    """The namespace a stack left, or the finding that says why it has none."""

    namespace: dict[str, Any] = field(default_factory=dict)
    finding: Finding | None = None


def timeout_seconds() -> float:
    raw = os.environ.get("CLUSTERFORGE_STACK_TIMEOUT", "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def describe(exc: BaseException) -> str:
    """``Type: message`` of any exception, even one whose ``__str__`` raises; secrets redacted."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not escape
        text = "(its message cannot be printed)"
    text = " ".join(text.split())
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    return redact_text(f"{name}: {text}" if text else name)


def frame_line(path: Path, exc: BaseException) -> int | None:
    """Line of the deepest frame of ``exc``'s traceback inside the stack file."""
    try:
        target = path.resolve()
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename and Path(f.filename).resolve() == target
        ]
    except (OSError, ValueError, RuntimeError):
        return None
    return frames[-1].lineno if frames else None


def stack_finding(path: Path, message: str, line: int | None, hint: str = "") -> Finding:
    return Finding(
        PROGRAM_RULE,
        Severity.ERROR,
        "(stack)",
        message,
        hint or "fix the Python stack so that it runs to the end and sets `cluster`",
        location=f"{path}:{line}" if line else str(path),
    )


@contextlib.contextmanager
def _guarded(limit: float) -> Iterator[dict[str, bool]]:
    """Arm the time limit and tell a user's Ctrl-C from a ``KeyboardInterrupt`` the code raises.

    Signals can only be handled on the main thread; elsewhere (an embedding application) the
    stack runs without a limit.
    """
    state = {"interrupted": False}
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield state
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise StackTimeout

    def on_interrupt(signum: int, frame: Any) -> None:
        state["interrupted"] = True
        raise KeyboardInterrupt

    previous_alarm = signal.signal(signal.SIGALRM, on_alarm)
    previous_int = signal.signal(signal.SIGINT, on_interrupt)
    # Fires again every second: a stack that catches BaseException still cannot stay.
    signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
    try:
        yield state
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGINT, previous_int)


def run(path: Path, text: str) -> Outcome:
    """Execute the stack source ``text`` (already read from ``path``) as a fresh module."""
    namespace: dict[str, Any] = {
        "__name__": "__clusterforge_stack__",
        "__file__": str(path),
        "__builtins__": __builtins__,
    }
    limit = timeout_seconds()
    try:
        code = compile(text, str(path), "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        return Outcome(finding=stack_finding(path, f"cannot compile: {describe(exc)}", line))
    state: dict[str, bool] = {"interrupted": False}
    exits = {"exited": False}
    try:
        # A stack's own print() must not corrupt --format json on stdout.
        with (
            contextlib.redirect_stdout(sys.stderr),
            _no_process_exit(exits),
            _guarded(limit) as state,
        ):
            exec(code, namespace)  # noqa: S102 - running the user's stack is the point
    except StackExit as exc:
        return Outcome(finding=_exit_finding(path, frame_line(path, exc)))
    except StackTimeout as exc:
        return Outcome(
            finding=stack_finding(
                path,
                f"the stack ran longer than {limit:g} s and was stopped",
                frame_line(path, exc),
                "a stack only builds its `cluster`; set CLUSTERFORGE_STACK_TIMEOUT for a slower one",
            )
        )
    except KeyboardInterrupt as exc:
        if state["interrupted"]:
            raise  # the user's own Ctrl-C: stop the tool
        return Outcome(
            finding=stack_finding(path, f"the stack raised {describe(exc)}", frame_line(path, exc))
        )
    except SystemExit as exc:
        return Outcome(
            finding=stack_finding(path, "the stack called sys.exit()", frame_line(path, exc))
        )
    except ValidationError as exc:
        errors = error_details(exc)
        problems = "; ".join(
            f"{_loc(e['loc'])}: {e['msg']}" if e["loc"] else e["msg"] for e in errors
        )
        unknown = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]
        hint = (
            schema.spelling_hint(
                str(unknown[0][-1]), schema.field_names(unknown[0][:-1], exc.title)
            )
            if unknown
            else ""
        )
        return Outcome(
            finding=stack_finding(
                path, f"invalid {exc.title}: {redact_text(problems)}", frame_line(path, exc), hint
            )
        )
    except BaseException as exc:  # noqa: BLE001 - user code: report where it failed
        return Outcome(
            finding=stack_finding(path, f"the stack raised {describe(exc)}", frame_line(path, exc))
        )
    if exits["exited"]:  # it caught the StackExit and went on: still not a stack that runs
        return Outcome(finding=_exit_finding(path, None))
    return Outcome(namespace=namespace)


def _exit_finding(path: Path, line: int | None) -> Finding:
    return stack_finding(
        path,
        "the stack called os._exit(), which would end clusterforge with no report",
        line,
        "a stack only builds its `cluster`: remove the os._exit() call",
    )


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def plain_fields(value: Any, depth: int = 0) -> Any:
    """The fields of a spec object as plain data, so it can be validated again.

    ``Cluster.model_construct(...)`` and ``model_copy(update=...)`` skip validation: validating
    the plain fields catches what they let through. Raises ValueError on hostile nesting.
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"the cluster nests more than {MAX_DEPTH} levels deep")
    if isinstance(value, SpecModel):
        return {key: plain_fields(item, depth + 1) for key, item in stored_values(value).items()}
    if isinstance(value, dict):
        return {key: plain_fields(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_fields(item, depth + 1) for item in value]
    return value
