"""Regenerate the AWS instance facts from EC2 `DescribeInstanceTypes`.

`clusterforge catalog refresh --cloud aws` calls :func:`refresh`. It pages through every instance
type of a region and keeps the accelerated ones by what EC2 says about them — whole NVIDIA GPUs
(`GpuInfo`) and AWS Neuron devices (`NeuronInfo`), so a new family appears without a code change —
plus the types ``overrides.json`` corrects (EC2 omits the Neuron facts of some, e.g. trn2u) and
common CPU types for system pools. Each becomes a catalog row, with the network cards that take
EFA interfaces (`NetworkInfo.NetworkCards[].InterfaceTypes`); per-zone availability comes from
`DescribeInstanceTypeOfferings`. Prices are not in the EC2 API: they live in ``prices.json`` and
are kept as they are.

The file is written atomically (temporary file + rename): a failed refresh leaves the old data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from clusterforge.catalog.model import AWS_NEURON, NVIDIA
from clusterforge.errors import CatalogError

#: GPU makers whose accelerated types the catalog keeps (the EKS AMIs drive these).
GPU_MAKERS = (NVIDIA,)
#: Interface types that put an EFA device on a network card (EC2 `NetworkCards[].InterfaceTypes`).
EFA_INTERFACE_TYPES = ("efa", "efa-only")
#: CPU families offered for system pools (sizes large … 8xlarge).
CPU_FAMILIES = ("m5", "m6i", "m7i", "m7a", "m7g", "c7i", "r7i")
CPU_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")

#: Regions whose per-zone offerings are recorded by default.
DEFAULT_REGIONS = ("us-east-1", "us-east-2", "us-west-2")


def is_accelerated(item: dict[str, Any]) -> bool:
    """Whether EC2 reports whole GPUs of a known maker, or Neuron devices, on the type.

    Fractional GPU types (`GpuPartitionSize` below 1, e.g. g6f) are left out: a pool asking for
    "1 x L4" must not resolve to an eighth of one."""
    gpus = item.get("GpuInfo", {}).get("Gpus", [])
    if gpus:
        return all(
            g.get("Manufacturer") in GPU_MAKERS and float(g.get("GpuPartitionSize", 1.0)) >= 1.0
            for g in gpus
        )
    return bool(item.get("NeuronInfo", {}).get("NeuronDevices"))


def is_wanted(item: dict[str, Any], corrected: frozenset[str] = frozenset()) -> bool:
    """Whether the catalog keeps the type: accelerated, corrected by overrides.json, or a CPU
    type of a system-pool size."""
    name = item["InstanceType"]
    if name in corrected or is_accelerated(item):
        return True
    family, _, size = name.partition(".")
    return family in CPU_FAMILIES and size in CPU_SIZES


def corrected_types() -> frozenset[str]:
    """Instance types ``overrides.json`` corrects: refreshed even when EC2 omits their
    accelerator facts (the override supplies them, with its source)."""
    from clusterforge.catalog import data_path

    try:
        with data_path("aws", "overrides.json").open("r", encoding="utf-8") as handle:
            return frozenset(json.load(handle).get("instances", {}))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise CatalogError(f"catalog data/aws/overrides.json cannot be read: {exc}") from None


def efa_cards(cards: list[dict[str, Any]]) -> list[int]:
    """Indices of the network cards that take an EFA interface, as EC2 lists them per card."""
    return sorted(
        int(card.get("NetworkCardIndex", 0))
        for card in cards
        if any(t in EFA_INTERFACE_TYPES for t in card.get("InterfaceTypes", []))
    )


def primary_card_interfaces(network: dict[str, Any]) -> int:
    """Interfaces network card 0 takes — the card the VPC CNI attaches pod interfaces to; the
    instance's `MaximumNetworkInterfaces` when EC2 lists no cards."""
    for card in network.get("NetworkCards", []):
        if int(card.get("NetworkCardIndex", 0)) == 0:
            return int(card.get("MaximumNetworkInterfaces", 0))
    return int(network.get("MaximumNetworkInterfaces", 0))


def ami_type_for(row: dict[str, Any]) -> str:
    """The EKS AMI type for a row: the accelerated AL2023 variants ship the drivers the node needs."""
    arm = row["architecture"] == "arm64"
    if row.get("accelerator_maker") == NVIDIA:
        return "AL2023_ARM_64_NVIDIA" if arm else "AL2023_x86_64_NVIDIA"
    if row.get("accelerator_maker") == AWS_NEURON:
        return "AL2023_x86_64_NEURON"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


_PERFORMANCE_RE = re.compile(r"(?:(?P<cards>\d+)x\s*)?(?P<gbps>[\d.]+)\s*Gigabit")


def bandwidth_gbps(performance: str, cards: list[dict[str, Any]]) -> float:
    """Headline network bandwidth: EC2's NetworkPerformance ("3200 Gigabit", "4x 100 Gigabit",
    "Up to 25 Gigabit"), which is what AWS publishes; the per-card peaks when it says nothing."""
    match = _PERFORMANCE_RE.search(performance or "")
    if match:
        return float(match["gbps"]) * int(match["cards"] or 1)
    return float(sum(c.get("PeakBandwidthInGbps", 0.0) for c in cards))


