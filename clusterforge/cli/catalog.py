"""`clusterforge catalog` (list offerings) and `clusterforge catalog refresh` (regenerate facts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from clusterforge.catalog.model import Offering
from clusterforge.cli.common import emit, handle_errors, use_color
from clusterforge.clouds import cluster_clouds, profile
from clusterforge.errors import UsageError
from clusterforge.plainbox import Column, Table, to_rich

#: Columns of the `catalog` table (wide: one offering per line with every region's price).
CATALOG_WIDTH = 160

LIST_FIELDS = (
    "instance_type", "accelerator", "accelerator_count", "accelerator_memory_gib", "vcpus", "memory_gib",
    "efa_interfaces", "network_cards", "network_bandwidth_gbps", "placement_strategies", "ami_type",
    "local_nvme_gb", "usage_classes", "price_usd_per_hour", "fabric_kind", "gpu_nics", "gvnic_nics",
    "gke_accelerator", "tpu_generation", "regions",
)  # fmt: skip


@click.group(invoke_without_command=True)
@click.option(
    "--cloud",
    type=click.Choice(cluster_clouds()),
    default="aws",
    show_default=True,
    help="Cloud whose offerings to list.",
)
@click.option(
    "--accelerator", help="Only offerings with this accelerator (H100, L40S, Trainium2, ...)."
)
@click.option("--all", "show_all", is_flag=True, help="Include CPU-only types.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
@handle_errors
def catalog(
    ctx: click.Context, cloud: str, accelerator: str | None, show_all: bool, fmt: str
) -> None:
    """List the instance types clusterforge knows, with accelerators, EFA and prices."""
    if ctx.invoked_subcommand is not None:
        return
    from clusterforge.catalog import load

    data = load(cloud)
    offerings = list(data.offerings.values())
    if accelerator:
        canonical = data.canonical_accelerator(accelerator)
        if canonical is None:
            raise UsageError(
                f"no {cloud} offering has accelerator {accelerator!r}",
                hint=f"known: {', '.join(data.accelerators())}",
            )
        offerings = data.find(canonical)
    elif not show_all:
        offerings = [o for o in offerings if o.is_accelerated]
    offerings.sort(key=lambda o: (o.accelerator or "~", o.family, o.accelerator_count, o.vcpus))
    if fmt == "json":
        rows = [{k: v for k, v in o.to_row().items() if k in LIST_FIELDS} for o in offerings]
        emit(json.dumps(rows, indent=2) + "\n", None)
        return
    regions = profile(cloud).price_regions
    title = f"{cloud} offerings ({', '.join(s['file'] + ' ' + s['date'] for s in data.sources)})"
    left = ("instance type", "accelerator", "fabric")
    headers = ("instance type", "accelerator", "memory/acc", "vCPU", "memory", "fabric", "network")
    grid = Table(
        title,
        [
            Column(c, "left" if c in left else "right")
            for c in (*headers, *(f"{r} $/h" for r in regions))
        ],
    )
    for o in offerings:
        price = o.price_usd_per_hour
        grid.add_row(
            o.instance_type,
            f"{o.accelerator_count} x {o.accelerator}" if o.accelerator else "-",
            f"{o.accelerator_memory_gib:g} GiB" if o.accelerator else "-",
            str(o.vcpus),
            f"{o.memory_gib:g} GiB",
            _fabric(o),
            f"{o.network_bandwidth_gbps:g} Gbps" if o.network_bandwidth_gbps else "-",
            *(f"{price[r]:.2f}" if r in price else "n/a" for r in regions),
        )
    _print_table(grid, color=use_color(ctx))


def _print_table(grid: Table, *, color: bool) -> None:
    """``grid`` on stdout, 160 columns wide: laid out without rich's console when that gives
    rich's own output (no colour, a UTF-8 stdout, no title or header rich would read as markup:
    the cells reach rich as ``Text``, never parsed)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    texts = [grid.title, *(c.header for c in grid.columns)]
    if not color and encoding.startswith("utf") and not any("[" in t or ":" in t for t in texts):
        lines = grid.render(CATALOG_WIDTH)
        if lines is not None:
            emit("\n".join(lines) + "\n", None)
            return
    from rich.console import Console

    Console(force_terminal=color, no_color=not color, width=CATALOG_WIDTH).print(to_rich(grid))


@catalog.command()
@click.option("--cloud", type=click.Choice(["aws"]), default="aws", show_default=True)
@click.option(
    "--region", default="us-east-1", show_default=True, help="Region queried for instance facts."
)
@click.option(
    "--zones-region",
    "zone_regions",
    multiple=True,
    help="Regions whose per-zone offerings are recorded (repeatable).",
)
@click.option(
    "--endpoint-url", help="EC2 endpoint (a VPC endpoint, or an API emulator for testing)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="File to write (default: the installed catalog file).",
)
@handle_errors
def refresh(
    cloud: str,
    region: str,
    zone_regions: tuple[str, ...],
    endpoint_url: str | None,
    out: Path | None,
) -> None:
    """Regenerate instance facts from EC2 DescribeInstanceTypes (needs read-only EC2 credentials)."""
    from clusterforge.catalog import data_path, fetch_aws

    target = out or Path(str(data_path(cloud, "instances.json")))
    before = _types(target)
    data = fetch_aws.refresh(
        target,
        region=region,
        regions=zone_regions or fetch_aws.DEFAULT_REGIONS,
        endpoint_url=endpoint_url,
    )
    after = {r["instance_type"]: r for r in data["instances"]}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(t for t in set(after) & set(before) if after[t] != before[t])
    click.echo(f"wrote {target}: {len(after)} instance types from {region}")
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            click.echo(f"  {label}: {', '.join(names)}")


def _fabric(offering: Offering) -> str:
    if offering.efa_interfaces:
        return f"efa x{offering.efa_interfaces} ({offering.network_cards} cards)"
    if offering.fabric_kind:
        return f"{offering.fabric_kind} x{offering.gpu_nics}"
    return "-"


def _types(path: Path) -> dict[str, dict]:
    try:
        return {r["instance_type"]: r for r in json.loads(path.read_text())["instances"]}
    except (OSError, ValueError, KeyError):
        return {}
