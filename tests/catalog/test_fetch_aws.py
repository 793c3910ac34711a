"""`fetch_aws`: EC2 DescribeInstanceTypes → catalog rows, against the AWS API emulator."""

from __future__ import annotations

import datetime as dt
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from clusterforge.catalog import data_path, fetch_aws
from clusterforge.errors import CatalogError


@dataclass(frozen=True)
class Fetched:
    path: Path
    data: dict[str, Any]

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        return {row["instance_type"]: row for row in self.data["instances"]}


@pytest.fixture(scope="module")
def fetched(aws_api_emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Fetched:
    """One refresh from the emulator, shared by the module (it takes a few seconds)."""
    out = tmp_path_factory.mktemp("refresh") / "aws" / "instances.json"
    data = fetch_aws.refresh(out, endpoint_url=aws_api_emulator)
    return Fetched(out, data)


# --- rows ---------------------------------------------------------------------------------------

EXPECTED_ROWS = {
    "p5.48xlarge": {
        "accelerator": "H100",
        "accelerator_maker": "NVIDIA",
        "accelerator_count": 8,
        "accelerator_memory_gib": 80.0,
        "efa_supported": True,
        "efa_interfaces": 32,
        "network_cards": 32,
        "network_bandwidth_gbps": 3200.0,
        "ami_type": "AL2023_x86_64_NVIDIA",
        "local_nvme_disks": 8,
        "architecture": "x86_64",
    },
    "trn1.32xlarge": {
        "accelerator": "Trainium",
        "accelerator_maker": "AWS",
        "accelerator_count": 16,
        "neuron_cores": 32,
        "efa_supported": True,
        "efa_interfaces": 8,
        "ami_type": "AL2023_x86_64_NEURON",
    },
    "inf2.48xlarge": {
        "accelerator": "Inferentia2",
        "efa_supported": False,
        "efa_interfaces": 0,
        "ami_type": "AL2023_x86_64_NEURON",
    },
    "g6e.xlarge": {
        "accelerator": "L40S",
        "accelerator_count": 1,
        "efa_supported": False,
        "efa_interfaces": 0,
        "ami_type": "AL2023_x86_64_NVIDIA",
    },
}


@pytest.mark.parametrize("instance_type", sorted(EXPECTED_ROWS))
def test_row_facts(fetched: Fetched, instance_type: str) -> None:
    row = fetched.rows[instance_type]
    assert {key: row[key] for key in EXPECTED_ROWS[instance_type]} == EXPECTED_ROWS[instance_type]


def test_p5_supports_cluster_placement_and_capacity_blocks(fetched: Fetched) -> None:
    row = fetched.rows["p5.48xlarge"]
    assert "cluster" in row["placement_strategies"]
    assert "capacity-block" in row["usage_classes"]


def test_graviton_types_are_arm64_with_the_arm_ami(fetched: Fetched) -> None:
    m7g = [row for row in fetched.data["instances"] if row["family"] == "m7g"]
    assert m7g
    assert {(row["architecture"], row["ami_type"]) for row in m7g} == {
        ("arm64", "AL2023_ARM_64_STANDARD")
    }


#: Families 2026 fleets buy; each must come from EC2's facts, not from a list in the fetcher.
NEW_FAMILIES = ("p5", "p5en", "p6-b200", "p6-b300", "g4dn", "g7e", "trn2", "trn2u")


def test_accelerator_families_come_from_gpu_and_neuron_info(fetched: Fetched) -> None:
    families = {row["family"] for row in fetched.data["instances"]}
    assert set(NEW_FAMILIES) <= families
    assert set(fetch_aws.CPU_FAMILIES) <= families
    for row in fetched.data["instances"]:
        if row["family"] not in fetch_aws.CPU_FAMILIES and (
            row["instance_type"] not in fetch_aws.corrected_types()
        ):
            assert row["accelerator_maker"] in ("NVIDIA", "AWS"), row["instance_type"]


def test_fractional_and_foreign_gpus_are_left_out() -> None:
    def gpu(maker: str, partition: float = 1.0) -> dict[str, Any]:
        return _api_item(
            InstanceType="z9.large",
            GpuInfo={"Gpus": [{"Manufacturer": maker, "Count": 1, "GpuPartitionSize": partition}]},
        )

    assert fetch_aws.is_wanted(gpu("NVIDIA"))
    assert not fetch_aws.is_wanted(gpu("NVIDIA", 0.125))  # an eighth of an L4 (g6f)
    assert not fetch_aws.is_wanted(gpu("AMD"))
    assert fetch_aws.is_wanted(_api_item(InstanceType="z9.large"), frozenset({"z9.large"}))


def test_p6_b300_records_its_efa_cards(fetched: Fetched) -> None:
    row = fetched.rows["p6-b300.48xlarge"]
    assert (row["accelerator"], row["accelerator_count"]) == ("B300", 8)
    assert (row["network_cards"], row["efa_interfaces"]) == (17, 16)
    assert row["efa_network_cards"] == list(range(1, 17))  # card 0 is ENA-only
    assert "capacity-block" in row["usage_classes"]


def test_efa_cards_follow_the_per_card_interface_types() -> None:
    cards = [
        {"NetworkCardIndex": 0, "InterfaceTypes": ["interface"]},
        {"NetworkCardIndex": 2, "InterfaceTypes": ["interface", "efa", "efa-only"]},
        {"NetworkCardIndex": 1, "InterfaceTypes": ["efa-only"]},
        {"NetworkCardIndex": 3},
    ]
    assert fetch_aws.efa_cards(cards) == [1, 2]


def test_trn2u_comes_from_the_overrides_with_its_neuron_facts(fetched: Fetched) -> None:
    from clusterforge.catalog import load

    assert fetched.rows["trn2u.48xlarge"]["accelerator"] is None  # EC2 omits NeuronInfo
    trn2u = load("aws").get("trn2u.48xlarge")
    assert trn2u is not None
    assert (trn2u.accelerator, trn2u.accelerator_count, trn2u.neuron_cores_per_device) == (
        "Trainium2",
        16,
        8,
    )
    assert trn2u.ami_type == "AL2023_x86_64_NEURON"


def test_cpu_families_keep_only_system_pool_sizes(fetched: Fetched) -> None:
    sizes = {
        row["instance_type"].partition(".")[2]
        for row in fetched.data["instances"]
        if row["family"] in fetch_aws.CPU_FAMILIES
    }
    assert sizes == set(fetch_aws.CPU_SIZES)


def test_rows_are_sorted_by_family_then_size(fetched: Fetched) -> None:
    keys = [(r["family"], r["vcpus"], r["instance_type"]) for r in fetched.data["instances"]]
    assert keys == sorted(keys)


def test_zones_are_recorded_per_region(fetched: Fetched) -> None:
    zones = fetched.data["zones"]
    assert tuple(zones) == fetch_aws.DEFAULT_REGIONS
    assert "p5.48xlarge" in zones["us-east-1"]
    for region, by_type in zones.items():
        assert set(by_type) <= set(fetched.rows)
        assert all(zone.startswith(region) for names in by_type.values() for zone in names)


def test_written_file_is_the_returned_data(fetched: Fetched) -> None:
    assert json.loads(fetched.path.read_text()) == fetched.data
    assert fetched.data["fetched"] == dt.date.today().isoformat()
    assert "DescribeInstanceTypes" in fetched.data["source"]
    assert stat.S_IMODE(fetched.path.stat().st_mode) == 0o644


def test_committed_catalog_is_what_the_fetcher_produces(fetched: Fetched) -> None:
    """The committed instances.json must stay regenerable: same rows and zones as a fresh refresh
    from the emulator, metadata ('fetched', 'note') aside."""
    with data_path("aws", "instances.json").open("r", encoding="utf-8") as handle:
        committed = json.load(handle)
    committed_rows = {row["instance_type"]: row for row in committed["instances"]}
    assert sorted(committed_rows) == sorted(fetched.rows)
    differing = sorted(t for t in committed_rows if committed_rows[t] != fetched.rows[t])
    assert differing == [], f"hand-edited or stale rows: {differing}"
    assert [r["instance_type"] for r in committed["instances"]] == [
        r["instance_type"] for r in fetched.data["instances"]
    ]
    assert committed["zones"] == fetched.data["zones"]
    assert {k: committed[k] for k in ("source", "generator")} == {
        k: fetched.data[k] for k in ("source", "generator")
    }


# --- failures -----------------------------------------------------------------------------------


def test_failed_refresh_raises_and_keeps_the_old_file(
    unreachable_aws_endpoint: str, tmp_path: Path
) -> None:
    out = tmp_path / "instances.json"
    out.write_text('{"instances": []}\n')
    before = out.stat()

    with pytest.raises(CatalogError, match="EC2 DescribeInstanceTypes in us-east-1 failed"):
        fetch_aws.refresh(out, endpoint_url=unreachable_aws_endpoint)

    assert out.read_text() == '{"instances": []}\n'
    assert out.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances.json"]


def test_missing_credentials_become_a_catalog_error_with_a_hint(
    aws_api_emulator: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    with pytest.raises(CatalogError, match="no AWS credentials") as caught:
        fetch_aws.refresh(tmp_path / "instances.json", endpoint_url=aws_api_emulator)

    assert caught.value.hint and "AWS_PROFILE" in caught.value.hint
    assert not (tmp_path / "instances.json").exists()


def test_write_atomically_keeps_the_old_file_when_serialising_fails(tmp_path: Path) -> None:
    out = tmp_path / "instances.json"
    out.write_text("old\n")

    with pytest.raises(TypeError):
        fetch_aws.write_atomically(out, {"instances": [object()]})

    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances.json"]


# --- plain functions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("performance", "cards", "expected"),
    [
        ("3200 Gigabit", [], 3200.0),
        ("4x 100 Gigabit", [], 400.0),
        ("16x 200 Gigabit", [], 3200.0),
        ("Up to 25 Gigabit", [], 25.0),
        ("Up to 12.5 Gigabit", [], 12.5),
        # The headline text wins over the per-card peaks when EC2 gives one.
        ("3200 Gigabit", [{"PeakBandwidthInGbps": 100.0}], 3200.0),
        ("", [{"PeakBandwidthInGbps": 100.0}, {"PeakBandwidthInGbps": 100.0}], 200.0),
        ("Moderate", [{"PeakBandwidthInGbps": 0.75}], 0.75),
        ("", [{"NetworkCardIndex": 0}], 0.0),
        ("", [], 0.0),
    ],
)
def test_bandwidth_gbps(performance: str, cards: list[dict[str, Any]], expected: float) -> None:
    assert fetch_aws.bandwidth_gbps(performance, cards) == expected


@pytest.mark.parametrize(
    ("architecture", "maker", "expected"),
    [
        ("x86_64", "NVIDIA", "AL2023_x86_64_NVIDIA"),
        ("arm64", "NVIDIA", "AL2023_ARM_64_NVIDIA"),
        ("x86_64", "AWS", "AL2023_x86_64_NEURON"),
        ("x86_64", None, "AL2023_x86_64_STANDARD"),
        ("arm64", None, "AL2023_ARM_64_STANDARD"),
    ],
)
def test_ami_type_for(architecture: str, maker: str | None, expected: str) -> None:
    assert (
        fetch_aws.ami_type_for({"architecture": architecture, "accelerator_maker": maker})
        == expected
    )


def _api_item(**extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "InstanceType": "x1.large",
        "VCpuInfo": {"DefaultVCpus": 2},
        "MemoryInfo": {"SizeInMiB": 8192},
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
    }
    item.update(extra)
    return item


def test_row_from_api_defaults_for_a_bare_cpu_type() -> None:
    row = fetch_aws.row_from_api(_api_item())
    assert row["family"] == "x1"
    assert row["memory_gib"] == 8.0
    assert row["accelerator"] is None and row["accelerator_count"] == 0
    assert (row["efa_supported"], row["efa_interfaces"], row["network_cards"]) == (False, 0, 1)
    assert (row["local_nvme_disks"], row["local_nvme_gb"]) == (0, 0)
    assert row["ami_type"] == "AL2023_x86_64_STANDARD"


def test_row_from_api_ignores_efa_info_when_efa_is_not_supported() -> None:
    network = {
        "EfaSupported": False,
        "EfaInfo": {"MaximumEfaInterfaces": 4},
        "MaximumNetworkCards": 2,
    }
    row = fetch_aws.row_from_api(_api_item(NetworkInfo=network))
    assert (row["efa_supported"], row["efa_interfaces"], row["network_cards"]) == (False, 0, 2)


def test_row_from_api_neuron_cores_are_devices_times_cores() -> None:
    neuron = {
        "NeuronDevices": [
            {
                "Count": 4,
                "Name": "Trainium",
                "CoreInfo": {"Count": 2},
                "MemoryInfo": {"SizeInMiB": 32768},
            }
        ]
    }
    row = fetch_aws.row_from_api(_api_item(NeuronInfo=neuron))
    assert (row["accelerator"], row["accelerator_maker"]) == ("Trainium", "AWS")
    assert (row["accelerator_count"], row["neuron_cores"], row["accelerator_memory_gib"]) == (
        4,
        8,
        32.0,
    )
    assert row["ami_type"] == "AL2023_x86_64_NEURON"
