"""Subnet addresses per node under the VPC CNI (catalog/ipspace.py), against the EC2 data in the
catalog and the VPC CNI's published max-pods table (aws/amazon-vpc-cni-k8s v1.23.0
misc/eni-max-pods.txt: m5.large 29, p5.48xlarge 100, p5en.48xlarge 198, p6-b300.48xlarge 198)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.efa import NetworkInterface, efa_layout
from clusterforge.catalog.ipspace import (
    MAX_ZONES,
    CniSettings,
    max_pods,
    node_ips,
    nodes_in_zone,
    usable_ips,
    vpc_zones,
)

CATALOG = load("aws")
FACTS: dict[str, Any] = CATALOG.extra["network"]


@pytest.mark.parametrize(
    ("instance_type", "max_pods"),
    [("m5.large", 29), ("p5.48xlarge", 100), ("p5en.48xlarge", 198), ("p6-b300.48xlarge", 198)],
)
def test_max_pods_match_the_vpc_cni_table(instance_type: str, max_pods: int) -> None:
    ips = node_ips(CATALOG.offerings[instance_type], (), CniSettings(), FACTS)
    assert ips is not None and ips.max_pods == max_pods


def test_efa_only_on_card_0_takes_a_cni_slot_and_no_address() -> None:
    p5 = CATALOG.offerings["p5.48xlarge"]  # card 0 takes 2 interfaces, 50 addresses each
    ips = node_ips(p5, efa_layout(p5), CniSettings(), FACTS)
    assert ips is not None
    assert (ips.cni_interfaces, ips.cni_ips, ips.efa_ips, ips.total) == (1, 50, 0, 50)


def test_p6_b300_card_0_has_no_efa_so_the_cni_keeps_all_four_interfaces() -> None:
    b300 = CATALOG.offerings["p6-b300.48xlarge"]
    ips = node_ips(b300, efa_layout(b300), CniSettings(), FACTS)
    assert ips is not None and (ips.cni_interfaces, ips.total) == (4, 200)


def test_efa_interfaces_take_an_address_each_efa_only_none() -> None:
    p5 = CATALOG.offerings["p5.48xlarge"]
    older = (
        NetworkInterface(0, 0, "efa"),
        NetworkInterface(1, 0, "efa"),
        NetworkInterface(2, 1, "efa-only"),
    )
    ips = node_ips(p5, older, CniSettings(), FACTS)
    assert ips is not None and ips.efa_ips == 1  # card 1's efa; the primary is the CNI's


def test_prefix_delegation_counts_whole_prefixes_and_the_warm_one() -> None:
    b300 = CATALOG.offerings["p6-b300.48xlarge"]
    ips = node_ips(b300, efa_layout(b300), CniSettings(prefix_delegation=True), FACTS)
    # 250 max pods - 2 host-network = 248 addresses: 16 prefixes + 1 warm, on one interface.
    assert ips is not None and (ips.max_pods, ips.cni_ips) == (250, 17 * 16 + 1)
    spare = CniSettings(prefix_delegation=True, warm_prefix_target=0)
    assert node_ips(b300, (), spare, FACTS).cni_ips == 16 * 16 + 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("instance_type", "secondary_ips", "prefixes"),
    [
        ("m5.large", 29, 110),  # 2 vCPUs: 3 x 9 x 16 + 2 = 434 with prefixes, capped at 110
        ("c7i.4xlarge", 110, 110),  # 16 vCPUs: the table's 234 is capped at 110 too
        ("c7i.8xlarge", 234, 250),  # 32 vCPUs: over 30, the cap is 250
        ("p5.48xlarge", 100, 250),
        ("trn1.32xlarge", 247, 250),
    ],
)
def test_max_pods_are_capped_by_the_types_vcpus(
    instance_type: str, secondary_ips: int, prefixes: int
) -> None:
    offering = CATALOG.offerings[instance_type]
    assert max_pods(offering, False, FACTS) == secondary_ips
    assert max_pods(offering, True, FACTS) == prefixes


def test_exactly_30_vcpus_take_the_lower_cap_as_the_calculator_script() -> None:
    c7i = CATALOG.offerings["c7i.8xlarge"]
    assert max_pods(dataclasses.replace(c7i, vcpus=30), True, FACTS) == 110
    assert max_pods(dataclasses.replace(c7i, vcpus=31), True, FACTS) == 250


def test_warm_ip_targets_replace_the_warm_interface() -> None:
    m5 = CATALOG.offerings["m5.large"]  # 3 interfaces x 10 addresses
    ips = node_ips(m5, (), CniSettings(warm_ip_target=2, minimum_ip_target=10), FACTS)
    assert ips is not None and ips.cni_ips == 27 + 3  # capped by the three interfaces


def test_unknown_limits_give_no_count() -> None:
    import dataclasses

    bare = dataclasses.replace(CATALOG.offerings["m5.large"], ipv4_per_interface=0)
    assert node_ips(bare, (), CniSettings(), FACTS) is None


def test_subnet_usable_addresses_and_pool_share() -> None:
    assert usable_ips("10.0.0.0/18", FACTS) == 16384 - 5
    assert nodes_in_zone(10, zoned=False, zone_count=3) == 4
    assert nodes_in_zone(10, zoned=True, zone_count=3) == 10


def test_configuration_values_only_for_settings_given() -> None:
    assert CniSettings().configuration_values(FACTS) is None
    values = CniSettings(prefix_delegation=True, warm_prefix_target=1).configuration_values(FACTS)
    assert json.loads(values or "") == {
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    }
    assert set(CniSettings(True, 1, 2, 3).env(FACTS)) <= set(FACTS["vpc_cni"]["env_names"].values())
    assert set(CniSettings(True, 1, 2, 3).env(FACTS)) == {
        "ENABLE_PREFIX_DELEGATION",
        "WARM_PREFIX_TARGET",
        "WARM_IP_TARGET",
        "MINIMUM_IP_TARGET",
    }  # aws/amazon-vpc-cni-k8s v1.23.0 README, "CNI Configuration Variables"


def _resolved(**fields: Any) -> Any:
    from clusterforge.catalog.resolve import resolve
    from clusterforge.spec.models import Cluster

    values: dict[str, Any] = {"name": "demo", "cloud": "aws", "region": "us-east-1"}
    pools = [{"name": "gpu", "instance_type": "p5.48xlarge", "zone": "us-east-1c"}]
    return resolve(Cluster(**{**values, **fields}, node_pools=pools))


def test_vpc_zones_one_choice_for_the_component_and_aws007() -> None:
    resolved = _resolved(zone="us-east-1a")
    region = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
    # The component: the named zones first, topped up from the region's, at most MAX_ZONES.
    assert vpc_zones(resolved, region) == ["us-east-1a", "us-east-1c", "us-east-1b"]
    assert vpc_zones(resolved, ["us-east-1a"]) == ["us-east-1a", "us-east-1c"]
    # AWS007 before the region is known: the top-up is named by position.
    assert vpc_zones(resolved) == ["us-east-1a", "us-east-1c", "zone 3 of the region"]
    assert len(vpc_zones(_resolved())) == MAX_ZONES


def test_vpc_zones_explicit_list_wins_deduplicated_and_capped() -> None:
    listed = ["us-east-1d", "us-east-1d", "us-east-1a", "us-east-1b", "us-east-1c"]
    resolved = _resolved(network={"zones": listed})
    assert vpc_zones(resolved, ["us-east-1f"]) == ["us-east-1d", "us-east-1a", "us-east-1b"]
    assert vpc_zones(resolved) == vpc_zones(resolved, ["us-east-1f"])
