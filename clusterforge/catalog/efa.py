"""The EFA interfaces of an instance type's launch template, per network card — one fact.

The launch template (``modules/aws/nodes.py``), the fabric policies CF-FAB-001/002 and the plan's
launch-template description all call this module, so they cannot disagree.

The layout is AWS's documented recommendation for EFA types with several network cards (EC2 User
Guide, "Maximize network bandwidth on Amazon EC2 instances with multiple network cards",
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html, read 2026-12-03):

- the primary interface (network card 0, device 0) is an ENA ``interface`` — an ``efa-only``
  interface cannot be the primary one;
- if card 0 supports EFA, an ``efa-only`` interface at card 0 / device 1;
- every further EFA-capable card gets an ``efa-only`` interface at device 0.

It is built from the cards EC2 lists as taking EFA (``NetworkInfo.NetworkCards[].InterfaceTypes``),
never from a count: p6-b300.48xlarge has 17 cards, card 0 ENA-only, EFA on cards 1-16. ``efa-only``
interfaces take no IP address (EC2 User Guide, "Create and attach an EFA": you can't assign an
IP address to an EFA-only interface), so a node uses one VPC IP for its interfaces instead of one
per card. They need VPC CNI 1.18.5 or later — the first release whose source handles them
(``services.json`` ``network.vpc_cni.efa_only_min_version``, with its source); the vpc-cni managed
add-on is installed at EKS's default version for the cluster's Kubernetes.

The checks accept every layout AWS documents, not only the one built: the older pattern (``efa``
at card 0 / device 0 and ``efa``/``efa-only`` at device 1 of the other cards, as terraform-aws-eks
v21 and the AWS PCS guide build it) and the P5 examples (``efa`` interfaces on some cards) carry
the same EFA devices.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterforge.catalog.model import Offering

#: Interface types that carry an EFA device.
EFA_TYPES = ("efa", "efa-only")
#: The ENA interface type (EC2 `InterfaceType` of a plain network interface).
ENA = "interface"


@dataclass(frozen=True)
class NetworkInterface:
    """One launch-template network interface: where it sits and what it is."""

    network_card_index: int
    device_index: int
    interface_type: str

    @property
    def is_efa(self) -> bool:
        return self.interface_type in EFA_TYPES


def efa_cards(offering: Offering) -> tuple[int, ...]:
    """The network cards that get an EFA interface: the EFA-capable cards, up to the type's
    ``MaximumEfaInterfaces``."""
    return tuple(sorted(offering.efa_network_cards)[: offering.efa_interfaces])


def efa_layout(offering: Offering) -> tuple[NetworkInterface, ...]:
    """The launch template's network interfaces for an EFA pool of ``offering``: the primary ENA
    interface, then one ``efa-only`` interface per EFA-capable card. Empty without EFA."""
    cards = efa_cards(offering)
    if not cards:
        return ()
    layout = [NetworkInterface(0, 0, ENA)]
    layout += [NetworkInterface(card, 1 if card == 0 else 0, "efa-only") for card in cards]
    return tuple(layout)


def efa_interface_count(offering: Offering) -> int:
    """EFA interfaces a complete launch template carries for the type."""
    return sum(1 for n in efa_layout(offering) if n.is_efa)


def layout_problems(offering: Offering | None, interfaces: list[NetworkInterface]) -> list[str]:
    """What is wrong with a launch template's interfaces against AWS's documented layouts.

    Accepted: the primary interface at card 0 / device 0 is ``interface`` or ``efa`` (never
    ``efa-only``); at most one EFA interface per card; an EFA interface on card 0 at device 1
    only as ``efa-only`` behind a primary; on any other card at device 0 or 1; EFA only on cards
    the type lists as EFA-capable (when the type is known)."""
    problems: list[str] = []
    placed: dict[tuple[int, int], NetworkInterface] = {}
    for n in interfaces:
        key = (n.network_card_index, n.device_index)
        if key in placed:
            problems.append(f"network card {key[0]} has two interfaces at device index {key[1]}")
        placed[key] = n
    efa = [n for n in interfaces if n.is_efa]
    per_card: dict[int, int] = {}
    for n in efa:
        per_card[n.network_card_index] = per_card.get(n.network_card_index, 0) + 1
    crowded = sorted(card for card, count in per_card.items() if count > 1)
    if crowded:
        problems.append(
            f"network card(s) {', '.join(map(str, crowded))} carry more than one EFA interface"
        )
    primary = placed.get((0, 0))
    if primary is not None and primary.interface_type == "efa-only":
        problems.append(
            "the primary interface (card 0, device 0) is `efa-only`; it must be `interface` "
            "(ENA) or `efa`"
        )
    for n in efa:
        if n.network_card_index == 0 and n.device_index not in (0, 1):
            problems.append(f"the EFA interface on card 0 is at device index {n.device_index}")
        elif n.network_card_index == 0 and n.device_index == 1 and n.interface_type != "efa-only":
            problems.append("the EFA interface at card 0 / device 1 must be `efa-only`")
        elif n.network_card_index != 0 and n.device_index not in (0, 1):
            problems.append(
                f"the EFA interface on card {n.network_card_index} is at device index "
                f"{n.device_index}; AWS documents device 0 or 1"
            )
    if offering is not None and offering.efa_network_cards:
        capable = set(offering.efa_network_cards)
        wrong = sorted({n.network_card_index for n in efa} - capable)
        if wrong:
            problems.append(
                f"{offering.instance_type} does not support EFA on network card(s) "
                f"{', '.join(map(str, wrong))} (EFA-capable: {describe_cards(capable)})"
            )
    return problems


def describe_cards(cards: set[int] | tuple[int, ...]) -> str:
    """``1-16`` / ``0-31`` / ``0, 2`` for a set of card indices."""
    ordered = sorted(cards)
    if not ordered:
        return "none"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(map(str, ordered))


def from_inputs(interfaces: list[dict[str, object]]) -> list[NetworkInterface]:
    """Launch template ``networkInterfaces`` inputs (engine names) as :class:`NetworkInterface`
    rows; a missing index is 0 and a missing type ``interface``, as EC2 defaults them."""
    return [
        NetworkInterface(
            network_card_index=_index(n.get("networkCardIndex")),
            device_index=_index(n.get("deviceIndex")),
            interface_type=str(n.get("interfaceType") or ENA),
        )
        for n in interfaces
    ]


def _index(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


def summary(interfaces: list[NetworkInterface]) -> str:
    """``16 EFA interfaces on cards 1-16 (16 efa-only)`` — what the plan shows."""
    efa = [n for n in interfaces if n.is_efa]
    if not efa:
        return ""
    only = sum(1 for n in efa if n.interface_type == "efa-only")
    cards = describe_cards(tuple(n.network_card_index for n in efa))
    return f"{len(efa)} EFA interfaces on cards {cards} ({only} efa-only)"
