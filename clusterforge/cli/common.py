"""Shared options, output and exit-code handling of the CLI commands."""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clusterforge import generated
from clusterforge.errors import ClusterforgeError
from clusterforge.findings import Severity, at_or_above
from clusterforge.secrets import redact_text

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_ENGINE = 0, 1, 2, 3


def stack_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("stack_file", metavar="STACK", type=click.Path(path_type=Path))(func)


def format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def out_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        help="Write the output to this file instead of stdout.",
    )(func)


def fail_on_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        default="error",
        show_default=True,
        help="Exit 1 when a finding is at or above this severity.",
    )(func)


def _known_rules(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Warn about --skip ids that match no rule: a typo would otherwise leave the rule running."""
    if value:
        from clusterforge.ruleindex import registered_ids

        known = {r.upper() for r in registered_ids()}
        for rule_id in value:
            if rule_id.upper() not in known:
                click.echo(
                    f"warning: --skip {rule_id}: no rule or policy has this id (`clusterforge rules` lists them)",
                    err=True,
                )
    return value


def skip_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--skip", multiple=True, metavar="RULE", callback=_known_rules,
        help="Skip a validation rule or policy by id (repeatable), e.g. --skip EFA004.",
    )(func)  # fmt: skip


STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def stack_name_callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not STACK_NAME.match(value or ""):
        raise click.BadParameter(
            "letters, digits, '-', '_' and '.' only (it becomes part of every URN)"
        )
    return value


def use_color(ctx: click.Context) -> bool:
    choice = (ctx.find_root().params or {}).get("color")
    if choice is not None:
        return bool(choice)
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


#: The last line of every text or Markdown report written with --out (an HTML comment, so a
#: rendered PR comment does not show it): how a later --out knows it may replace the file.
OUT_MARKER = "<!-- written by clusterforge: a later --out may replace this file -->"


def force_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--force",
        is_flag=True,
        help="Let --out replace an existing file that clusterforge did not write.",
    )(func)


def printable(text: str) -> str:
    """``text`` safe to encode as UTF-8: a lone surrogate (from a JSON ``"\\ud800"``) becomes the
    escape it came from instead of a UnicodeEncodeError."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


#: The ``title`` of the stack JSON Schema `clusterforge schema` writes (how --out knows it).
SCHEMA_TITLE = generated.SCHEMA_TITLE


def written_by_clusterforge(path: Path) -> bool:
    """Whether ``path`` holds an output clusterforge wrote: JSON of one of its documents (plan,
    check, SARIF by clusterforge, compare, diff, preflight, the stack schema) or text ending with
    :data:`OUT_MARKER`."""
    import json

    from clusterforge.spec.files import MAX_INPUT_BYTES, is_plan_document

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError:
        return False
    if len(data) > MAX_INPUT_BYTES:
        return False
    text = data.decode("utf-8", "replace")
    if text.rstrip().endswith(OUT_MARKER):
        return True
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(document, dict):
        return False
    if is_plan_document(document, complete=True):
        return True  # plan / check JSON
    if "version" in document and (
        {"old", "new", "summary"} <= document.keys()  # diff JSON
        or {"stack_file", "checks"} <= document.keys()  # preflight JSON
    ):
        return True
    if "$schema" in document and document.get("title") == SCHEMA_TITLE:
        return True  # `clusterforge schema`
    runs = document.get("runs")
    if isinstance(runs, list) and runs and isinstance(runs[0], dict):
        driver = (runs[0].get("tool") or {}).get("driver") or {}
        return isinstance(driver, dict) and driver.get("name") == "clusterforge"  # SARIF
    return {"clouds", "plans"} <= document.keys()  # plan --compare JSON


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # one inode: hard links and symlinks included
    except OSError:
        return False


class _Terminated(BaseException):
    """SIGTERM during a write: raised so the temporary file is removed on the way out."""


def _on_term(signum: int, frame: Any) -> None:
    raise _Terminated


def emit(
    text: str,
    out: Path | None,
    *,
    inputs: tuple[Path | None, ...] = (),
    report: bool = False,
    force: bool = False,
) -> None:
    """Write ``text`` to ``out`` atomically (no partial file on failure), or to stdout.

    Never over one of the command's ``inputs`` (a report written over its stack file loses it).
    With ``report`` (validate, plan, check) an existing ``out`` is replaced only when clusterforge
    wrote it (:func:`written_by_clusterforge`) or with ``force``. A missing directory is refused,
    not created. OS errors (full disk, file too large, read-only mount) are one error line; the
    temporary file is removed on every exit path, Ctrl-C and SIGTERM included.
    """
    text = printable(text)
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        _write(
            text, out, inputs=tuple(p for p in inputs if p is not None), report=report, force=force
        )
    except OSError as exc:  # the checks before the write itself (a name too long, ...)
        raise ClusterforgeError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}", err=True)


