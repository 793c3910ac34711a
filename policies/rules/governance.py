"""Cost and governance, configured per organisation: an hourly budget, allowed regions, allowed
accelerators, required tags/labels, and where spot capacity may be used.

Every setting lives in the ``--policy-pack-config`` file (the same file for ``pulumi preview`` and
``clusterforge check``); a rule without its setting passes. Prices are on-demand list prices from
the clusterforge catalog, computed from inputs (node counts, instance types, the provider's region).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from clusterforge.catalog.ami import traits as ami_traits
from clusterforge.policies.registry import ADVISORY, config_schema, resource_policy, stack_policy
from clusterforge.policies.rules._catalog import gcp_region, hourly_price, is_gcp_zone, offering
from clusterforge.policies.rules._props import (
    StackView,
    entries,
    get,
    is_unknown,
    items,
    number,
    text,
)
from clusterforge.policies.rules._tokens import (
    AWS_PROVIDER,
    EBS_VOLUME,
    EC2_INSTANCE,
    EFS,
    EKS_CLUSTER,
    FILE_SYSTEMS,
    GCE_INSTANCE,
    GCP_PROVIDER,
    GCS_BUCKET,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
)
from clusterforge.policies.rules.fabric_aws import efa_interfaces
from clusterforge.policies.rules.fabric_gke import max_nodes, node_count

#: GKE replicates a regional node pool over three zones unless ``nodeLocations`` says otherwise.
GKE_REGIONAL_ZONES = 3
DEFAULT_SPOT_ALLOWED = {"training": False, "inference": True, "system": False}
DEFAULT_ROLE_LABEL = "workload"


# ------------------------------------------------------------------------------------ budget


def _aws_pool(
    view: StackView, group: PolicyResource, scale: str, region: str | None
) -> tuple[int, str, float | None] | None:
    nodes = number(
        get(group.props, "scalingConfig", "maxSize" if scale == "max" else "desiredSize")
    )
    instance_type = next(
        (t for t in items(get(group.props, "instanceTypes")) if isinstance(t, str)), None
    )
    if instance_type is None:
        templates = view.referenced(group, "launchTemplate", LAUNCH_TEMPLATE)
        instance_type = (
            text(get(templates[0].props, "instanceType")) if len(templates) == 1 else None
        )
    if nodes is None or instance_type is None:
        return None
    provider_region = text(get(group.provider.props, "region")) if group.provider else None
    return int(nodes), instance_type, hourly_price("aws", instance_type, provider_region or region)


def _gke_pool(
    pool: PolicyResource, scale: str, region: str | None
) -> tuple[int, str, float | None] | None:
    machine_type = text(get(pool.props, "nodeConfig", "machineType"))
    location = get(pool.props, "location")
    zones = [z for z in items(get(pool.props, "nodeLocations")) if isinstance(z, str)]
    per_zone = len(zones) or (1 if is_gcp_zone(location) else GKE_REGIONAL_ZONES)
    total = number(get(pool.props, "autoscaling", "totalMaxNodeCount")) if scale == "max" else None
    count = int(total) if total is not None else None
    if count is None:
        nodes = max_nodes(pool.props) if scale == "max" else node_count(pool.props)
        count = nodes * per_zone if nodes is not None else None
    if count is None or machine_type is None:
        return None
    provider_region = text(get(pool.provider.props, "region")) if pool.provider else None
    return (
        count,
        machine_type,
        hourly_price("gcp", machine_type, gcp_region(location) or provider_region or region),
    )


@stack_policy(
    "CF-GOV-001",
    "hourly-budget",
    types=(NODE_GROUP, LAUNCH_TEMPLATE, GKE_NODE_POOL),
    description="The node pools cost no more per hour than `maxHourlyUsd` at on-demand list prices (catalog): node "
    "count (desired, or the maximum with `scale: max`) x the instance type's price in the provider's region. A pool "
    "that cannot be priced (no list price in the catalog for its type and region, or its size or type unknown) makes "
    "the total incomplete: that is a violation naming the pools, at the rule's enforcement level, unless "
    "`allowUnpriced: true`. Only node pools count (not storage or management fees). Not applied without "
    "`maxHourlyUsd`.",
    remediation="Shrink or remove the most expensive pool, use reserved capacity, or raise the budget in the policy "
    "config. For an unpriced pool, check its cost by hand, then set `allowUnpriced: true` to accept a budget over "
    "the priced pools only.",
    config=config_schema(
        maxHourlyUsd={
            "type": "number",
            "minimum": 0,
            "description": "Budget in USD per hour for all node pools.",
        },
        scale={
            "type": "string",
            "enum": ["desired", "max"],
            "default": "desired",
            "description": "Price pools at their desired or maximum size.",
        },
        region={
            "type": "string",
            "description": "Region to price in when the provider does not name one.",
        },
        allowUnpriced={
            "type": "boolean",
            "default": False,
            "description": "Accept pools the catalog has no price for (the budget then covers the "
            "priced pools only).",
        },
    ),
    spec_field="nodes",
)
def hourly_budget(args: StackValidationArgs, report: ReportViolation) -> None:
    settings = args.get_config()
    budget = settings.get("maxHourlyUsd")
    if budget is None:
        return
    scale, region = settings.get("scale", "desired"), settings.get("region")
    view = StackView(args.resources)
    priced: list[tuple[float, PolicyResource, str]] = []
    unpriced: list[tuple[PolicyResource, str]] = []
    for pool in view.of_type(NODE_GROUP, GKE_NODE_POOL):
        found = (
            _aws_pool(view, pool, scale, region)
            if pool.resource_type == NODE_GROUP
            else _gke_pool(pool, scale, region)
        )
        if found is None:
            unpriced.append((pool, f"{pool.name} (size or instance type unknown)"))
            continue
        nodes, instance_type, price = found
        if not nodes:
            continue
        if price is None:
            unpriced.append((pool, f"{pool.name} ({nodes} x {instance_type}: no list price)"))
        else:
            line = f"{pool.name} {nodes} x {instance_type} ${nodes * price:,.2f}/h"
            priced.append((nodes * price, pool, line))
    total = sum(cost for cost, _, _ in priced)
    priced.sort(key=lambda item: -item[0])
    breakdown = "; ".join(line for _, _, line in priced)
    missing = ", ".join(label for _, label in unpriced)
    if total > float(budget):
        note = f" (and unpriced: {missing})" if missing else ""
        report(
            f"node pools cost ${total:,.2f}/hour at on-demand list prices, over the budget of "
            f"${float(budget):,.2f}/hour: {breakdown}{note}.",
            priced[0][1].urn,
        )
    elif unpriced and not settings.get("allowUnpriced", False):
        # An incomplete total under the budget proves nothing: the unpriced pools may be the
        # expensive ones (an A4X or TPU7x pool next to a $1/h system pool).
        priced_part = f" ({breakdown})" if breakdown else ""
        report(
            f"the budget of ${float(budget):,.2f}/hour cannot be checked: no price for {missing}; "
            f"the priced pools cost ${total:,.2f}/hour{priced_part}. Check their cost by hand, "
            "then set allowUnpriced: true to accept.",
            unpriced[0][0].urn,
        )


# ------------------------------------------------------------------------------------ regions


@stack_policy(
    "CF-GOV-002",
    "allowed-regions",
    types=(AWS_PROVIDER, GCP_PROVIDER, "gcp:"),
    description="Resources are created only in the regions listed in `allowedRegions` (the providers' regions and "
    "Google Cloud locations). Not applied without `allowedRegions`.",
    remediation="Move the stack to an allowed region (the stack's `region`), or add the region to the policy config.",
    config=config_schema(
        allowedRegions={
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "description": "Regions resources may be created in.",
        }
    ),
    spec_path="region",
)
def allowed_regions(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = list(args.get_config().get("allowedRegions") or [])
    if not allowed:
        return
    seen: dict[str, PolicyResource] = {}
    # Providers first: a finding on the provider names the region setting, not a random resource.
    for resource in sorted(
        args.resources, key=lambda r: not r.resource_type.startswith("pulumi:providers:")
    ):
        for region in _regions(resource):
            seen.setdefault(region, resource)
    for region, resource in seen.items():
        if region not in allowed:
            report(
                f"{resource.name} is planned in {region}, which is not an allowed region ({', '.join(allowed)}).",
                resource.urn,
            )


def _regions(resource: PolicyResource) -> list[str]:
    found = []
    if resource.resource_type in (AWS_PROVIDER, GCP_PROVIDER):
        found.append(text(get(resource.props, "region")))
    elif resource.provider is not None and resource.provider.resource_type in (
        AWS_PROVIDER,
        GCP_PROVIDER,
    ):
        found.append(text(get(resource.provider.props, "region")))
    if resource.resource_type.startswith("gcp:"):
        found.append(gcp_region(text(get(resource.props, "location"))))
    return [r for r in found if r and r != "global"]


# ------------------------------------------------------------------------------- accelerators


def _types_of(args: ResourceValidationArgs) -> tuple[str, list[str]]:
    props = args.props
    if args.resource_type == LAUNCH_TEMPLATE:
        return "aws", [t for t in [text(get(props, "instanceType"))] if t]
    if args.resource_type == NODE_GROUP:
        return "aws", [t for t in items(get(props, "instanceTypes")) if isinstance(t, str)]
    return "gcp", [t for t in [text(get(props, "nodeConfig", "machineType"))] if t]


@resource_policy(
    "CF-GOV-003",
    "allowed-accelerators",
    types=(LAUNCH_TEMPLATE, NODE_GROUP, GKE_NODE_POOL),
    description="Node pools use only the accelerators in `allowedAccelerators` (catalog names: H100, L40S, Trainium2, "
    "tpu-v5p, ...) and the instance types matching `allowedInstanceTypes` (patterns such as `p5.*`). CPU types pass "
    "the accelerator list. Not applied without either setting.",
    remediation="Pick an allowed accelerator or instance type for the pool, or extend the lists in the policy config.",
    config=config_schema(
        allowedAccelerators={
            "type": "array",
            "items": {"type": "string"},
            "description": "Accelerator models pools may use.",
        },
        allowedInstanceTypes={
            "type": "array",
            "items": {"type": "string"},
            "description": "Instance/machine type patterns pools may use.",
        },
    ),
    spec_field="instance_type",
)
def allowed_accelerators(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = args.get_config()
    accelerators = [a.lower() for a in settings.get("allowedAccelerators") or []]
    patterns = list(settings.get("allowedInstanceTypes") or [])
    cloud, types = _types_of(args)
    for instance_type in types:
        if patterns and not any(fnmatch.fnmatchcase(instance_type, p) for p in patterns):
            report(
                f"{args.name}: instance type {instance_type} is not allowed ({', '.join(patterns)}).",
                None,
            )
        found = offering(cloud, instance_type)
        if (
            accelerators
            and found is not None
            and found.accelerator
            and found.accelerator.lower() not in accelerators
        ):
            report(
                f"{args.name}: {instance_type} carries {found.accelerator}, which is not an allowed accelerator.",
                None,
            )


# ------------------------------------------------------------------------------------ tags


#: Resources that must carry the tags even when their inputs name none.
MUST_TAG = (
    EKS_CLUSTER,
    NODE_GROUP,
    LAUNCH_TEMPLATE,
    EC2_INSTANCE,
    EBS_VOLUME,
    EFS,
    *FILE_SYSTEMS,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    GCS_BUCKET,
    GCE_INSTANCE,
)


def _label_path(resource_type: str) -> tuple[str, ...]:
    if resource_type == GKE_CLUSTER:
        return ("resourceLabels",)
    if resource_type == GKE_NODE_POOL:
        return ("nodeConfig", "resourceLabels")
    return ("tags",) if resource_type.startswith("aws:") else ("labels",)


@stack_policy(
    "CF-GOV-004",
    "required-tags",
    types=("aws:", "gcp:"),
    description="Every taggable AWS resource carries the tags in `requiredTags`, and every labelled Google Cloud "
    "resource those labels (provider default tags/labels count). One violation per set of missing keys. Not applied "
    "without `requiredTags`.",
    remediation="Add the missing keys to the stack's `tags` (they reach every resource that takes tags or labels).",
    config=config_schema(
        requiredTags={
            "type": "array",
            "items": {"type": "string"},
            "description": "Tag/label keys every resource needs.",
        }
    ),
    spec_path="tags",
)
def required_tags(args: StackValidationArgs, report: ReportViolation) -> None:
    required = list(args.get_config().get("requiredTags") or [])
    if not required:
        return
    untagged: dict[tuple[str, ...], list[PolicyResource]] = {}
    for resource in args.resources:
        missing = _missing_tags(resource, required)
        if missing:
            untagged.setdefault(missing, []).append(resource)
    for missing, resources in untagged.items():
        names = ", ".join(r.name for r in resources[:5]) + (
            f" and {len(resources) - 5} more" if len(resources) > 5 else ""
        )
        report(
            f"{len(resources)} resource(s) miss tag(s) {', '.join(missing)}: {names}.",
            resources[0].urn,
        )


def _missing_tags(resource: PolicyResource, required: list[str]) -> tuple[str, ...]:
    kind = resource.resource_type
    if not kind.startswith(("aws:", "gcp:")):
        return ()
    path = _label_path(kind)
    if kind not in MUST_TAG and not _sets(resource.props, path):
        return ()
    tags = get(resource.props, *path)
    if is_unknown(tags):
        return ()
    keys = {k for k, _ in entries(tags)}
    if resource.provider is not None:
        for default in (("defaultTags", "tags"), ("defaultLabels",)):
            keys |= {k for k, _ in entries(get(resource.provider.props, *default))}
    return tuple(k for k in required if k not in keys)


def _sets(props: Any, path: tuple[str, ...]) -> bool:
    parent = get(props, *path[:-1]) if len(path) > 1 else props
    return isinstance(parent, Mapping) and any(k == path[-1] for k in parent)


# ------------------------------------------------------------------------------------ spot


def pool_role(
    labels: Any, taints: Any, accelerated: bool, role_label: str, coupled: bool = False
) -> str:
    """A pool's role: its ``role_label`` label (or taint) value; else ``training`` for a multi-node
    pool on a fabric (EFA, GPUDirect networks, compact placement: tightly coupled by design), else
    system/accelerator."""
    value = get(labels, role_label)
    if isinstance(value, str) and value:
        return value
    for taint in items(taints):
        if get(taint, "key") == role_label and isinstance(get(taint, "value"), str):
            return str(get(taint, "value"))
    if coupled:
        return "training"
    return "accelerator" if accelerated else "system"


def _coupled_aws(view: StackView, group: PolicyResource) -> bool:
    templates = view.referenced(group, "launchTemplate", LAUNCH_TEMPLATE)
    fabric = any(
        not is_unknown(efa) and bool(efa) for efa in (efa_interfaces(t.props) for t in templates)
    )
    largest = number(get(group.props, "scalingConfig", "maxSize"))
    return fabric and largest is not None and largest > 1


def _coupled_gke(pool: PolicyResource) -> bool:
    networks = list(items(get(pool.props, "networkConfig", "additionalNodeNetworkConfigs")))
    compact = get(pool.props, "placementPolicy", "type") == "COMPACT"
    largest = max_nodes(pool.props)
    return (bool(networks) or compact) and largest is not None and largest > 1


@stack_policy(
    "CF-GOV-005",
    "spot-by-role",
    types=(NODE_GROUP, GKE_NODE_POOL, LAUNCH_TEMPLATE),
    level=ADVISORY,
    description="Spot capacity only for pool roles that allow it (`spotAllowed`; default: inference yes, training "
    "and system no). A pool's role is its `roleLabel` node label or taint (default `workload`); an unlabelled "
    "multi-node pool on a fabric (EFA interfaces, GPUDirect networks, compact placement) is `training`, other "
    "unlabelled pools `system` (CPU) or `accelerator`; roles not listed are allowed. Advisory by default, like the "
    "spec rule POOL007; make it mandatory in the policy config to block.",
    remediation="Use on-demand, reserved or Capacity Block capacity for the pool, or give it a role that allows spot.",
    config=config_schema(
        spotAllowed={
            "type": "object",
            "additionalProperties": {"type": "boolean"},
            "default": DEFAULT_SPOT_ALLOWED,
            "description": "Pool role -> whether spot capacity is allowed.",
        },
        roleLabel={
            "type": "string",
            "default": DEFAULT_ROLE_LABEL,
            "description": "Node label (or taint) key naming a pool's role.",
        },
    ),
    spec_field="capacity.type",
    same_as=("POOL007",),
)
def spot_by_role(args: StackValidationArgs, report: ReportViolation) -> None:
    settings = args.get_config()
    allowed = dict(settings.get("spotAllowed") or DEFAULT_SPOT_ALLOWED)
    role_label = settings.get("roleLabel") or DEFAULT_ROLE_LABEL
    view = StackView(args.resources)
    for pool in view.of_type(NODE_GROUP, GKE_NODE_POOL):
        props = pool.props
        if pool.resource_type == NODE_GROUP:
            spot = get(props, "capacityType") == "SPOT"
            ami = str(get(props, "amiType") or "")
            found_ami = ami_traits(ami)  # the catalog's one reading of an AMI type
            accelerated = found_ami.nvidia or found_ami.neuron
            labels, taints = get(props, "labels"), get(props, "taints")
            coupled = spot and _coupled_aws(view, pool)
        else:
            config = get(props, "nodeConfig")
            spot = get(config, "spot") is True or get(config, "preemptible") is True
            found = offering("gcp", text(get(config, "machineType")))
            accelerated = bool(list(items(get(config, "guestAccelerators")))) or bool(
                found and found.is_accelerated
            )
            labels, taints = get(config, "labels"), get(config, "taints")
            coupled = spot and _coupled_gke(pool)
        if not spot:
            continue
        role = pool_role(labels, taints, accelerated, role_label, coupled)
        if allowed.get(role, True) is False:
            what = (
                " (an unlabelled multi-node fabric pool)" if coupled and role == "training" else ""
            )
            report(
                f"{pool.name}: spot capacity for a {role} pool{what}, which the policy does not allow.",
                pool.urn,
            )
