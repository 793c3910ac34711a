"""Table cells shared by the text and Markdown renderers (one wording for both), and the one
Markdown cell escaper every Markdown table (plan, check, diff, verify) uses."""

from __future__ import annotations

from typing import Any


def placement_cell(row: dict[str, Any]) -> str:
    """``cluster`` / ``compact`` / ``compact 4x4x4`` (multi-host TPU) / ``-``."""
    if not row.get("placement"):
        return "-"
    return (
        f"{row['placement']} {row['topology']}"
        if row.get("topology") and row["nodes"] > 1
        else str(row["placement"])
    )


def nodes_cell(row: dict[str, Any]) -> str:
    """``4``, ``1 (0..8)`` for autoscaled pools, ``16 x 2 slices`` for multi-slice TPU pools."""
    nodes = (
        str(row["nodes"])
        if row["min_nodes"] == row["max_nodes"]
        else f"{row['nodes']} ({row['min_nodes']}..{row['max_nodes']})"
    )
    if row.get("slices", 1) > 1:
        nodes += f" x {row['slices']} slices"
    return nodes


def nic_networks_cell(row: dict[str, Any]) -> str | None:
    """The extra NIC networks of a pool without a GPU fabric (a multi-host TPU v6e pool's second
    gVNIC: ``1 extra gvnic VPC``), or None when it gets none."""
    kinds: list[str] = row.get("nic_networks") or []
    if row.get("fabric") != "none" or not kinds:
        return None
    counts = {kind: kinds.count(kind) for kind in kinds}
    return ", ".join(f"{n} extra {kind} VPC{'s' if n > 1 else ''}" for kind, n in counts.items())


def md_cell(value: object) -> str:
    """``value`` as the text of one Markdown table cell: a ``|`` escaped (it would end the cell),
    line breaks as spaces (they would end the row), ``<`` as ``&lt;`` (a PR comment renders
    HTML, so user text must not open a tag)."""
    text = str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|").replace("<", "&lt;")
