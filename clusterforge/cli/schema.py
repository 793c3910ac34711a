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
    from clusterforge.spec import json_schema

    # Recognised as clusterforge's own by its title (SCHEMA_TITLE; a test ties the two).
    emit(json.dumps(json_schema(), indent=2) + "\n", out, report=True, force=force)


@click.command()
@format_option("text", "json")
@handle_errors
def rules(fmt: str) -> None:
    """List the validation rules and the policies: stable ids for --skip, reports and SARIF."""
    from clusterforge.policies import RULES as POLICIES
    from clusterforge.validate import RULES

    rows = [
        {
            "id": r.id,
            "kind": "validation",
            "severity": r.severity.value,
            "clouds": list(r.clouds),
            "title": r.title,
            "description": r.description,
        }  # fmt: skip
        for r in sorted(RULES.values(), key=lambda r: r.id)
    ]
    rows += [
        {
            "id": p.id,
            "kind": "policy",
            "severity": p.severity.value,
            "clouds": [],
            "title": p.title,
            "description": p.description,
        }
        for p in sorted(POLICIES.values(), key=lambda p: p.id)
    ]
    if fmt == "json":
        emit(json.dumps(rows, indent=2) + "\n", None)
        return
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        scope = ",".join(row["clouds"]) or "policy"
        click.echo(f"{row['id']:<{width}}  {row['severity']:<7}  {scope:<18}  {row['title']}")
