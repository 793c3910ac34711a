"""Running the CLI the way a user does, and the promises every run must keep."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from click.testing import CliRunner

from clusterforge.cli.main import cli

#: Cases run per suite (printed at the end of the session by conftest.py).
CASES: Counter[str] = Counter()


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def invoke(suite: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """Run ``clusterforge ARGS`` in-process; an exception escaping the CLI fails the test."""
    CASES[suite] += 1
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return Run(result.exit_code, result.stdout, result.stderr)


def assert_kept_promises(run: Run) -> None:
    """The documented outcome: a report (exit 0/1, or 2 when unloadable) or one `error:` line
    with exit 2 — never a traceback, never "internal error"."""
    assert "Traceback" not in run.text and "internal error" not in run.text, run.text
    assert run.code in (0, 1, 2), (run.code, run.text)
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    if errors:
        assert run.code == 2 and len(errors) == 1, run.err
    else:
        assert run.out.strip(), f"no report and no error line: {run.err!r}"
