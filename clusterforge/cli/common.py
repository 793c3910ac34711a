"""Shared options, output and exit-code handling of the CLI commands."""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clusterforge.errors import ClusterforgeError
from clusterforge.findings import Severity, at_or_above

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
        from clusterforge.policies import RULES as POLICIES
        from clusterforge.validate import RULES

        known = {r.upper() for r in RULES} | {p.upper() for p in POLICIES}
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


def emit(text: str, out: Path | None, *, inputs: tuple[Path, ...] = ()) -> None:
    """Write ``text`` to ``out`` atomically (no partial file on failure), or to stdout.

    Never over one of the command's ``inputs`` (a report written over its stack file loses it).
    """
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    for source in inputs:
        if source.exists() and out.exists() and out.resolve() == source.resolve():
            raise ClusterforgeError(
                f"--out {out} is the input file", hint="write the output to another file"
            )
    # A symlinked --out keeps its link: the file it points at is the one replaced.
    target = out.resolve() if out.is_symlink() else out
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
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise ClusterforgeError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}", err=True)


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
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)

    return wrapper
