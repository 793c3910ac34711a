"""Capacity lifecycle: capacity.start/end (or the reservation's window from preflight) shown in the
plan and the diff; a window that ends while the stack runs is a warning saying what happens to the
nodes (CAP010); an unusable window is an error (CAP011)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from clusterforge import api
from clusterforge.catalog.capacity_window import problems
from clusterforge.cli.main import cli
from clusterforge.findings import Severity

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws-capacity-block.yaml"


@pytest.mark.parametrize(
    ("kind", "start", "end", "horizon", "expected"),
    [
        ("capacity_block", NOW - DAY, NOW + 30 * DAY, 7, []),  # ends after the horizon
        ("capacity_block", NOW - DAY, NOW + 5 * DAY, 7, [("warning", "terminating the block's instances")]),
        ("capacity_block", NOW - DAY, NOW + 400 * DAY, None, [("warning", "no horizon_days set")]),
        ("reservation", None, NOW + 5 * DAY, 30, [("warning", "keep running, unreserved")]),
        ("capacity_block", NOW + 2 * DAY, NOW + 9 * DAY, 3, [("info", "nodes launch only from then")]),
        ("capacity_block", NOW - 9 * DAY, NOW - DAY, 30, [("error", "ended at")]),
        ("capacity_block", NOW + 9 * DAY, NOW + DAY, 30, [("error", "ends before it starts")]),
        ("capacity_block", None, None, None, []),
    ],
)  # fmt: skip
def test_window_problems(
    kind: str, start: Any, end: Any, horizon: int | None, expected: list[tuple[str, str]]
) -> None:
    found = problems(kind, "aws", start, end, now=NOW, horizon_days=horizon)
    assert [
        (p.severity, w) for p, (_, w) in zip(found, expected, strict=True) if w in p.message
    ] == expected


def write(tmp_path: Path, name: str, change: dict[str, Any], horizon: int | None = None) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["node_pools"][1]["capacity"].update(change)
    if horizon:
        data["horizon_days"] = horizon
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_rules_warn_and_refuse_through_validate(tmp_path: Path) -> None:
    soon = dt.datetime.now(dt.timezone.utc) + 5 * DAY
    _, report = api.validate_stack(write(tmp_path, "a.yaml", {"end": soon.isoformat()}, horizon=30))
    [warning] = [f for f in report.findings if f.rule == "CAP010"]
    assert warning.severity is Severity.WARNING and warning.path == "node_pools[1].capacity.end"
    assert "30 minutes before it ends" in warning.message and warning.location
    _, report = api.validate_stack(
        write(tmp_path, "b.yaml", {"end": (soon + 400 * DAY).isoformat()}, horizon=30)
    )
    assert not [f for f in report.findings if f.rule in ("CAP010", "CAP011")]
    _, report = api.validate_stack(write(tmp_path, "c.yaml", {"end": "2020-01-01T00:00:00Z"}))
    assert [f.severity for f in report.findings if f.rule == "CAP011"] == [Severity.ERROR]
    _, report = api.validate_stack(write(tmp_path, "d.yaml", {"end": "2027-01-01T00:00:00"}))
    assert [f.rule for f in report.findings if f.severity is Severity.ERROR] == [
        "SPEC001"
    ]  # no time zone


def test_the_window_shows_in_plan_json_and_diff(tmp_path: Path) -> None:
    later = dt.datetime.now(dt.timezone.utc) + 200 * DAY
    old = write(tmp_path, "old.yaml", {"end": later.isoformat()}, horizon=30)
    new = write(tmp_path, "new.yaml", {"end": (later + 14 * DAY).isoformat()}, horizon=30)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in json.loads(result.stdout)["capacity"] if r["pool"] == "h100-block"]
    assert row["capacity_window"]["old"]["end"] != row["capacity_window"]["new"]["end"]
    assert row["capacity_window"]["new"]["end"].endswith("Z")
    text = CliRunner().invoke(cli, ["diff", str(old), str(new)]).stdout
    assert "capacity window" in text
