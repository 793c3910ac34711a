"""The GKE network functions validation and the GCP components share (catalog/gcp_network.py)."""

from __future__ import annotations

import ipaddress

import pytest

from clusterforge.catalog import gcp_network, load
from clusterforge.catalog.resolve import resolve
from clusterforge.spec.models import Cluster


def resolved(pools: list[dict], **network: str):
    return resolve(
        Cluster.model_validate(
            {
                "name": "net-test",
                "cloud": "gcp",
                "project": "ml-platform-1",
                "region": "us-central1",
                "zone": "us-central1-a",
                "network": network,
                "node_pools": [{"name": "system", "instance_type": "n2-standard-8", "nodes": 1}]
                + pools,
            }
        )
    )


@pytest.mark.parametrize(("max_nodes", "prefix"), [(2, 20), (4092, 20), (4093, 19), (5000, 19)])
def test_subnets_are_20s_until_a_pool_needs_more(max_nodes: int, prefix: int) -> None:
    assert gcp_network.subnet_prefix(max_nodes) == prefix


def test_big_pool_gets_larger_disjoint_subnets() -> None:
    cluster = resolved(
        [{"name": "h100", "instance_type": "a3-megagpu-8g", "min_nodes": 0, "max_nodes": 5000}],
        gpu_cidr="192.168.0.0/15",
    )
    plan, problems = gcp_network.gpu_subnets(cluster.pools, "192.168.0.0/15")
    assert not problems
    subnets = [ipaddress.ip_network(c) for n in plan["h100"] for c in n.subnets]
    assert len(subnets) == 8 and all(s.prefixlen == 19 for s in subnets)
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])


def test_invalid_gpu_cidr_is_a_problem_not_a_crash() -> None:
    cluster = resolved([{"name": "h100", "instance_type": "a3-megagpu-8g", "nodes": 2}])
    plan, problems = gcp_network.gpu_subnets(cluster.pools, "192.168.0.0/33")
    assert plan == {} and "not a valid CIDR" in problems[0]


@pytest.mark.parametrize(
    ("version", "legacy"),
    [("1.32", True), ("1.33", True), ("1.33.2-gke.4654999", True),
     ("1.33.2-gke.4655000", False), ("1.34", False), ("1.35", False)],
)  # fmt: skip
def test_lustre_legacy_port_only_before_1_33_2_gke_4655000(version: str, legacy: bool) -> None:
    facts = load("gcp").storage["managed_lustre"]
    assert gcp_network.lustre_legacy_port(version, facts) is legacy


@pytest.mark.parametrize(
    ("tier", "capacity", "problem"),
    [
        ("1000", 9000, None),
        ("1000", 1530000, None),
        ("1000", 1539000, "steps of 72,000 GiB above 1,530,000 GiB"),
        ("1000", 1584000, None),  # 22 x 72,000
        ("500", 27000, "steps of 18,000 GiB"),
        ("125", 12240000, None),
        ("125", 12312000, "ends at 12,240,000 GiB"),
        ("250", 18000, "starts at 36,000 GiB"),
    ],
)
def test_lustre_capacity_steps(tier: str, capacity: int, problem: str | None) -> None:
    row = load("gcp").storage["managed_lustre"]["tiers"][tier]
    found = gcp_network.lustre_capacity_problem(row, capacity)
    assert (found is None) if problem is None else (found is not None and problem in found[0])
    if found is not None:
        assert gcp_network.lustre_capacity_problem(row, found[1]) is None  # the hint is valid


@pytest.mark.parametrize(
    ("pool", "second_nic"),
    [
        ({"topology": "4x4"}, True),  # multi-host slice on ct6e-standard-4t
        ({"topology": "2x2", "slices": 2}, True),  # single-host slices talking over DCN
        ({"topology": "2x2"}, False),  # one host: no traffic between hosts
        ({"topology": "2x4"}, False),  # ct6e-standard-8t has no second NIC in the catalog
        ({"topology": "4x4", "fabric": "none"}, False),
        ({"topology": "4x4", "network_profile": "auto"}, False),  # GKE builds them (DRANET)
    ],
)
def test_v6e_second_nic_network(pool: dict, second_nic: bool) -> None:
    spec = {"name": "v6e", "accelerator": "tpu-v6e", **pool}
    pools = gcp_network.pools_with_nic_networks(resolved([spec]).pools)
    assert bool(pools) is second_nic
    if second_nic:
        (network,) = gcp_network.nic_networks(pools[0].offering)
        assert (network.kind, network.subnet_count, network.mtu) == ("gvnic", 1, 8896)


def test_compact_placement_support_has_one_table_and_every_compact_series_a_cap() -> None:
    """instances.json placement_strategies says which series are compact (EFA005); the
    services.json table only sizes them: every compact series gets a cap, and no cap exists for
    a series the catalog says cannot be compact (A4X: placed by its workload policy, E2)."""
    catalog = load("gcp")
    gke = catalog.extra["gke"]
    table = gke["compact_placement"]["max_vms_by_series"]
    compact = {o.family for o in catalog.offerings.values() if o.supports_cluster_placement}
    not_compact = {o.family for o in catalog.offerings.values()} - compact
    assert {"a4x", "e2"} <= not_compact
    assert not set(table) & not_compact
    for offering in catalog.offerings.values():
        cap = gcp_network.compact_placement_max_vms(offering, gke)
        if offering.supports_cluster_placement:
            assert cap is not None and cap > 0, offering.instance_type
        else:
            assert cap is None, offering.instance_type


def test_v6e_gvnic_count_comes_from_tpus_json() -> None:
    catalog = load("gcp")
    generation = catalog.tpus["tpu-v6e"]
    assert generation.second_nic_machine_types == ("ct6e-standard-4t",)
    assert generation.second_nic_gvnic_nics == 2
    assert catalog.offerings["ct6e-standard-4t"].gvnic_nics == 2
    assert catalog.offerings["ct6e-standard-8t"].gvnic_nics != 2


def test_nic_networks_load_the_gcp_facts_only_where_a_network_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every AWS type (EFA or none) and a GCP CPU type need no extra VPC: their answer never
    reads the GCP catalog's MTU facts; a GPUDirect type's networks carry those MTUs."""
    gcp_facts = gcp_network.facts(None)

    def no_gcp_catalog(catalog: object) -> dict:
        raise AssertionError("nic_networks read the GCP catalog's network facts")

    monkeypatch.setattr(gcp_network, "facts", no_gcp_catalog)
    offerings = [*load("aws").offerings.values(), load("gcp").get("n2-standard-8")]
    assert all(gcp_network.nic_networks(o) == [] for o in offerings if o is not None)
    rdma = gcp_network.nic_networks(load("gcp").get("a3-ultragpu-8g"), gcp_facts)
    assert rdma[-1].mtu == gcp_facts["mtu_by_fabric"]["rdma"]
