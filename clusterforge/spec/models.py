"""The cluster spec: frozen pydantic models, the product's main interface.

Cloud-neutral where the idea is (``accelerator: H100`` x 8, ``fabric: auto``, ``type: lustre``),
with explicit per-cloud overrides (``instance_type``, ``deployment_type``). Field names are a
contract: YAML stacks, Python stacks and the JSON Schema printed by ``clusterforge schema`` all
use them. The models check shapes and types only; everything that needs hardware facts or looks
across fields is a validation rule (``clusterforge.validate``) so that every problem is reported
with its path instead of stopping at the first.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from clusterforge.generated import SCHEMA_TITLE

Cloud = Literal["aws", "gcp", "kubernetes"]
Fabric = Literal["auto", "none", "efa", "gpudirect-tcpx", "gpudirect-tcpxo", "rdma", "infiniband"]
CapacityType = Literal["on_demand", "spot", "reservation", "capacity_block", "flex_start"]
StorageType = Literal["lustre", "parallel", "filestore", "gcsfuse", "parallelstore"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _default_log_types() -> list[LogType]:
    return ["api", "audit", "authenticator"]


#: More nodes than any managed node group or GKE node pool holds (EKS: 1,000 per group by
#: default quota; GKE: 1,000 per pool per zone): beyond this a value is a typo.
MAX_NODES = 5000

_TAINT_RE = re.compile(r"^(?P<key>[^=:]+)(=(?P<value>[^:]*))?:(?P<effect>\w+)$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Taint(_Model):
    """A Kubernetes node taint. Also accepted as the string ``key=value:Effect``."""

    key: str = Field(description="Taint key, e.g. nvidia.com/gpu.")
    value: str = Field("", description="Taint value (may be empty).")
    effect: TaintEffect = Field(
        "NoSchedule", description="NoSchedule, PreferNoSchedule or NoExecute."
    )

    def __str__(self) -> str:
        return (
            f"{self.key}={self.value}:{self.effect}" if self.value else f"{self.key}:{self.effect}"
        )


class Capacity(_Model):
    """How the pool's instances are bought."""

    type: CapacityType = Field(
        "on_demand",
        description=(
            "on_demand, spot, reservation (On-Demand Capacity Reservation / GCE reservation), "
            "capacity_block (AWS Capacity Blocks for ML) or flex_start (GKE DWS flex-start)."
        ),
    )
    reservation_id: str | None = Field(
        None,
        description=(
            "AWS: capacity reservation or Capacity Block id (cr-...), required for reservation and capacity_block. "
            "GCP: the reservation name (projects/P/reservations/R for a shared one)."
        ),
    )
    queued_provisioning: bool = Field(
        False,
        description="GKE: Dynamic Workload Scheduler queued provisioning (pairs with a Kueue ProvisioningRequest admission check).",
    )
    start: AwareDatetime | None = Field(
        None,
        description="When the reservation or Capacity Block starts (ISO 8601 with a time zone, e.g. 2027-01-04T11:30:00Z); nodes launch from then.",
    )
    end: AwareDatetime | None = Field(
        None,
        description="When it ends (ISO 8601 with a time zone). A Capacity Block's instances are terminated 30 minutes before; a reservation's keep running unreserved.",
    )


