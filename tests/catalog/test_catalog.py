"""The catalog loader and its queries, on the committed AWS data files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from clusterforge.catalog import CloudCatalog, Offering, data_path, load
from clusterforge.errors import CatalogError


@pytest.fixture(scope="module")
def aws() -> CloudCatalog:
    return load("aws")


def _data(name: str) -> dict[str, Any]:
    with data_path("aws", name).open("r", encoding="utf-8") as handle:
        return json.load(handle)


def test_load_is_cached(aws: CloudCatalog) -> None:
    assert load("aws") is aws
    assert load("aws") is load("aws")


@pytest.mark.parametrize("cloud", ["azure", "kubernetes", "AWS", ""])
def test_unknown_cloud_is_a_catalog_error(cloud: str) -> None:
    with pytest.raises(CatalogError, match="no catalog for cloud"):
        load(cloud)


# --- overrides ----------------------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["trn2.48xlarge", "trn2.3xlarge"])
def test_overrides_replace_what_the_api_reports(aws: CloudCatalog, instance_type: str) -> None:
    raw = {row["instance_type"]: row for row in _data("instances.json")["instances"]}
    assert raw[instance_type]["accelerator_memory_gib"] != 96.0  # the override is doing the work
    offering = aws.get(instance_type)
    assert offering is not None
    assert offering.accelerator_memory_gib == 96.0


def test_every_override_names_a_known_type_and_field_with_a_source(aws: CloudCatalog) -> None:
    fields = {f.name for f in dataclasses.fields(Offering)}
    for instance_type, override in _data("overrides.json")["instances"].items():
        assert instance_type in aws.offerings, instance_type
        assert override.get("source") and override.get("why"), instance_type
        # A misspelt field would be dropped silently by the loader.
        assert set(override) - {"why", "source"} <= fields, instance_type


# --- prices -------------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_p5_has_an_on_demand_price(aws: CloudCatalog, region: str) -> None:
    price = aws.offerings["p5.48xlarge"].price(region)
    assert price is not None and price > 0


@pytest.mark.parametrize("region", ["us-east-1", "us-east-2", "us-west-2", None])
def test_p5e_has_no_on_demand_price(aws: CloudCatalog, region: str | None) -> None:
    assert aws.offerings["p5e.48xlarge"].price(region) is None


def test_price_table_only_names_catalog_types(aws: CloudCatalog) -> None:
    for region, table in _data("prices.json")["on_demand_usd_per_hour"].items():
        assert set(table) <= set(aws.offerings), region


# --- queries ------------------------------------------------------------------------------------


def test_get_and_suggest(aws: CloudCatalog) -> None:
    assert aws.get("p5.48xlarge") is aws.offerings["p5.48xlarge"]
    assert aws.get("p5.48xlarg") is None
    assert "p5.48xlarge" in aws.suggest("p5.48xlarg")
    assert aws.suggest("zzzz") == []


def test_find_h100_x8_is_p5_first(aws: CloudCatalog) -> None:
    found = aws.find("h100", 8)
    assert found[0].instance_type == "p5.48xlarge"
    assert all(o.accelerator == "H100" and o.accelerator_count == 8 for o in found)


def test_find_without_fabric_is_cheapest_first(aws: CloudCatalog) -> None:
    region = "us-east-1"
    candidates = [
        o for o in aws.offerings.values() if o.accelerator == "L40S" and o.accelerator_count == 4
    ]
    assert len(candidates) > 1  # otherwise the order proves nothing
    cheapest = min(candidates, key=lambda o: o.price_usd_per_hour[region])

    found = aws.find("L40S", 4, fabric=False, region=region)

    assert found[0] == cheapest
    assert sorted(o.instance_type for o in found) == sorted(o.instance_type for o in candidates)
    prices = [o.price_usd_per_hour[region] for o in found]
    assert prices == sorted(prices)


def test_find_with_fabric_is_fastest_first(aws: CloudCatalog) -> None:
    found = aws.find("L40S")
    bandwidths = [o.network_bandwidth_gbps for o in found]
    assert bandwidths == sorted(bandwidths, reverse=True)


def test_find_unknown_accelerator_is_empty(aws: CloudCatalog) -> None:
    assert aws.find("TPU v5p") == []
    assert aws.accelerator_counts("TPU v5p") == []


def test_accelerator_counts(aws: CloudCatalog) -> None:
    assert 8 in aws.accelerator_counts("H100")
    assert aws.accelerator_counts("trainium") == aws.accelerator_counts("Trainium") != []


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("H100", "H100"),
        ("h100", "H100"),
        (" l40s ", "L40S"),
        ("TRAINIUM2", "Trainium2"),
        ("a10g", "A10G"),
        ("H1000", None),
    ],
)
def test_canonical_accelerator_is_case_insensitive(
    aws: CloudCatalog, name: str, canonical: str | None
) -> None:
    assert aws.canonical_accelerator(name) == canonical


def test_offered_zones(aws: CloudCatalog) -> None:
    assert aws.offered_zones("us-east-1", "p5.48xlarge")
    assert aws.offered_zones("us-east-1", "no.such") is None  # no zone data for the type anywhere
    assert aws.offered_zones("ap-south-2", "p5.48xlarge") is None


def test_offering_kinds(aws: CloudCatalog) -> None:
    p5, trn1, m7i = (
        aws.offerings["p5.48xlarge"],
        aws.offerings["trn1.32xlarge"],
        aws.offerings["m7i.large"],
    )
    assert (
        p5.is_nvidia
        and p5.is_accelerated
        and p5.supports_cluster_placement
        and p5.supports_capacity_block
    )
    assert trn1.is_neuron and not trn1.is_nvidia
    assert not m7i.is_accelerated and not m7i.is_nvidia and not m7i.is_neuron


def test_to_row_is_plain_json(aws: CloudCatalog) -> None:
    row = aws.offerings["p5.48xlarge"].to_row()
    assert json.loads(json.dumps(row)) == row
    assert row["price_usd_per_hour"] == aws.offerings["p5.48xlarge"].price_usd_per_hour


# --- sources and services -----------------------------------------------------------------------


def test_every_data_file_has_a_source_and_date(aws: CloudCatalog) -> None:
    assert {s["file"] for s in aws.sources} == {
        "instances.json",
        "prices.json",
        "services.json",
        "overrides.json",
    }
    for source in aws.sources:
        assert source["source"].strip(), source["file"]
        dt.date.fromisoformat(source["date"])


def test_kubernetes_versions(aws: CloudCatalog) -> None:
    versions = [v.version for v in aws.kubernetes_versions]
    assert "1.35" in versions
    assert len(versions) == len(set(versions))
    assert aws.kubernetes_version("1.35") is not None
    assert aws.kubernetes_version("1.3") is None


def test_fsx_lustre_facts(aws: CloudCatalog) -> None:
    persistent_2 = aws.storage["fsx_lustre"]["deployment_types"]["PERSISTENT_2"]
    assert 250 in persistent_2["throughput_mbps_per_tib"]


def test_gpudirect_pod_facts_hold_only_what_the_machine_type_does_not() -> None:
    """A GPUDirect pod requests all its machine type's GPUs, which the offering states (ADD014 and
    `verify` read it there): gpudirect.json keeps no second copy of that count."""
    data = json.loads(data_path("common", "gpudirect.json").read_text())
    for fabric, row in data["fabrics"].items():
        assert set(row["pod"]) == {"source", "annotations", "networks", "images"}, fabric
