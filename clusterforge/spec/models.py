"""The cluster spec: frozen dataclasses, the product's main interface.

Cloud-neutral where the idea is (``accelerator: H100`` x 8, ``fabric: auto``, ``type: lustre``),
with explicit per-cloud overrides (``instance_type``, ``deployment_type``). Field names are a
contract: YAML stacks, Python stacks and the JSON Schema printed by ``clusterforge schema`` all
use them. The models check shapes and types only; everything that needs hardware facts or looks
across fields is a validation rule (``clusterforge.validate``) so that every problem is reported
with its path instead of stopping at the first.

Each field is written once, as ``name: Annotated[type, Field(...)] = default``. The annotations
stay strings at run time (``from __future__ import annotations``): only the build
(``python -m clusterforge.spec.build``) evaluates them, with
pydantic, into ``schema.json`` and the pydantic-core validators in ``validators.pickle``. At
run time the models need ``pydantic_core`` only (:mod:`clusterforge.spec.base`), so
``clusterforge validate`` does not import pydantic.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Literal

from clusterforge.spec.base import SpecModel, spec_model

if TYPE_CHECKING:  # the build puts these names in this module before evaluating annotations
    from typing import Annotated

    from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

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


def _parse_taint_strings(value: Any) -> Any:
    """Taints written as strings (``key=value:Effect``) as their fields."""
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


def _sendable_values(values: dict[str, Any]) -> dict[str, Any]:
    problem = unsendable_value(values, "values")
    if problem:
        raise ValueError(problem)
    return values


def _version_as_string(value: Any) -> Any:
    # YAML reads `version: 1.30` as the float 1.3; keep what the user meant.
    if isinstance(value, float):
        raise ValueError(
            'write the version in quotes, e.g. "1.35" (YAML reads 1.30 as the number 1.3)'
        )
    return value


@spec_model
class Taint(SpecModel):
    """A Kubernetes node taint. Also accepted as the string ``key=value:Effect``."""

    key: Annotated[str, Field(description="Taint key, e.g. nvidia.com/gpu.")]
    value: Annotated[str, Field(description="Taint value (may be empty).")] = ""
    effect: Annotated[
        TaintEffect, Field(description="NoSchedule, PreferNoSchedule or NoExecute.")
    ] = "NoSchedule"

    def __str__(self) -> str:
        return (
            f"{self.key}={self.value}:{self.effect}" if self.value else f"{self.key}:{self.effect}"
        )


@spec_model
class Capacity(SpecModel):
    """How the pool's instances are bought."""

    type: Annotated[
        CapacityType,
        Field(
            description="on_demand, spot, reservation (On-Demand Capacity Reservation / GCE reservation), "
            "capacity_block (AWS Capacity Blocks for ML) or flex_start (GKE DWS flex-start)."
        ),
    ] = "on_demand"
    reservation_id: Annotated[
        str | None,
        Field(
            description="AWS: capacity reservation or Capacity Block id (cr-...), required for reservation and capacity_block. "
            "GCP: the reservation name (projects/P/reservations/R for a shared one)."
        ),
    ] = None
    queued_provisioning: Annotated[
        bool,
        Field(
            description="GKE: Dynamic Workload Scheduler queued provisioning (pairs with a Kueue ProvisioningRequest admission check)."
        ),
    ] = False
    start: Annotated[
        AwareDatetime | None,
        Field(
            description="When the reservation or Capacity Block starts (ISO 8601 with a time zone, e.g. 2027-01-04T11:30:00Z); nodes launch from then."
        ),
    ] = None
    end: Annotated[
        AwareDatetime | None,
        Field(
            description="When it ends (ISO 8601 with a time zone). A Capacity Block's instances are terminated 30 minutes before; a reservation's keep running unreserved."
        ),
    ] = None