class NodePool(_Model):
    """A group of identical nodes: a CPU system pool or an accelerator pool."""

    name: str = Field(description="Pool name; a DNS-1123 label (lowercase letters, digits, '-').")
    instance_type: str | None = Field(
        None,
        description="Explicit instance/machine type (p5.48xlarge, a3-megagpu-8g, ct5p-hightpu-4t). Overrides `accelerator`.",
    )
    accelerator: str | None = Field(
        None,
        description=(
            "Accelerator model: GPUs (H100, H200, B200, A100, L40S, L4, A10G), AWS Trainium/Inferentia, "
            "or a TPU generation (tpu-v4, tpu-v5e, tpu-v5p, tpu-v6e)."
        ),
    )
    accelerators_per_node: int | None = Field(
        None,
        ge=1,
        description="Accelerators per node; with `accelerator`, picks the instance size.",
    )
    nodes: int | None = Field(
        None,
        ge=0,
        le=MAX_NODES,
        strict=True,
        description="Desired node count (fixed size when min/max are not given).",
    )
    min_nodes: int | None = Field(
        None, ge=0, le=MAX_NODES, strict=True, description="Autoscaling lower bound."
    )
    max_nodes: int | None = Field(
        None, ge=0, le=MAX_NODES, strict=True, description="Autoscaling upper bound."
    )
    fabric: Fabric = Field(
        "auto",
        description="High-bandwidth fabric: auto (the fastest the type has), none, efa, gpudirect-tcpx, gpudirect-tcpxo, rdma, infiniband.",
    )
    capacity: Capacity = Field(default_factory=Capacity, description="Purchase option.")
    zone: str | None = Field(None, description="Zone of this pool; defaults to the cluster `zone`.")
    topology: str | None = Field(
        None,
        description="TPU slice topology (2x2x1, 4x4x4 for v4/v5p; 2x4, 4x8, 16x16 for v5e/v6e). Decides the node count.",
    )
    slices: int = Field(
        1,
        ge=1,
        le=1000,
        description="TPU: number of identical slices (multi-slice); one node pool per slice.",
    )
    network_profile: Literal["auto"] | None = Field(
        None,
        description=(
            "GKE: `auto` uses GKE's accelerator network profile (DRANET: GKE creates the GPU/TPU NIC "
            "networks) instead of the VPCs clusterforge builds; GKE 1.34.1-gke.1829001+, A3/A4/A4X/"
            "ct6e/TPU7x. Required (and the default) on a4x-highgpu-4g."
        ),
    )
    placement_group: bool | None = Field(
        None,
        description=(
            "Force (true) or forbid (false) a cluster placement group. Default: one for fabric pools "
            "unless the capacity is a Capacity Block or a reservation."
        ),
    )
    disk_size_gib: int | None = Field(None, ge=20, le=16384, description="Root volume size in GiB.")
    ami_type: str | None = Field(
        None, description="AWS: override the EKS AMI type (AL2023_x86_64_NVIDIA, ...)."
    )
    local_nvme_raid0: bool = Field(
        True,
        description="Assemble the instance-store NVMe disks into one RAID0 volume where the type has them.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Extra Kubernetes node labels."
    )
    taints: list[Taint] = Field(
        default_factory=list,
        description="Extra taints; accelerator pools also get the vendor taint (nvidia.com/gpu, aws.amazon.com/neuron).",
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict,
        description="cloud: kubernetes — labels that select this pool's existing nodes (quotas and scheduling).",
    )
    vcpus: int | None = Field(
        None, ge=1, description="cloud: kubernetes — vCPUs per node (Kueue CPU quota)."
    )
    memory_gib: int | None = Field(
        None, ge=1, description="cloud: kubernetes — memory per node in GiB (Kueue memory quota)."
    )

    @field_validator("taints", mode="before")
    @classmethod
    def _parse_taint_strings(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        parsed: list[Any] = []
        for item in value:
            if isinstance(item, str):
                match = _TAINT_RE.match(item.strip())
                if not match:
                    raise ValueError(f"taint {item!r} is not 'key=value:Effect' or 'key:Effect'")
                parsed.append(
                    {"key": match["key"], "value": match["value"] or "", "effect": match["effect"]}
                )
            else:
                parsed.append(item)
        return parsed


class Storage(_Model):
    """A shared file system (or bucket) the pools mount."""

    name: str = Field(description="Storage name; a DNS-1123 label.")
    type: StorageType = Field(
        description=(
            "lustre (FSx for Lustre on AWS, Managed Lustre on GCP), parallel (the cloud's best parallel "
            "file system), filestore, gcsfuse, parallelstore."
        )
    )
    capacity_gib: int | None = Field(
        None, ge=1, description="Storage capacity in GiB (file systems; not for gcsfuse)."
    )
    throughput_mbps_per_tib: int | None = Field(
        None, description="Throughput tier in MB/s per TiB (FSx PERSISTENT_2: 125, 250, 500, 1000)."
    )
    deployment_type: str | None = Field(
        None,
        description="AWS FSx deployment type override: PERSISTENT_2, PERSISTENT_1, SCRATCH_2, SCRATCH_1.",
    )
    tier: str | None = Field(
        None,
        description="GCP Filestore tier (BASIC_SSD, ZONAL, REGIONAL, ENTERPRISE, ...); default ZONAL.",
    )
    bucket: str | None = Field(
        None, description="gcsfuse: bucket name to create (default <cluster>-<storage>)."
    )
    mount_path: str = Field("/mnt/data", description="Where pods mount it.")
    import_path: str | None = Field(
        None, description="s3://bucket/prefix to import from (data repository association)."
    )
    export_path: str | None = Field(
        None,
        description="s3://bucket/prefix to export to (FSx): opt-in; must be the import_path when both are set.",
    )
    auto_export: list[Literal["NEW", "CHANGED", "DELETED"]] | None = Field(
        None,
        description="FSx: file system events exported to S3 automatically (default NEW, CHANGED when export_path is set; none otherwise). DELETED also needs export_deletes.",
    )
    export_deletes: bool = Field(
        False,
        description="FSx: also export deletions — deleting a file on the file system deletes its S3 object. Off by default.",
    )
    zone: str | None = Field(
        None, description="Zone; defaults to the zone of the pools that mount it."
    )
    pools: list[str] | None = Field(
        None, description="Names of the pools that mount it; default every accelerator pool."
    )
    data_compression: bool = Field(True, description="LZ4 data compression (FSx).")
    efa: bool = Field(
        False,
        description=(
            "FSx: an EFA-enabled file system (PERSISTENT_2 with a metadata configuration) for "
            "EFA clients and GPUDirect Storage; set at creation only, capacity in the tier's "
            "EFA increments."
        ),
    )
    metadata_iops: int | None = Field(
        None,
        ge=1,
        description=(
            "FSx PERSISTENT_2: metadata IOPS to provision (USER_PROVISIONED); default AUTOMATIC "
            "when a metadata configuration is needed (EFA)."
        ),
    )
    protect: bool = Field(
        True,
        description="Protect from deletion and replacement (Pulumi protect + retain on delete). Turn off only for scratch you can lose.",
    )


class Addon(_Model):
    """A Kubernetes add-on: a pinned chart or manifest set, with values that fit the cluster."""

    name: str = Field(
        description="Add-on name (gpu-operator, kueue, kserve, ...; `clusterforge addons` lists them)."
    )
    enabled: bool = Field(
        True, description="Set false to turn off an add-on the tool would add by itself."
    )
    version: str | None = Field(None, description="Chart/manifest version override.")
    namespace: str | None = Field(None, description="Namespace override.")
    mode: str | None = Field(
        None,
        description="kserve: standard (raw deployments, default) or knative; network-operator: rdma-shared (default) or sriov.",
    )
    values: dict[str, Any] = Field(
        default_factory=dict, description="Chart values merged over the tool's own."
    )

    @field_validator("values")
    @classmethod
    def _sendable_values(cls, values: dict[str, Any]) -> dict[str, Any]:
        problem = unsendable_value(values, "values")
        if problem:
            raise ValueError(problem)
        return values


def unsendable_value(value: Any, path: str) -> str | None:
    """Where ``value`` holds something the engine cannot send as a chart value (YAML's dates and
    ``!!binary``, Python objects, NaN, non-string keys), or None. Iterative: hostile depth is safe."""
    import math

    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    return f"{where}: key {key!r} is not a string"
                stack.append((item, f"{where}.{key}"))
        elif isinstance(node, (list, tuple)):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            return f"{where}: {node} is not a number a chart value can hold"
        elif not (node is None or isinstance(node, (str, int, float, bool))):
            kind = type(node).__name__
            return (
                f"{where}: a {kind} ({node!r:.40}) is not a chart value; quote it to pass a string"
            )
    return None


class KubernetesConfig(_Model):
    """The Kubernetes control plane."""

    version: str = Field("1.35", description="Kubernetes minor version, e.g. '1.35'.")
    endpoint_public_access: bool = Field(
        False,
        description="Expose the API server endpoint publicly (restricted by public_access_cidrs).",
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] = Field(
        "REGULAR", description="GKE release channel."
    )
    public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to reach a public endpoint; required when it is on.",
    )
    private_endpoint: bool = Field(True, description="Private API endpoint inside the VPC.")
    secrets_encryption: bool = Field(
        True, description="Envelope-encrypt Kubernetes secrets with a KMS key."
    )
    control_plane_logs: list[LogType] = Field(
        default_factory=_default_log_types,
        description="Control-plane log types sent to CloudWatch.",
    )
    admins: list[str] = Field(
        default_factory=list,
        description="IAM principal ARNs granted cluster-admin through access entries.",
    )
    context: str | None = Field(
        None, description="cloud: kubernetes — the kubeconfig context of the existing cluster."
    )
    maintenance_exclusion_start: str | None = Field(
        None,
        description=(
            "GKE: start (RFC 3339, e.g. 2026-12-01T00:00:00Z) of a maintenance exclusion that holds "
            "minor and node upgrades until the version's end of support, so running jobs are not "
            "drained by an automatic node upgrade."
        ),
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_string(cls, value: Any) -> Any:
        # YAML reads `version: 1.30` as the float 1.3; keep what the user meant.
        if isinstance(value, float):
            raise ValueError(
                'write the version in quotes, e.g. "1.35" (YAML reads 1.30 as the number 1.3)'
            )
        return value


class VpcCni(_Model):
    """AWS: IP address management of the VPC CNI (the vpc-cni add-on's environment); unset
    fields keep the CNI's defaults (secondary IPs, one warm interface)."""

    prefix_delegation: bool = Field(
        False,
        description=(
            "Assign /28 prefixes instead of single addresses (ENABLE_PREFIX_DELEGATION): more pods "
            "per node, fewer EC2 calls; needs contiguous /28 blocks in the subnet."
        ),
    )
    warm_prefix_target: int | None = Field(
        None,
        ge=0,
        description="Spare /28 prefixes per node with prefix delegation (CNI default 1).",
    )
    warm_ip_target: int | None = Field(
        None, ge=0, description="Spare addresses per node; replaces the warm interface/prefix."
    )
    minimum_ip_target: int | None = Field(
        None, ge=0, description="Addresses a node allocates up front (set with warm_ip_target)."
    )


class NetworkConfig(_Model):
    """The VPC the cluster runs in."""

    cidr: str = Field("10.0.0.0/16", description="VPC IPv4 CIDR.")
    zones: list[str] | None = Field(
        None,
        description="Zones for the VPC subnets (EKS needs at least two); default: the cluster zone plus the next ones of the region.",
    )
    nat: Literal["single", "per_zone"] = Field(
        "single", description="AWS: one NAT gateway, or one per zone for zone-independent egress."
    )
    vpc_cni: VpcCni = Field(
        default_factory=VpcCni,
        description="AWS: VPC CNI address management (prefix delegation, warm targets).",
    )
    pods_cidr: str = Field(
        "10.64.0.0/14", description="GCP: secondary range for pod IPs (VPC-native)."
    )
    services_cidr: str = Field("10.68.0.0/20", description="GCP: secondary range for Service IPs.")
    master_cidr: str = Field(
        "172.16.0.0/28", description="GCP: /28 for the private control-plane endpoint."
    )
    gpu_cidr: str = Field(
        "192.168.0.0/16",
        description=(
            "GCP: range the GPU NIC subnets are carved from (one subnet per extra NIC network, "
            "/20 unless a pool needs more; Cluster Toolkit's layout). Must not overlap the other ranges."
        ),
    )
    psa_cidr: str = Field(
        "10.72.0.0/20",
        description=(
            "GCP: private services access range reserved for Managed Lustre / Parallelstore servers; "
            "the Lustre firewall rule admits it."
        ),
    )


class CloudOverride(_Model):
    """Where the stack goes on one cloud, for portable stacks (`--cloud`, `--compare`)."""

    region: str | None = Field(None, description="Region on this cloud.")
    zone: str | None = Field(None, description="Default zone on this cloud.")
    project: str | None = Field(None, description="GCP project id.")
    zones: list[str] | None = Field(None, description="VPC zones on this cloud.")


class Cluster(_Model):
    """An AI cluster: control plane, network, node pools, storage and add-ons."""

    name: str = Field(
        description="Cluster name; a DNS-1123 label, used as the Pulumi project name."
    )
    cloud: Cloud = Field(description="aws, gcp or kubernetes (an existing cluster).")
    project: str | None = Field(None, description="GCP project id (gcp stacks).")
    region: str | None = Field(None, description="Cloud region (us-east-1, us-central1).")
    zone: str | None = Field(None, description="Default zone for accelerator pools and storage.")
    horizon_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        strict=True,
        description="How many days from today the stack is meant to run; a capacity window (capacity.end) that ends within it is a warning. Default: indefinitely.",
    )
    kubernetes: KubernetesConfig = Field(
        default_factory=KubernetesConfig, description="Control plane."
    )
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="VPC.")
    tags: dict[str, str] = Field(
        default_factory=dict, description="Tags/labels on every resource that takes them."
    )
    node_pools: list[NodePool] = Field(default_factory=list, description="Node pools.")
    storage: list[Storage] = Field(default_factory=list, description="Shared file systems.")
    addons: list[Addon] = Field(default_factory=list, description="Kubernetes add-ons.")
    namespaces: list[str] = Field(
        default_factory=list,
        description="Team namespaces: each gets a Kueue LocalQueue and claims for the shared file systems.",
    )
    overrides: dict[Cloud, CloudOverride] = Field(
        default_factory=dict,
        description="Per-cloud region/zone/project for portable stacks: the stack's own cloud uses the top-level fields.",
    )

    def pool(self, name: str) -> NodePool | None:
        return next((p for p in self.node_pools if p.name == name), None)

    def for_cloud(self, cloud: str) -> Cluster:
        """This stack on ``cloud``: the cloud's override (region, zone, project, zones) applied.

        Pool and storage zones written for another cloud are dropped so they follow the new
        cluster zone; explicit instance types stay (validation says when they do not exist there).
        """
        if cloud == self.cloud:
            return self
        override = self.overrides.get(cloud)  # type: ignore[call-overload]
        update: dict[str, Any] = {"cloud": cloud}
        if override is not None:
            update.update(
                region=override.region, zone=override.zone, project=override.project or self.project
            )
            network = self.network.model_copy(update={"zones": override.zones})
            update["network"] = network
        else:
            update.update(region=None, zone=None)
        update["node_pools"] = [
            p.model_copy(update={"zone": None}) if p.zone else p for p in self.node_pools
        ]
        update["storage"] = [
            s.model_copy(update={"zone": None}) if s.zone else s for s in self.storage
        ]
        return self.model_copy(update=update)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a stack file (for editors: `clusterforge schema > cluster.schema.json`)."""
    schema = Cluster.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = SCHEMA_TITLE
    return schema
