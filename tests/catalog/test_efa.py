"""`catalog.efa`: the per-card EFA layout every consumer derives from."""

from __future__ import annotations

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.efa import (
    NetworkInterface,
    describe_cards,
    efa_interface_count,
    efa_layout,
    from_inputs,
    summary,
)


def test_p6_b300_layout_skips_its_ena_only_card_0() -> None:
    layout = efa_layout(load("aws").get("p6-b300.48xlarge"))
    assert layout[0] == NetworkInterface(0, 0, "interface")
    assert layout[1:] == tuple(NetworkInterface(c, 0, "efa-only") for c in range(1, 17))
    assert summary(list(layout)) == "16 EFA interfaces on cards 1-16 (16 efa-only)"


def test_p5_layout_puts_card_0s_efa_behind_the_primary() -> None:
    layout = efa_layout(load("aws").get("p5.48xlarge"))
    assert layout[:3] == (
        NetworkInterface(0, 0, "interface"),
        NetworkInterface(0, 1, "efa-only"),
        NetworkInterface(1, 0, "efa-only"),
    )
    assert len(layout) == 33


def test_no_layout_without_efa() -> None:
    assert efa_layout(load("aws").get("g6e.xlarge")) == ()
    assert efa_interface_count(load("aws").get("m7i.2xlarge")) == 0


@pytest.mark.parametrize(
    "offering", [o for o in load("aws").offerings.values() if o.efa_interfaces], ids=str
)
def test_every_efa_type_gets_all_its_efa_interfaces(offering) -> None:
    # The per-card facts and MaximumEfaInterfaces agree for every type EC2 reports.
    assert efa_interface_count(offering) == offering.efa_interfaces


def test_from_inputs_defaults_like_ec2() -> None:
    assert from_inputs([{"interfaceType": "efa-only", "networkCardIndex": 3}, {}]) == [
        NetworkInterface(3, 0, "efa-only"),
        NetworkInterface(0, 0, "interface"),
    ]


@pytest.mark.parametrize(
    ("cards", "text"), [((1, 2, 3), "1-3"), ((0, 2), "0, 2"), ((0, 1), "0, 1"), ((), "none")]
)
def test_describe_cards(cards: tuple[int, ...], text: str) -> None:
    assert describe_cards(cards) == text