@spec_model
class NodePool(SpecModel):
    """A group of identical nodes: a CPU system pool or an accelerator pool."""

    name: Annotated[
        str, Field(description="Pool name; a DNS-1123 label (lowercase letters, digits, '-').")
    ]
    instance_type: Annotated[
        str | None,
        Field(
            description="Explicit instance/machine type (p5.48xlarge, a3-megagpu-8g, ct5p-hightpu-4t). Overrides `accelerator`."
        ),
    ] = None
    accelerator: Annotated[
        str | None,
        Field(
            description="Accelerator model: GPUs (H100, H200, B200, A100, L40S, L4, A10G), AWS Trainium/Inferentia, "
            "or a TPU generation (tpu-v4, tpu-v5e, tpu-v5p, tpu-v6e)."
        ),
    ] = None
    accelerators_per_node: Annotated[
        int | None,
        Field(
            ge=1, description="Accelerators per node; with `accelerator`, picks the instance size."
        ),
    ] = None
    nodes: Annotated[
        int | None,
        Field(
            ge=0,
            le=MAX_NODES,
            strict=True,
            description="Desired node count (fixed size when min/max are not given).",
        ),
    ] = None
    min_nodes: Annotated[
        int | None, Field(ge=0, le=MAX_NODES, strict=True, description="Autoscaling lower bound.")
    ] = None
    max_nodes: Annotated[
        int | None, Field(ge=0, le=MAX_NODES, strict=True, description="Autoscaling upper bound.")
    ] = None
    fabric: Annotated[
        Fabric,
        Field(
            description="High-bandwidth fabric: auto (the fastest the type has), none, efa, gpudirect-tcpx, gpudirect-tcpxo, rdma, infiniband."
        ),
    ] = "auto"
    capacity: Annotated[Capacity, Field(description="Purchase option.")] = dataclasses.field(
        default_factory=Capacity
    )
    zone: Annotated[
        str | None, Field(description="Zone of this pool; defaults to the cluster `zone`.")
    ] = None
    topology: Annotated[
        str | None,
        Field(
            description="TPU slice topology (2x2x1, 4x4x4 for v4/v5p; 2x4, 4x8, 16x16 for v5e/v6e). Decides the node count."
        ),
    ] = None
    slices: Annotated[
        int,
        Field(
            ge=1,
            le=1000,
            description="TPU: number of identical slices (multi-slice); one node pool per slice.",
        ),
    ] = 1
    network_profile: Annotated[
        Literal["auto"] | None,
        Field(
            description="GKE: `auto` uses GKE's accelerator network profile (DRANET: GKE creates the GPU/TPU NIC "
            "networks) instead of the VPCs clusterforge builds; GKE 1.34.1-gke.1829001+, A3/A4/A4X/"
            "ct6e/TPU7x. Required (and the default) on a4x-highgpu-4g."
        ),
    ] = None
    placement_group: Annotated[
        bool | None,
        Field(
            description="Force (true) or forbid (false) a cluster placement group. Default: one for fabric pools "
            "unless the capacity is a Capacity Block or a reservation."
        ),
    ] = None
    disk_size_gib: Annotated[
        int | None, Field(ge=20, le=16384, description="Root volume size in GiB.")
    ] = None
    ami_type: Annotated[
        str | None, Field(description="AWS: override the EKS AMI type (AL2023_x86_64_NVIDIA, ...).")
    ] = None
    local_nvme_raid0: Annotated[
        bool,
        Field(
            description="Assemble the instance-store NVMe disks into one RAID0 volume where the type has them."
        ),
    ] = True
    labels: Annotated[dict[str, str], Field(description="Extra Kubernetes node labels.")] = (
        dataclasses.field(default_factory=dict)
    )
    taints: Annotated[
        list[Taint],
        BeforeValidator(_parse_taint_strings),
        Field(
            description="Extra taints; accelerator pools also get the vendor taint (nvidia.com/gpu, aws.amazon.com/neuron)."
        ),
    ] = dataclasses.field(default_factory=list)
    node_selector: Annotated[
        dict[str, str],
        Field(
            description="cloud: kubernetes — labels that select this pool's existing nodes (quotas and scheduling)."
        ),
    ] = dataclasses.field(default_factory=dict)
    vcpus: Annotated[
        int | None, Field(ge=1, description="cloud: kubernetes — vCPUs per node (Kueue CPU quota).")
    ] = None
    memory_gib: Annotated[
        int | None,
        Field(ge=1, description="cloud: kubernetes — memory per node in GiB (Kueue memory quota)."),
    ] = None