def row_from_api(item: dict[str, Any]) -> dict[str, Any]:
    """One DescribeInstanceTypes item → one catalog row (plain values only)."""
    name = item["InstanceType"]
    network = item.get("NetworkInfo", {})
    row: dict[str, Any] = {
        "instance_type": name,
        "family": name.split(".")[0],
        "vcpus": item["VCpuInfo"]["DefaultVCpus"],
        "memory_gib": round(item["MemoryInfo"]["SizeInMiB"] / 1024, 2),
        "architecture": "arm64"
        if "arm64" in item["ProcessorInfo"]["SupportedArchitectures"]
        else "x86_64",
        "accelerator": None,
        "accelerator_maker": None,
        "accelerator_count": 0,
        "accelerator_memory_gib": 0.0,
        "neuron_cores": 0,
    }
    gpus = item.get("GpuInfo", {}).get("Gpus", [])
    neuron = item.get("NeuronInfo", {}).get("NeuronDevices", [])
    if gpus:
        gpu = gpus[0]
        row.update(
            accelerator=gpu["Name"],
            accelerator_maker=gpu["Manufacturer"],
            accelerator_count=sum(g["Count"] for g in gpus),
            accelerator_memory_gib=round(gpu["MemoryInfo"]["SizeInMiB"] / 1024, 1),
        )
    elif neuron:
        device = neuron[0]
        count = sum(d["Count"] for d in neuron)
        row.update(
            accelerator=device["Name"],
            accelerator_maker=AWS_NEURON,
            accelerator_count=count,
            accelerator_memory_gib=round(device["MemoryInfo"]["SizeInMiB"] / 1024, 1),
            neuron_cores=count * device.get("CoreInfo", {}).get("Count", 0),
        )
    cards = network.get("NetworkCards", [])
    efa_info = network.get("EfaInfo") or {}
    storage = item.get("InstanceStorageInfo") or {}
    disks = storage.get("Disks", [])
    row.update(
        efa_supported=bool(network.get("EfaSupported")),
        efa_interfaces=int(efa_info.get("MaximumEfaInterfaces", 0))
        if network.get("EfaSupported")
        else 0,
        network_cards=int(network.get("MaximumNetworkCards", 1)),
        efa_network_cards=efa_cards(cards) if network.get("EfaSupported") else [],
        primary_card_interfaces=primary_card_interfaces(network),
        ipv4_per_interface=int(network.get("Ipv4AddressesPerInterface", 0)),
        network_bandwidth_gbps=bandwidth_gbps(network.get("NetworkPerformance", ""), cards),
        network_performance=network.get("NetworkPerformance", ""),
        placement_strategies=sorted(
            item.get("PlacementGroupInfo", {}).get("SupportedStrategies", [])
        ),
        local_nvme_disks=sum(d["Count"] for d in disks if d.get("Type") == "ssd"),
        local_nvme_gb=int(storage.get("TotalSizeInGB", 0))
        if disks
        else 0,  # EC2 reports decimal GB
        usage_classes=sorted(item.get("SupportedUsageClasses", [])),
    )
    row["ami_type"] = ami_type_for(row)
    return row


def fetch(
    region: str = "us-east-1",
    *,
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """Query EC2 and return the content of ``instances.json`` (not yet written)."""
    import boto3
    import botocore.exceptions
    import botocore.parsers

    def client(region_name: str) -> Any:
        return boto3.client("ec2", region_name=region_name, endpoint_url=endpoint_url)

    corrected = corrected_types()
    step = f"DescribeInstanceTypes in {region}"
    try:
        items: list[dict[str, Any]] = []
        for page in client(region).get_paginator("describe_instance_types").paginate():
            items.extend(i for i in page["InstanceTypes"] if is_wanted(i, corrected))
        rows = sorted(
            (row_from_api(i) for i in items),
            key=lambda r: (r["family"], r["vcpus"], r["instance_type"]),
        )
        names = [r["instance_type"] for r in rows]
        zones: dict[str, dict[str, list[str]]] = {}
        for region_name in regions:
            step = f"DescribeInstanceTypeOfferings in {region_name}"
            by_type: dict[str, list[str]] = {}
            ec2 = client(region_name)
            for start in range(0, len(names), 100):
                chunk = names[start : start + 100]
                pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
                    LocationType="availability-zone",
                    Filters=[{"Name": "instance-type", "Values": chunk}],
                )
                for page in pages:
                    for offer in page["InstanceTypeOfferings"]:
                        by_type.setdefault(offer["InstanceType"], []).append(offer["Location"])
            zones[region_name] = {k: sorted(v) for k, v in sorted(by_type.items())}
    except botocore.exceptions.NoCredentialsError:
        raise CatalogError(
            "no AWS credentials for the EC2 API",
            hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (read-only ec2:Describe* is enough)",
        ) from None
    except (
        botocore.exceptions.BotoCoreError,
        botocore.exceptions.ClientError,
        botocore.parsers.ResponseParserError,
    ) as exc:
        raise CatalogError(
            f"EC2 {step} failed: {exc}", hint="the catalog file was left unchanged"
        ) from None
    if not rows:
        raise CatalogError(
            f"EC2 returned no known instance types in {region}; catalog left unchanged"
        )
    return {
        "source": f"EC2 DescribeInstanceTypes ({region}) and DescribeInstanceTypeOfferings (availability-zone)",
        "fetched": dt.date.today().isoformat(),
        "generator": "clusterforge catalog refresh --cloud aws",
        "instances": rows,
        "zones": zones,
    }


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refresh(
    out: Path,
    *,
    region: str = "us-east-1",
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """Fetch and write ``out``; returns the data written."""
    data = fetch(region, regions=regions, endpoint_url=endpoint_url)
    write_atomically(out, data)
    return data