def _write(text: str, out: Path, *, inputs: tuple[Path, ...], report: bool, force: bool) -> None:
    for source in inputs:
        if _same_file(out, source):
            raise ClusterforgeError(
                f"--out {out} is the input file {source}", hint="write the output to another file"
            )
    # A symlinked --out keeps its link: the file it points at is the one replaced.
    target = out.resolve() if out.is_symlink() else out
    parent = target.parent
    if not parent.exists():
        raise ClusterforgeError(
            f"--out {out}: the directory {parent} does not exist",
            hint=f"create it first (mkdir -p {parent})",
        )
    if not parent.is_dir():
        raise ClusterforgeError(f"--out {out}: {parent} is not a directory")
    mode = 0o644
    if target.exists():
        if target.is_dir():
            raise ClusterforgeError(f"--out {out} is a directory", hint="name a file to write")
        mode = target.stat().st_mode & 0o777
        if not mode & 0o222 or not os.access(target, os.W_OK):  # no write bit stops root too
            raise ClusterforgeError(
                f"--out {out} is read-only",
                hint="make it writable or write the output to another file",
            )
        if report and not force and not written_by_clusterforge(target):
            raise ClusterforgeError(
                f"--out {out} exists and was not written by clusterforge",
                hint="pass --force to replace it, or write the output to another file",
            )
    if report and not text.lstrip().startswith(("{", "[")):
        text = f"{text.rstrip(chr(10))}\n{OUT_MARKER}\n"
    import tempfile  # only when writing a file: the quick commands start without it

    tmp: str | None = None
    previous: dict[int, Any] = {}
    main = threading.current_thread() is threading.main_thread()
    try:
        if main:
            previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _on_term)
            if hasattr(signal, "SIGXFSZ"):  # past the file-size limit: EFBIG, not a killed process
                previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise ClusterforgeError(f"cannot write {out}: {exc.strerror or exc}") from None
    except _Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def emit_report(
    text: str,
    out: Path | None,
    *,
    loaded: bool,
    inputs: tuple[Path | None, ...],
    force: bool,
) -> None:
    """Emit a validate/plan/check report: to ``--out`` when given (the safe-write rules of
    :func:`emit`), else stdout. A report on input that could not be loaded (exit 2) goes to
    ``--out`` too: it holds the input errors (SARIF results for code scanning), and a report left
    from an earlier run would be read as this run's."""
    emit(text, out, inputs=inputs, report=True, force=force)
    if out is not None and not loaded:
        click.echo(f"note: {out} reports the input errors: the input could not be loaded", err=True)


def findings_exit(findings: list[Any], fail_on: str) -> int:
    return EXIT_FINDINGS if at_or_above(findings, Severity.parse(fail_on)) else EXIT_OK


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the tool's errors into one line on stderr and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool((click.get_current_context().find_root().params or {}).get("debug"))
        try:
            return func(*args, **kwargs)
        except ClusterforgeError as exc:
            if debug:
                raise
            click.secho(printable(redact_text(f"error: {exc}")), fg="red", err=True)
            if exc.hint:
                click.echo(printable(redact_text(f"hint: {exc.hint}")), err=True)
            sys.exit(exc.exit_code)

    return wrapper