@spec_model
class Storage(SpecModel):
    """A shared file system (or bucket) the pools mount."""

    name: Annotated[str, Field(description="Storage name; a DNS-1123 label.")]
    type: Annotated[
        StorageType,
        Field(
            description="lustre (FSx for Lustre on AWS, Managed Lustre on GCP), parallel (the cloud's best parallel "
            "file system), filestore, gcsfuse, parallelstore."
        ),
    ]
    capacity_gib: Annotated[
        int | None,
        Field(ge=1, description="Storage capacity in GiB (file systems; not for gcsfuse)."),
    ] = None
    throughput_mbps_per_tib: Annotated[
        int | None,
        Field(
            description="Throughput tier in MB/s per TiB (FSx PERSISTENT_2: 125, 250, 500, 1000)."
        ),
    ] = None
    deployment_type: Annotated[
        str | None,
        Field(
            description="AWS FSx deployment type override: PERSISTENT_2, PERSISTENT_1, SCRATCH_2, SCRATCH_1."
        ),
    ] = None
    tier: Annotated[
        str | None,
        Field(
            description="GCP Filestore tier (BASIC_SSD, ZONAL, REGIONAL, ENTERPRISE, ...); default ZONAL."
        ),
    ] = None
    bucket: Annotated[
        str | None,
        Field(description="gcsfuse: bucket name to create (default <cluster>-<storage>)."),
    ] = None
    mount_path: Annotated[str, Field(description="Where pods mount it.")] = "/mnt/data"
    import_path: Annotated[
        str | None,
        Field(description="s3://bucket/prefix to import from (data repository association)."),
    ] = None
    export_path: Annotated[
        str | None,
        Field(
            description="s3://bucket/prefix to export to (FSx): opt-in; must be the import_path when both are set."
        ),
    ] = None
    auto_export: Annotated[
        list[Literal["NEW", "CHANGED", "DELETED"]] | None,
        Field(
            description="FSx: file system events exported to S3 automatically (default NEW, CHANGED when export_path is set; none otherwise). DELETED also needs export_deletes."
        ),
    ] = None
    export_deletes: Annotated[
        bool,
        Field(
            description="FSx: also export deletions — deleting a file on the file system deletes its S3 object. Off by default."
        ),
    ] = False
    zone: Annotated[
        str | None, Field(description="Zone; defaults to the zone of the pools that mount it.")
    ] = None
    pools: Annotated[
        list[str] | None,
        Field(description="Names of the pools that mount it; default every accelerator pool."),
    ] = None
    data_compression: Annotated[bool, Field(description="LZ4 data compression (FSx).")] = True
    efa: Annotated[
        bool,
        Field(
            description="FSx: an EFA-enabled file system (PERSISTENT_2 with a metadata configuration) for "
            "EFA clients and GPUDirect Storage; set at creation only, capacity in the tier's "
            "EFA increments."
        ),
    ] = False
    metadata_iops: Annotated[
        int | None,
        Field(
            ge=1,
            description="FSx PERSISTENT_2: metadata IOPS to provision (USER_PROVISIONED); default AUTOMATIC "
            "when a metadata configuration is needed (EFA).",
        ),
    ] = None
    protect: Annotated[
        bool,
        Field(
            description="Protect from deletion and replacement (Pulumi protect + retain on delete). Turn off only for scratch you can lose."
        ),
    ] = True


