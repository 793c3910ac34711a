"""`clusterforge schema` and `clusterforge rules`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from clusterforge.cli.common import (
    emit,
    force_option,
    format_option,
    handle_errors,
    out_option,
)


@click.command()
@out_option
@force_option
@handle_errors
def schema(out: Path | None, force: bool) -> None:
    """Print the JSON Schema of stack files (for editor completion). `--out` replaces only a
    schema clusterforge wrote, unless `--force`."""
    from clusterforge.spec.schema import prebuilt_text

    # Generated from the models (a test keeps it equal to them); recognised as clusterforge's own
    # by its title (SCHEMA_TITLE; a test ties the two).
    emit(prebuilt_text(), out, report=True, force=force)


@click.command()
@format_option("text", "json")
@handle_errors
def rules(fmt: str) -> None:
    """List the validation rules and the policies: stable ids for --skip, reports and SARIF."""
    from clusterforge import ruleindex

    # From the rule index (data generated from the registries): no rule or SDK import.
    indexed = list(ruleindex.registered())
    rows = [
        {
            "id": r.id,
            "kind": r.kind,
            "severity": r.severity.value,
            "clouds": list(r.clouds),
            "title": r.title,
            "description": r.description,
        }
        for r in sorted(indexed, key=lambda r: (r.kind != "validation", r.id))
    ]
    if fmt == "json":
        emit(json.dumps(rows, indent=2) + "\n", None)
        return
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        scope = ",".join(row["clouds"]) or "policy"
        click.echo(f"{row['id']:<{width}}  {row['severity']:<7}  {scope:<18}  {row['title']}")
