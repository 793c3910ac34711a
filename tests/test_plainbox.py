"""The rich-free text layout prints exactly what rich prints: every example's `validate` report at
widths where tables fit, wrap and truncate, and the `catalog` tables; anything it cannot lay out
(colour, text beyond printable ASCII, a plan's resource tree) goes to rich."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterforge import api, plainbox
from clusterforge.cli.main import cli
from clusterforge.findings import Finding, Severity
from clusterforge.report import render
from clusterforge.report.plaintext import render_plain
from clusterforge.report.text import render_text

from helpers import EXAMPLES

STACKS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".py", ".json"))


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_validate_text_is_rich_text(stack: Path) -> None:
    _, report = api.validate_stack(stack)
    for width in (140, 40):
        text = render_plain(report, width)
        assert text is None or text == render_text(report, width=width), (stack.name, width)
    assert render_plain(report, 140) is not None, "every example fits the rich-free layout"


def test_text_it_cannot_lay_out_goes_to_rich() -> None:
    _, report = api.validate_stack(EXAMPLES / "aws-h100-training.py")
    odd = Finding("X001", Severity.ERROR, "zone", "zone 'us\u2011east\u20111a' is not a zone", "")
    unusual = replace(report, findings=[odd])
    assert render_plain(unusual, 140) is None
    assert "us\u2011east\u20111a" in render(unusual, "text")
    colored = render(report, "text", color=True)
    assert "\x1b[" in colored and "\x1b[" not in render(report, "text")


def test_long_words_and_narrow_tables_as_in_rich() -> None:
    import io

    from rich.console import Console
    from rich.table import Table

    rows = [("x" * 30, "a few words that wrap"), ("short", "1"), ("", "y" * 12)]
    for width in (60, 24, 15):
        table = plainbox.Table("t", [plainbox.Column("a"), plainbox.Column("b", "right")])
        rich = Table(title="t", title_justify="left")
        rich.add_column("a")
        rich.add_column("b", justify="right")
        for row in rows:
            table.add_row(*row)
            rich.add_row(*row)
        buffer = io.StringIO()
        Console(file=buffer, width=width, no_color=True).print(rich)
        lines = table.render(width)
        assert lines is not None and "\n".join(lines) + "\n" == buffer.getvalue(), width


@pytest.mark.parametrize("args", [["catalog"], ["catalog", "--cloud", "gcp", "--all"]])
def test_catalog_text_is_rich_text(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = CliRunner().invoke(cli, args)
    monkeypatch.setattr(plainbox.Table, "render", lambda self, width: None)
    through_rich = CliRunner().invoke(cli, args)
    assert fast.exit_code == through_rich.exit_code == 0
    assert fast.output == through_rich.output


def test_to_rich_is_the_table_the_plain_layout_stands_for() -> None:
    """Catalog and report hand rich the same table: cells as text, never markup or emoji."""
    import io

    from rich.console import Console

    table = plainbox.Table("t", [plainbox.Column("zone"), plainbox.Column("n", "right")])
    table.add_row("us-east-1a [/] [bold]x[/bold]", "1")
    table.add_row(":smile: :thumbs_up:", "22")
    for width in (20, 60):
        buffer = io.StringIO()
        Console(file=buffer, width=width, no_color=True).print(plainbox.to_rich(table))
        lines = table.render(width)
        assert lines is not None and "\n".join(lines) + "\n" == buffer.getvalue(), width
    assert "[/] [bold]x[/bold]" in buffer.getvalue() and ":smile:" in buffer.getvalue()


def test_the_heading_of_a_stack_without_a_region_on_the_cloud_asked_for_says_so() -> None:
    """`validate aws.yaml --cloud gcp` without a gcp override: no region, not 'None'."""
    _, report = api.validate_stack(EXAMPLES / "aws-h100-training.py", cloud="gcp")
    assert "(gcp, no region, stack dev)" in render(report, "text").splitlines()[0]
