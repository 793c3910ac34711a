"""`clusterforge templates` and `clusterforge new`: start a stack project from a template.

`new TEMPLATE DIR` writes a whole project (stack file, Pulumi project, policy config, CI
pipeline); the older `new NAME` still writes one stack file. Every value is checked before anything
is written and quoted as a YAML scalar; a stack with validation errors is never written.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jinja2

from clusterforge.catalog import load as load_catalog
from clusterforge.catalog.releases import DNS_LABEL_MAX
from clusterforge.cli.common import EXIT_FINDINGS, emit, format_option, handle_errors
from clusterforge.clouds import cluster_clouds, names, profile
from clusterforge.errors import UsageError
from clusterforge.validate.rules._util import name_problem
from clusterforge.workflow import templates as library

#: What a value from the command line may contain before it goes into the stack file.
SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")

#: The single-file form's options and their defaults (None: the form's own default).
LEGACY: dict[str, Any] = {"cloud": "aws", "accelerator": "H100", "per_node": 8, "nodes": 2, "topology": None,
          "region": None, "zone": None, "project": None, "context": "my-cluster", "team": "research",
          "out": None}  # fmt: skip


def new_stack_kubernetes_version(cloud: str) -> str:
    """The Kubernetes minor a new stack asks for, from the catalog: on AWS the newest EKS
    version with a release date (``services.json`` ``kubernetes.versions``), on GCP the Regular
    channel's default minor (``gke.regular_default_minor``, with its source); "" for an
    existing cluster (the region a stack without one goes to is the profile's default_region)."""
    if not profile(cloud).creates_cluster:
        return ""
    catalog = load_catalog(cloud)
    released = [v.version for v in catalog.kubernetes_versions if v.released]
    if released:
        return max(released, key=lambda v: tuple(int(p) for p in v.split(".")))
    return str((catalog.extra.get("gke") or {}).get("regular_default_minor", ""))


def render_stack(**context: object) -> str:
    """The single-file template, every user value quoted as a YAML scalar."""
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
    environment.filters["y"] = library.yaml_scalar
    return environment.from_string(source).render(**context)


@click.command("templates")
@format_option("text", "json")
@handle_errors
def templates_command(fmt: str) -> None:
    """List the stack templates with their variables (for `clusterforge new TEMPLATE DIR`)."""
    found = library.templates()
    if fmt == "json":
        click.echo(json.dumps([t.to_dict() for t in found.values()], indent=2))
        return
    for template in found.values():
        click.echo(f"{template.name}  ({template.cloud})")
        click.echo(f"  {template.description}")
        for variable in template.variables:
            allowed = (
                f" [{'|'.join(map(str, variable.choices))}]"
                if variable.choices
                else (
                    f" [{variable.minimum}..{variable.maximum}]" if variable.kind == "int" else ""
                )
            )
            click.echo(f"    --set {variable.name}={variable.default}{allowed}  {variable.help}")
        click.echo("")
    # A range is one variable's; what fits together (nodes in a zone's subnet, AWS007) depends on
    # the instance type, size and network chosen with it, so the rendered stack is validated.
    click.echo(
        "ranges bound each value alone: the stack they make is validated before anything is "
        "written (e.g. AWS007 when a zone's subnet cannot hold the nodes at max size)"
    )
    click.echo("start one: clusterforge new TEMPLATE DIR [--set key=value ...]")


@click.command()
@click.argument("template_or_name", metavar="TEMPLATE")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A template variable (repeatable); see `clusterforge templates`.")  # fmt: skip
@click.option(
    "--force", is_flag=True, help="Write into a non-empty DIR (same-named files are replaced)."
)
@click.option("--no-input", is_flag=True, help="Never prompt; use --set values and the defaults.")
@click.option("--cloud", type=click.Choice(names()),
              help="NAME form: cloud [default: aws].")  # fmt: skip
@click.option(
    "--accelerator", help="NAME form: GPU model, Trainium, or a TPU generation [default: H100]."
)
@click.option("--per-node", type=click.IntRange(min=1, max=64),
              help="NAME form: accelerators per node [default: 8].")  # fmt: skip
@click.option(
    "--nodes",
    type=click.IntRange(min=0, max=10000),
    help="NAME form: accelerator nodes [default: 2].",
)
@click.option("--topology", help="NAME form: TPU slice topology, e.g. 4x4x4.")
@click.option(
    "--region",
    help="NAME form: region (default: "
    + ", ".join(f"{profile(c).default_region} on {c}" for c in cluster_clouds())
    + ").",
)
@click.option("--zone", help="NAME form: zone (default: the region's first).")
@click.option("--project", help="NAME form: GCP project id.")
@click.option("--context", help="NAME form, cloud kubernetes: the kubeconfig context.")
@click.option("--team", help="NAME form: team, a tag and a namespace [default: research].")
@click.option("--out", type=click.Path(path_type=Path),
              help="NAME form: the .yaml file to write (default: NAME.yaml); never overwritten.")  # fmt: skip
@handle_errors
def new(template_or_name: str, directory: Path | None, settings: tuple[str, ...], force: bool,
        no_input: bool, **legacy: Any) -> None:  # fmt: skip
    """Start a project from TEMPLATE in DIR (see `clusterforge templates`).

    \b
    clusterforge new aws-llm-training proj --set nodes=8
    Writes DIR/cluster.yaml, the Pulumi project (Pulumi.yaml, __main__.py, Pulumi.<stack>.yaml),
    policy-config.json and the CI pipeline. `clusterforge new NAME [--cloud ...]` (no DIR) writes
    a single stack file NAME.yaml, as before.
    """
    used = sorted(k for k, v in legacy.items() if v is not None)
    if directory is None:
        if template_or_name in library.templates():
            raise UsageError(
                f"clusterforge new {template_or_name} needs a DIR to write the project into",
                hint=f"clusterforge new {template_or_name} my-project",
            )
        if settings or force:
            raise UsageError("--set and --force go with `new TEMPLATE DIR`",
                             hint="see `clusterforge templates`")  # fmt: skip
        _new_stack_file(
            template_or_name, **{k: (LEGACY[k] if v is None else v) for k, v in legacy.items()}
        )
        return
    if used:
        flags = ", ".join("--" + k.replace("_", "-") for k in used)
        raise UsageError(
            f"{flags}: options of the single-file form `new NAME`",
            hint="with a template, set values with --set key=value (see `clusterforge templates`)",
        )
    _new_project(template_or_name, directory, settings, force, no_input)


def _new_project(
    name: str, directory: Path, settings: tuple[str, ...], force: bool, no_input: bool
) -> None:
    template = library.get(name)
    pairs: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE", hint="e.g. --set nodes=8")
        pairs[key.strip()] = value
    library.check_target(directory, force)  # before any prompt: fail fast
    prompt = None
    if not no_input and sys.stdin.isatty() and sys.stdout.isatty():

        def prompt(variable: library.Variable) -> str:
            choices = click.Choice([str(c) for c in variable.choices]) if variable.choices else None
            return str(click.prompt(variable.help or variable.name, default=str(variable.default),
                                    type=choices, show_choices=bool(choices)))  # fmt: skip

    values = library.resolve_values(template, pairs, prompt)
    created = library.create(template, values, directory, force=force)
    if created.findings:
        for finding in created.findings:
            click.echo(
                f"error: {finding.rule} {finding.path}: {finding.message} ({finding.hint})",
                err=True,
            )
        click.echo(
            f"nothing was written: the values above make an invalid {template.name} stack", err=True
        )
        sys.exit(EXIT_FINDINGS)
    for relative in created.files:
        click.echo(f"wrote {directory / relative}", err=True)
    click.echo(
        f"next: cd {directory} && clusterforge validate cluster.yaml && clusterforge plan cluster.yaml",
        err=True,
    )


def _new_stack_file(name: str, *, cloud: str, accelerator: str, per_node: int, nodes: int,
                    topology: str | None, region: str | None, zone: str | None, project: str | None,
                    context: str, team: str, out: Path | None) -> None:  # fmt: skip
    # The label's shape only (63, DNS-1123): the real length limit depends on the add-ons, and
    # validating the stack below reports it (NAME001, ADD015) before anything is written.
    problem = name_problem(name, DNS_LABEL_MAX)
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
    if target.suffix.lower() not in (".yaml", ".yml") or any(ord(c) < 32 for c in str(target)):
        raise UsageError(
            f"--out {target}: clusterforge new writes a YAML stack file",
            hint="name a .yaml or .yml file",
        )
    if target.exists() or target.is_symlink():
        raise UsageError(
            f"{target} exists",
            hint="choose another --out; clusterforge new never overwrites a file",
        )
    if not target.absolute().parent.is_dir():
        raise UsageError(f"{target.parent} does not exist", hint="create the directory first")
    # The cloud's default region and a zone of the region (its profile).
    region = region or profile(cloud).default_region
    text = render_stack(
        name=name,
        cloud=cloud,
        catalog_cloud=profile(cloud).offerings_catalog,
        region=region,
        zone=zone or (profile(cloud).example_zone(region) if region else None),
        # A placeholder project where the cloud's provider takes one (its profile's provider_config).
        project=project
        or ("my-project" if "project" in profile(cloud).provider_config.values() else None),
        context=context,
        team=team,
        kubernetes_version=new_stack_kubernetes_version(cloud),
        pool=accelerator.lower().replace("_", "-")[:20],
        accelerator=accelerator,
        per_node=per_node,
        nodes=nodes,
        topology=topology,
        storage_gib=36000 if cloud == "gcp" else 2400,
        filename=target.name,
    )
    errors = _validation_errors(text, target)
    for finding in errors:
        click.echo(
            f"error: {finding.rule} {finding.path}: {finding.message} ({finding.hint})", err=True
        )
    if errors:
        click.echo(f"{target} was not written: fix the values above", err=True)
        sys.exit(EXIT_FINDINGS)
    emit(text, target)
    click.echo(f"next: clusterforge plan {target}", err=True)


def _validation_errors(text: str, target: Path) -> list[Any]:
    """The error findings of ``text`` as a stack file, validated before it is written."""
    from clusterforge import api

    fd, scratch = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=".yaml", dir=target.absolute().parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        _, report = api.validate_stack(scratch)
    finally:
        Path(scratch).unlink(missing_ok=True)
    return [f for f in report.findings if f.severity.value == "error"]