@spec_model
class Addon(SpecModel):
    """A Kubernetes add-on: a pinned chart or manifest set, with values that fit the cluster."""

    name: Annotated[
        str,
        Field(
            description="Add-on name (gpu-operator, kueue, kserve, ...; `clusterforge addons` lists them)."
        ),
    ]
    enabled: Annotated[
        bool, Field(description="Set false to turn off an add-on the tool would add by itself.")
    ] = True
    version: Annotated[str | None, Field(description="Chart/manifest version override.")] = None
    namespace: Annotated[str | None, Field(description="Namespace override.")] = None
    mode: Annotated[
        str | None,
        Field(
            description="kserve: standard (raw deployments, default) or knative; network-operator: rdma-shared (default) or sriov."
        ),
    ] = None
    values: Annotated[
        dict[str, Any],
        AfterValidator(_sendable_values),
        Field(description="Chart values merged over the tool's own."),
    ] = dataclasses.field(default_factory=dict)


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


@spec_model
class KubernetesConfig(SpecModel):
    """The Kubernetes control plane."""

    version: Annotated[
        str,
        BeforeValidator(_version_as_string),
        Field(description="Kubernetes minor version, e.g. '1.35'."),
    ] = "1.35"
    endpoint_public_access: Annotated[
        bool,
        Field(
            description="Expose the API server endpoint publicly (restricted by public_access_cidrs)."
        ),
    ] = False
    release_channel: Annotated[
        Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"], Field(description="GKE release channel.")
    ] = "REGULAR"
    public_access_cidrs: Annotated[
        list[str],
        Field(description="CIDRs allowed to reach a public endpoint; required when it is on."),
    ] = dataclasses.field(default_factory=list)
    private_endpoint: Annotated[bool, Field(description="Private API endpoint inside the VPC.")] = (
        True
    )
    secrets_encryption: Annotated[
        bool, Field(description="Envelope-encrypt Kubernetes secrets with a KMS key.")
    ] = True
    control_plane_logs: Annotated[
        list[LogType], Field(description="Control-plane log types sent to CloudWatch.")
    ] = dataclasses.field(default_factory=_default_log_types)
    admins: Annotated[
        list[str],
        Field(description="IAM principal ARNs granted cluster-admin through access entries."),
    ] = dataclasses.field(default_factory=list)
    context: Annotated[
        str | None,
        Field(description="cloud: kubernetes — the kubeconfig context of the existing cluster."),
    ] = None
    maintenance_exclusion_start: Annotated[
        str | None,
        Field(
            description="GKE: start (RFC 3339, e.g. 2026-12-01T00:00:00Z) of a maintenance exclusion that holds "
            "minor and node upgrades until the version's end of support, so running jobs are not "
            "drained by an automatic node upgrade."
        ),
    ] = None


@spec_model
class VpcCni(SpecModel):
    """AWS: IP address management of the VPC CNI (the vpc-cni add-on's environment); unset
    fields keep the CNI's defaults (secondary IPs, one warm interface)."""

    prefix_delegation: Annotated[
        bool,
        Field(
            description="Assign /28 prefixes instead of single addresses (ENABLE_PREFIX_DELEGATION): more pods "
            "per node, fewer EC2 calls; needs contiguous /28 blocks in the subnet."
        ),
    ] = False
    warm_prefix_target: Annotated[
        int | None,
        Field(
            ge=0, description="Spare /28 prefixes per node with prefix delegation (CNI default 1)."
        ),
    ] = None
    warm_ip_target: Annotated[
        int | None,
        Field(ge=0, description="Spare addresses per node; replaces the warm interface/prefix."),
    ] = None
    minimum_ip_target: Annotated[
        int | None,
        Field(ge=0, description="Addresses a node allocates up front (set with warm_ip_target)."),
    ] = None


