"""Which offering an accelerator and count resolve to: a stated rule, not the alphabet or a
missing price."""

from __future__ import annotations

import dataclasses

from clusterforge.catalog import load


def test_8_x_h200_resolves_to_p5en_by_fewer_faster_efa_interfaces() -> None:
    catalog = load("aws")
    assert [o.instance_type for o in catalog.find("H200", 8)][:2] == [
        "p5en.48xlarge",
        "p5e.48xlarge",
    ]


def test_the_rule_holds_even_when_p5e_is_cheaper() -> None:
    catalog = load("aws")
    offerings = dict(catalog.offerings)
    offerings["p5e.48xlarge"] = dataclasses.replace(
        offerings["p5e.48xlarge"], price_usd_per_hour={"us-east-1": 1.0}
    )
    cheaper = dataclasses.replace(catalog, offerings=offerings)
    assert cheaper.find("H200", 8, region="us-east-1")[0].instance_type == "p5en.48xlarge"
    # Without the fabric preference, price decides.
    assert (
        cheaper.find("H200", 8, region="us-east-1", fabric=False)[0].instance_type == "p5e.48xlarge"
    )
