"""`clusterforge new`: start a stack file from a template, validated before it is written."""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import click
import jinja2

from clusterforge import api
from clusterforge.cli.common import EXIT_FINDINGS, emit, handle_errors
from clusterforge.errors import UsageError
from clusterforge.validate.rules._util import name_problem

#: What a value from the command line may contain before it goes into the YAML template.
SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")

#: Where a new stack goes when the user names no region (kept in one place, shown in --help).
DEFAULTS = {
    "aws": {"region": "us-east-1", "zone": "us-east-1a", "kubernetes_version": "1.35"},
    "gcp": {"region": "us-central1", "zone": "us-central1-a", "kubernetes_version": "1.33"},
}


def render_stack(**context: object) -> str:
    """The template with every user value quoted as a YAML (JSON) string where it is text."""
    source = (
        resources.files("clusterforge.templates")
        .joinpath("stack.yaml.j2")
        .read_text(encoding="utf-8")
    )
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.from_string(source)
    return template.render(**context)


@click.command()
@click.argument("name")
@click.option(
    "--cloud", type=click.Choice(["aws", "gcp", "kubernetes"]), default="aws", show_default=True
)
@click.option(
    "--accelerator",
    default="H100",
    show_default=True,
    help="GPU model, Trainium, or a TPU generation (tpu-v5p).",
)
@click.option(
    "--per-node", type=int, default=8, show_default=True, help="Accelerators per node (GPU pools)."
)
@click.option("--nodes", type=int, default=2, show_default=True, help="Accelerator nodes.")
@click.option("--topology", help="TPU slice topology (with a TPU accelerator), e.g. 4x4x4.")
@click.option("--region", help="Region (default: us-east-1 on aws, us-central1 on gcp).")
@click.option("--zone", help="Zone (default: the region's first).")
@click.option("--project", help="GCP project id.")
@click.option(
    "--context",
    default="my-cluster",
    show_default=True,
    help="cloud: kubernetes — the kubeconfig context.",
)
@click.option("--team", default="research", show_default=True, help="Team: a tag and a namespace.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="File to write (default: NAME.yaml); never overwritten.",
)
@handle_errors
def new(
    name: str,
    cloud: str,
    accelerator: str,
    per_node: int,
    nodes: int,
    topology: str | None,
    region: str | None,
    zone: str | None,
    project: str | None,
    context: str,
    team: str,
    out: Path | None,
) -> None:
    """Start a stack file for NAME: a system pool, an accelerator pool, Lustre and queueing."""
    problem = name_problem(name)
    if problem:
        raise UsageError(
            f"name {name!r} {problem}", hint="a short lowercase name such as 'llm-train'"
        )
    for label, value in (("--region", region), ("--zone", zone), ("--project", project), ("--context", context),
                         ("--team", team), ("--accelerator", accelerator), ("--topology", topology)):  # fmt: skip
        if value is not None and not SAFE_VALUE.match(value):
            raise UsageError(
                f"{label} {value!r} has characters a stack value cannot have",
                hint="letters, digits, '-', '_', '.', '/'",
            )
    target = out or Path(f"{name}.yaml")
    if target.exists() or target.is_dir() or str(target).endswith(("/", "\\")):
        raise UsageError(
            f"{target} exists",
            hint="choose another --out; clusterforge new never overwrites a file",
        )
    defaults = DEFAULTS.get(cloud, {})
    region = region or defaults.get("region")
    text = render_stack(
        name=name,
        cloud=cloud,
        catalog_cloud=cloud if cloud != "kubernetes" else "aws",
        region=region,
        zone=zone
        or (
            defaults.get("zone")
            if region == defaults.get("region")
            else f"{region}{'-a' if cloud == 'gcp' else 'a'}"
        ),
        project=project or ("my-project" if cloud == "gcp" else None),
        context=context,
        team=team,
        kubernetes_version=defaults.get("kubernetes_version", ""),
        pool=accelerator.lower().replace("_", "-")[:20],
        accelerator=accelerator,
        per_node=per_node,
        nodes=nodes,
        topology=topology,
        storage_gib=36000 if cloud == "gcp" else 2400,
        filename=target.name,
    )
    emit(text, target)
    _, report = api.validate_stack(target)
    errors = [f for f in report.findings if f.severity.value == "error"]
    for finding in errors:
        click.echo(
            f"error: {finding.rule} {finding.path}: {finding.message} ({finding.hint})", err=True
        )
    if errors:
        click.echo(
            f"{target} was written; fix the errors above, then `clusterforge plan {target}`",
            err=True,
        )
        sys.exit(EXIT_FINDINGS)
    click.echo(f"next: clusterforge plan {target}", err=True)