@spec_model
class NetworkConfig(SpecModel):
    """The VPC the cluster runs in."""

    cidr: Annotated[str, Field(description="VPC IPv4 CIDR.")] = "10.0.0.0/16"
    zones: Annotated[
        list[str] | None,
        Field(
            description="Zones for the VPC subnets (EKS needs at least two); default: the cluster zone plus the next ones of the region."
        ),
    ] = None
    nat: Annotated[
        Literal["single", "per_zone"],
        Field(description="AWS: one NAT gateway, or one per zone for zone-independent egress."),
    ] = "single"
    vpc_cni: Annotated[
        VpcCni,
        Field(description="AWS: VPC CNI address management (prefix delegation, warm targets)."),
    ] = dataclasses.field(default_factory=VpcCni)
    pods_cidr: Annotated[
        str, Field(description="GCP: secondary range for pod IPs (VPC-native).")
    ] = "10.64.0.0/14"
    services_cidr: Annotated[str, Field(description="GCP: secondary range for Service IPs.")] = (
        "10.68.0.0/20"
    )
    master_cidr: Annotated[
        str, Field(description="GCP: /28 for the private control-plane endpoint.")
    ] = "172.16.0.0/28"
    gpu_cidr: Annotated[
        str,
        Field(
            description="GCP: range the GPU NIC subnets are carved from (one subnet per extra NIC network, "
            "/20 unless a pool needs more; Cluster Toolkit's layout). Must not overlap the other ranges."
        ),
    ] = "192.168.0.0/16"
    psa_cidr: Annotated[
        str,
        Field(
            description="GCP: private services access range reserved for Managed Lustre / Parallelstore servers; "
            "the Lustre firewall rule admits it."
        ),
    ] = "10.72.0.0/20"


@spec_model
class CloudOverride(SpecModel):
    """Where the stack goes on one cloud, for portable stacks (`--cloud`, `--compare`)."""

    region: Annotated[str | None, Field(description="Region on this cloud.")] = None
    zone: Annotated[str | None, Field(description="Default zone on this cloud.")] = None
    project: Annotated[str | None, Field(description="GCP project id.")] = None
    zones: Annotated[list[str] | None, Field(description="VPC zones on this cloud.")] = None


@spec_model
class Cluster(SpecModel):
    """An AI cluster: control plane, network, node pools, storage and add-ons."""

    name: Annotated[
        str, Field(description="Cluster name; a DNS-1123 label, used as the Pulumi project name.")
    ]
    cloud: Annotated[Cloud, Field(description="aws, gcp or kubernetes (an existing cluster).")]
    project: Annotated[str | None, Field(description="GCP project id (gcp stacks).")] = None
    region: Annotated[str | None, Field(description="Cloud region (us-east-1, us-central1).")] = (
        None
    )
    zone: Annotated[
        str | None, Field(description="Default zone for accelerator pools and storage.")
    ] = None
    horizon_days: Annotated[
        int | None,
        Field(
            ge=1,
            le=3650,
            strict=True,
            description="How many days from today the stack is meant to run; a capacity window (capacity.end) that ends within it is a warning. Default: indefinitely.",
        ),
    ] = None
    kubernetes: Annotated[KubernetesConfig, Field(description="Control plane.")] = (
        dataclasses.field(default_factory=KubernetesConfig)
    )
    network: Annotated[NetworkConfig, Field(description="VPC.")] = dataclasses.field(
        default_factory=NetworkConfig
    )
    tags: Annotated[
        dict[str, str], Field(description="Tags/labels on every resource that takes them.")
    ] = dataclasses.field(default_factory=dict)
    node_pools: Annotated[list[NodePool], Field(description="Node pools.")] = dataclasses.field(
        default_factory=list
    )
    storage: Annotated[list[Storage], Field(description="Shared file systems.")] = (
        dataclasses.field(default_factory=list)
    )
    addons: Annotated[list[Addon], Field(description="Kubernetes add-ons.")] = dataclasses.field(
        default_factory=list
    )
    namespaces: Annotated[
        list[str],
        Field(
            description="Team namespaces: each gets a Kueue LocalQueue and claims for the shared file systems."
        ),
    ] = dataclasses.field(default_factory=list)
    overrides: Annotated[
        dict[Cloud, CloudOverride],
        Field(
            description="Per-cloud region/zone/project for portable stacks: the stack's own cloud uses the top-level fields."
        ),
    ] = dataclasses.field(default_factory=dict)

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
    """The JSON Schema of a stack file (for editors: `clusterforge schema > cluster.schema.json`),
    as :mod:`clusterforge.spec.build` generated it into ``schema.json``."""
    import copy

    from clusterforge.spec import schema

    return copy.deepcopy(schema.prebuilt())
