"""Progress of an engine operation as it happens: live on a terminal, plain lines in CI logs.

The :class:`~clusterforge.engine.events.EventCollector` calls a display with each step it sees;
:func:`progress_display` picks :class:`LiveProgress` (rich: finished steps scroll above, running
ones spin below) on a terminal and :class:`PlainProgress` (one line per changing step, ASCII)
for CI logs, pipes and ``--json`` (where it writes to stderr).
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

from clusterforge.engine.events import DOING, PAST, SYMBOL, Diagnostic, Display, Step
from clusterforge.graph import short_type


def _elapsed(step: Step) -> str:
    seconds = int((step.finished or step.started) - step.started)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def step_line(step: Step, planning: bool, *, done: bool) -> str:
    """One line for a step: ``+ create aws:ec2:Vpc llm-train-vpc`` / ``+ created ... (12s)``."""
    symbol = SYMBOL.get(step.op, "*")
    what = f"{short_type(step.type)} {step.name}"
    if step.failed:
        return f"x {step.op} failed {what} ({_elapsed(step)})"
    if planning:
        return f"{symbol} {step.op:<7} {what}"
    if done:
        return f"{symbol} {PAST.get(step.op, step.op)} {what} ({_elapsed(step)})"
    return f"{symbol} {DOING.get(step.op, step.op)} {what}..."


class NullDisplay:
    """Shows nothing."""

    def __enter__(self) -> NullDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def started(self, step: Step, planning: bool) -> None:
        return None

    def finished(self, step: Step, planning: bool) -> None:
        return None

    def diagnostic(self, diagnostic: Diagnostic) -> None:
        return None


class PlainProgress(NullDisplay):
    """One plain line per changing step (CI logs): planned steps, and each start and end of an update."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def _write(self, line: str) -> None:
        self.stream.write(f"  {line}\n")
        self.stream.flush()

    def started(self, step: Step, planning: bool) -> None:
        if step.changes:
            self._write(step_line(step, planning, done=False))

    def finished(self, step: Step, planning: bool) -> None:
        if step.failed or (step.changes and not planning):
            self._write(step_line(step, planning, done=True))

    def diagnostic(self, diagnostic: Diagnostic) -> None:
        where = f" ({diagnostic.urn.rsplit('::', 1)[-1]})" if diagnostic.urn else ""
        self._write(
            f"{diagnostic.severity}{where}: {diagnostic.message.splitlines()[0] if diagnostic.message else ''}"
        )


class LiveProgress(PlainProgress):
    """A live terminal display: finished steps scroll above, running ones spin below (rich)."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self._active: dict[str, tuple[Step, Any]] = {}
        self._lock = threading.Lock()
        self._live: Any = None

    def __enter__(self) -> LiveProgress:
        from rich.live import Live

        self._live = Live(
            console=self.console, get_renderable=self._render, refresh_per_second=8, transient=True
        )
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _write(self, line: str) -> None:
        self.console.print(f"  {line}", highlight=False, markup=False)

    def _render(self) -> Any:
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))
        with self._lock:
            running = list(self._active.values())
        for step, spinner in running[-15:]:
            grid.add_row(
                spinner,
                f"{step.op} {short_type(step.type)} {step.name}",
                f"{int(time.monotonic() - step.started)}s",
            )
        if len(running) > 15:
            grid.add_row("", f"... and {len(running) - 15} more", "")
        return grid

    def started(self, step: Step, planning: bool) -> None:
        if planning or not step.changes:
            super().started(step, planning)
            return
        from rich.spinner import Spinner

        with self._lock:
            self._active[step.urn] = (step, Spinner("dots"))

    def finished(self, step: Step, planning: bool) -> None:
        with self._lock:
            self._active.pop(step.urn, None)
        super().finished(step, planning)


def progress_display(*, live: bool, stream: IO[str], color: bool = False) -> Display:
    """The live display on a terminal, plain lines otherwise (CI, pipes, ``--json``)."""
    if not live:
        return PlainProgress(stream)
    from rich.console import Console

    return LiveProgress(
        Console(file=stream, force_terminal=True, no_color=not color, highlight=False)
    )
