"""The PR-facing renderers without planning: Markdown folds long tables and links rule titles;
SARIF fingerprints stay unique when one rule reports twice at one path."""

from __future__ import annotations

import json

from clusterforge.findings import Finding, Severity
from clusterforge.report.markdown import render_markdown
from clusterforge.report.model import Report
from clusterforge.report.sarif import render_sarif


def findings(count: int) -> list[Finding]:
    return [
        Finding("ADD003", Severity.INFO, f"addons[{i}]", f"adds add-on {i}", "turn it off")
        for i in range(count)
    ]


def test_a_long_findings_table_is_folded_and_rules_are_linked() -> None:
    long = render_markdown(Report(stack_file="x.yaml", findings=findings(12)), command="check")
    assert "<details><summary>12 findings</summary>" in long
    assert (
        "| ℹ️ | info | `ADD003` [Add-ons the tool adds itself are said out loud](docs/rules.md#add003) |"
        in long
    )
    short = render_markdown(Report(stack_file="x.yaml", findings=findings(3)), command="check")
    assert "<details><summary>" not in short.split("### Findings")[1].split("###")[0]


def test_sarif_fingerprints_are_unique_for_one_rule_twice_at_one_path() -> None:
    same = [Finding("K8S002", Severity.ERROR, "kubernetes", m) for m in ("one", "two")]
    log = json.loads(render_sarif(Report(stack_file="x.yaml", findings=same)))
    prints = [r["partialFingerprints"]["clusterforge/v2"] for r in log["runs"][0]["results"]]
    assert len(set(prints)) == 2 and prints[1] == prints[0] + ":2"
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
               for r in log["runs"][0]["results"])  # fmt: skip


def test_one_markdown_cell_escaper_for_every_table() -> None:
    """Plan/check, diff and verify tables escape user text with the same function."""
    from clusterforge.report import cells, markdown
    from clusterforge.verify import results
    from clusterforge.workflow import diff_render

    assert cells.md_cell("plain text") == "plain text"
    assert cells.md_cell("a|b\r\nc\nd <img src=x>") == "a\\|b c d &lt;img src=x>"
    for module in (markdown, diff_render):
        assert module.md_cell is cells.md_cell
    assert results._md is cells.md_cell
    hostile = Finding("ADD003", Severity.INFO, "addons[0]", "x | y\n<script>", "z")
    text = render_markdown(Report(stack_file="x.yaml", findings=[hostile]), command="check")
    row = next(line for line in text.splitlines() if "ADD003" in line and "x \\| y" in line)
    assert "<script>" not in row and "&lt;script>" in row
