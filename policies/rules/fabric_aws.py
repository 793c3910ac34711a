"""Fabric correctness on AWS: EFA interfaces, their security group, placement and subnets.

What breaks a GPU/Trainium training cluster without an error at creation: a launch template
with fewer EFA interfaces than the instance type has (a fraction of the bandwidth), an EFA
security group without its all-traffic self rules (NCCL hangs), a placement group forced onto a
Capacity Block or reservation (insufficient capacity), an EFA pool spread over subnets (no RDMA
between them).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from clusterforge.catalog.efa import (
    EFA_TYPES,
    NetworkInterface,
    describe_cards,
    efa_cards,
    efa_interface_count,
    layout_problems,
)
from clusterforge.catalog.efa import from_inputs as efa_from_inputs
from clusterforge.policies.registry import ADVISORY, resource_fact, resource_policy, stack_policy
from clusterforge.policies.rules._catalog import offering
from clusterforge.policies.rules._props import (
    UNKNOWN,
    StackView,
    flag,
    get,
    has,
    is_unknown,
    items,
    text,
)
from clusterforge.policies.rules._tokens import (
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    PLACEMENT_GROUP,
    SECURITY_GROUP,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
)

ALL_PROTOCOLS = ("-1", "all")


@resource_fact
def efa_interfaces(props: Any) -> list[Any] | Any:
    """The EFA network interfaces of launch template inputs; UNKNOWN when the list is unknown."""
    interfaces = get(props, "networkInterfaces")
    if is_unknown(interfaces):
        return UNKNOWN
    return [n for n in items(interfaces) if get(n, "interfaceType") in EFA_TYPES]


def reserved_capacity(props: Any) -> str | None:
    """``Capacity Block`` / ``capacity reservation`` when the launch template targets one."""
    if get(props, "instanceMarketOptions", "marketType") == "capacity-block":
        return "a Capacity Block"
    target = get(props, "capacityReservationSpecification", "capacityReservationTarget")
    if has(target, "capacityReservationId") or has(target, "capacityReservationResourceGroupArn"):
        return "a capacity reservation"
    return None


@resource_fact
def launch_interfaces(props: Any) -> list[NetworkInterface] | Any:
    """Every network interface of launch template inputs, as the catalog's rows; UNKNOWN when
    the list, an index or a type is not known yet (a preview)."""
    interfaces = get(props, "networkInterfaces")
    if is_unknown(interfaces):
        return UNKNOWN
    rows: list[dict[str, Any]] = []
    for n in items(interfaces):
        values = {key: get(n, key) for key in ("networkCardIndex", "deviceIndex", "interfaceType")}
        if is_unknown(n) or any(is_unknown(v) for v in values.values()):
            return UNKNOWN
        rows.append(values)
    return efa_from_inputs(rows)


@resource_policy(
    "CF-FAB-001",
    "efa-interfaces-complete",
    types=(LAUNCH_TEMPLATE,),
    description="A launch template with EFA carries one EFA interface per EFA-capable network card of the instance "
    "type (NetworkInfo.NetworkCards), as many as the type supports.",
    remediation="Add an `efa-only` interface on every EFA-capable network card (card 0 at device 1 behind the "
    "primary ENA interface, every further card at device 0), or use `fabric: auto` in the stack; remove EFA "
    "from types without it.",
    spec_field="fabric",
)
def efa_interfaces_complete(args: ResourceValidationArgs, report: ReportViolation) -> None:
    interfaces = launch_interfaces(args.props)
    instance_type = text(get(args.props, "instanceType"))
    found = offering("aws", instance_type)
    if is_unknown(interfaces) or found is None:
        return
    efa = [n for n in interfaces if n.is_efa]
    if not efa:
        return
    expected = efa_interface_count(found)
    if expected == 0:
        report(
            f"{args.name}: {instance_type} does not support EFA, but the launch template has {len(efa)} EFA interface(s).",
            None,
        )
    elif len(efa) < expected:
        report(
            f"{args.name}: {len(efa)} EFA interface(s) on {instance_type}, which supports {expected} on network "
            f"cards {describe_cards(efa_cards(found))} ({found.network_bandwidth_gbps:g} Gbps); the missing ones "
            "are lost bandwidth.",
            None,
        )
    elif len(efa) > expected:
        report(
            f"{args.name}: {len(efa)} EFA interfaces on {instance_type}, which supports at most {expected}; "
            "EC2 refuses the launch.",
            None,
        )


@resource_policy(
    "CF-FAB-002",
    "efa-interface-layout",
    types=(LAUNCH_TEMPLATE,),
    description="EFA interfaces follow a layout AWS documents: the primary interface (card 0, device 0) is an ENA "
    "`interface` or `efa`, never `efa-only`; at most one EFA interface per network card, only on cards that "
    "support EFA; card 0's second interface at device 1 is `efa-only`; further cards use device 0 or 1.",
    remediation="Put an ENA `interface` at networkCardIndex 0 / deviceIndex 0, an `efa-only` at card 0 / device 1 "
    "when card 0 supports EFA, and one `efa-only` at deviceIndex 0 on every further EFA-capable card (EC2 User "
    "Guide, efa-acc-inst-types).",
    spec_field="fabric",
)
def efa_interface_layout(args: ResourceValidationArgs, report: ReportViolation) -> None:
    interfaces = launch_interfaces(args.props)
    if is_unknown(interfaces) or not any(n.is_efa for n in interfaces):
        return
    found = offering("aws", text(get(args.props, "instanceType")))
    problems = layout_problems(found, interfaces)
    if problems:
        report(f"{args.name}: " + "; ".join(problems) + ".", None)


@stack_policy(
    "CF-FAB-003",
    "efa-security-group-self",
    types=(LAUNCH_TEMPLATE, SECURITY_GROUP, SG_INGRESS, SG_EGRESS, SG_RULE),
    description="A security group on the EFA interfaces allows all traffic in from and out to itself (EFA's OS-bypass "
    "traffic is dropped otherwise). Follows the launch template's security groups and the rules attached to them; "
    "skipped when they are not in the stack or cannot be resolved during a preview.",
    remediation="Add an ingress and an egress rule with ipProtocol -1 whose referenced security group is the group "
    "itself, on a group attached to every EFA interface.",
    spec_field="fabric",
)
def efa_security_group_self(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    inbound, outbound = _self_rules(view)
    for template in view.of_type(LAUNCH_TEMPLATE):
        efa = efa_interfaces(template.props)
        if is_unknown(efa) or not efa:
            continue
        groups = view.referenced(template, "networkInterfaces", SECURITY_GROUP)
        if not groups:
            continue  # the groups are not managed in this stack: nothing to judge
        if not any(g.urn in inbound and g.urn in outbound for g in groups):
            names = ", ".join(g.name for g in groups)
            report(
                f"{template.name}: none of its security groups ({names}) allows all traffic both in from and out to "
                "itself; EFA traffic between the nodes will be dropped.",
                template.urn,
            )


def _self_rules(view: StackView) -> tuple[set[str], set[str]]:
    """URNs of security groups with an all-protocol rule referencing themselves, inbound and outbound."""
    inbound: set[str] = set()
    outbound: set[str] = set()
    for rule in view.of_type(SG_INGRESS, SG_EGRESS):
        owner = _self_group(view, rule, "securityGroupId", "referencedSecurityGroupId")
        if owner and get(rule.props, "ipProtocol") in ALL_PROTOCOLS:
            (inbound if rule.resource_type == SG_INGRESS else outbound).add(owner)
    for rule in view.of_type(SG_RULE):
        groups = view.referenced(rule, "securityGroupId", SECURITY_GROUP)
        if (
            len(groups) == 1
            and flag(get(rule.props, "self"))
            and get(rule.props, "protocol") in ALL_PROTOCOLS
        ):
            (inbound if get(rule.props, "type") == "ingress" else outbound).add(groups[0].urn)
    for group in view.of_type(SECURITY_GROUP):
        for direction, found in (("ingress", inbound), ("egress", outbound)):
            for entry in items(get(group.props, direction)):
                if flag(get(entry, "self")) and get(entry, "protocol") in ALL_PROTOCOLS:
                    found.add(group.urn)
    return inbound, outbound


def _self_group(view: StackView, rule: PolicyResource, own: str, peer: str) -> str | None:
    """The group a ``SecurityGroup{In,E}gressRule`` belongs to when it references that same group."""
    groups = view.referenced(rule, own, SECURITY_GROUP)
    if len(groups) != 1:
        return None
    own_value, peer_value = get(rule.props, own), get(rule.props, peer)
    if isinstance(own_value, str) and isinstance(peer_value, str) and not is_unknown(own_value):
        return groups[0].urn if own_value == peer_value else None
    peers = view.referenced(rule, peer, SECURITY_GROUP)
    return groups[0].urn if [p.urn for p in peers] == [groups[0].urn] else None


@resource_policy(
    "CF-FAB-004",
    "no-placement-group-on-capacity-block",
    types=(LAUNCH_TEMPLATE,),
    description="A launch template that targets a Capacity Block does not force a placement group: EC2 places the "
    "block's instances itself and a placement group gives insufficient-capacity errors or fewer instances. (A "
    "capacity reservation with a placement group works when the reservation was created in that group, which a "
    "policy cannot see: validation rule CAP002 warns about it from the stack.)",
    remediation="Remove `placement.groupName` from the launch template (set `placement_group: false` on the pool); "
    "the Capacity Block already decides where the instances run.",
    spec_field="placement_group",
    same_as=("CAP002",),
)
def no_placement_group_on_reserved_capacity(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if reserved_capacity(args.props) == "a Capacity Block" and has(
        get(args.props, "placement"), "groupName"
    ):
        report(f"{args.name}: a placement group is forced on a Capacity Block.", None)


@stack_policy(
    "CF-FAB-005",
    "efa-cluster-placement",
    types=(LAUNCH_TEMPLATE, PLACEMENT_GROUP),
    level=ADVISORY,
    description="An EFA launch template on on-demand or spot capacity uses a `cluster` placement group (lowest latency "
    "between the nodes of one pool); a `spread` or `partition` group puts the nodes apart on purpose. Follows the "
    "template's placement group when it is in the stack.",
    remediation="Create a placement group with `strategy: cluster` and set it as `placement.groupName` of the launch "
    "template (the default for EFA pools in a stack).",
    spec_field="placement_group",
)
def efa_cluster_placement(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for template in view.of_type(LAUNCH_TEMPLATE):
        efa = efa_interfaces(template.props)
        if is_unknown(efa) or not efa or reserved_capacity(template.props):
            continue
        if not has(get(template.props, "placement"), "groupName"):
            report(
                f"{template.name}: EFA nodes without a cluster placement group may land far apart in the zone.",
                template.urn,
            )
            continue
        for group in view.referenced(template, "placement", PLACEMENT_GROUP):
            strategy = get(group.props, "strategy")
            if not is_unknown(strategy) and strategy != "cluster":
                report(
                    f"{template.name}: its placement group {group.name} has strategy {strategy}, not cluster: "
                    "EFA nodes are placed apart.",
                    template.urn,
                )


@stack_policy(
    "CF-FAB-006",
    "efa-pool-single-subnet",
    types=(NODE_GROUP, LAUNCH_TEMPLATE),
    description="A node group whose launch template has EFA interfaces uses exactly one subnet (one zone): EFA does "
    "not cross subnets. Follows the node group's launch template; skipped when it cannot be resolved.",
    remediation="Give the node group a single subnet, in the zone of its capacity (set `zone` on the pool).",
    spec_field="zone",
)
def efa_pool_single_subnet(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for group in view.of_type(NODE_GROUP):
        templates = view.referenced(group, "launchTemplate", LAUNCH_TEMPLATE)
        if len(templates) != 1:
            continue
        efa = efa_interfaces(templates[0].props)
        subnets = get(group.props, "subnetIds")
        if is_unknown(efa) or not efa or is_unknown(subnets):
            continue
        count = len(list(items(subnets)))
        if count > 1:
            report(
                f"{group.name}: EFA node group spans {count} subnets; EFA traffic does not cross subnets.",
                group.urn,
            )
