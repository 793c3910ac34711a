"""Security on GKE: private nodes, Workload Identity, shielded nodes, no legacy ABAC, a release channel,
master authorized networks, secrets encryption, and no internet-open firewall rules."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from clusterforge.catalog.network import covers_internet, internet_open_endpoint
from clusterforge.policies.registry import ADVISORY, resource_policy
from clusterforge.policies.rules._props import flag, get, is_unknown, items, text
from clusterforge.policies.rules._tokens import (
    GCP_FIREWALL,
    GCS_BUCKET,
    GCS_BUCKET_IAM_BINDING,
    GCS_BUCKET_IAM_MEMBER,
    GKE_CLUSTER,
    GKE_NODE_POOL,
)

RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")


def _autopilot(props: Any) -> bool:
    return flag(get(props, "enableAutopilot")) is True


@resource_policy(
    "CF-GKE-001",
    "gke-private-nodes",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    description="GKE nodes have no external IP addresses (private nodes on the cluster, not switched off per pool).",
    remediation="Set `privateClusterConfig.enablePrivateNodes: true` on the cluster and do not set "
    "`networkConfig.enablePrivateNodes: false` on node pools.",
)
def gke_private_nodes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == GKE_NODE_POOL:
        if flag(get(args.props, "networkConfig", "enablePrivateNodes")) is False:
            report(f"{args.name}: the node pool gives its nodes public IP addresses.", None)
        return
    private = get(args.props, "privateClusterConfig", "enablePrivateNodes")
    if not is_unknown(private) and flag(private) is not True:
        report(f"{args.name}: cluster nodes get public IP addresses (private nodes are off).", None)


@resource_policy(
    "CF-GKE-002",
    "gke-workload-identity",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    description="Pods authenticate with Workload Identity: the cluster has a workload pool and no node pool exposes "
    "the node's service account through the GCE metadata server.",
    remediation="Set `workloadIdentityConfig.workloadPool: <project>.svc.id.goog` on the cluster and "
    "`workloadMetadataConfig.mode: GKE_METADATA` on node pools.",
)
def gke_workload_identity(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == GKE_NODE_POOL:
        if get(args.props, "nodeConfig", "workloadMetadataConfig", "mode") == "GCE_METADATA":
            report(
                f"{args.name}: pods can read the node's service-account token (GCE_METADATA).", None
            )
        return
    pool = get(args.props, "workloadIdentityConfig", "workloadPool")
    if not is_unknown(pool) and not text(pool) and not _autopilot(args.props):
        report(
            f"{args.name}: Workload Identity is off; pods would use the node's service account.",
            None,
        )


@resource_policy(
    "CF-GKE-003",
    "gke-shielded-nodes",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    description="Shielded GKE nodes stay on (verified node identity) and node pools keep integrity monitoring.",
    remediation="Do not set `enableShieldedNodes: false` on the cluster or "
    "`shieldedInstanceConfig.enableIntegrityMonitoring: false` on node pools.",
)
def gke_shielded_nodes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == GKE_CLUSTER:
        if flag(get(args.props, "enableShieldedNodes")) is False:
            report(f"{args.name}: shielded nodes are turned off.", None)
        return
    if (
        flag(get(args.props, "nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"))
        is False
    ):
        report(f"{args.name}: integrity monitoring is turned off on the node pool.", None)


@resource_policy(
    "CF-GKE-004",
    "gke-legacy-abac-off",
    types=(GKE_CLUSTER,),
    description="Legacy ABAC authorization is off (RBAC only).",
    remediation="Remove `enableLegacyAbac: true` from the cluster.",
)
def gke_legacy_abac_off(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if flag(get(args.props, "enableLegacyAbac")) is True:
        report(f"{args.name}: legacy ABAC grants broad permissions outside RBAC.", None)


@resource_policy(
    "CF-GKE-005",
    "gke-release-channel",
    types=(GKE_CLUSTER,),
    description="The cluster is enrolled in a release channel (RAPID, REGULAR, STABLE or EXTENDED) so it gets "
    "security patches.",
    remediation="Set `releaseChannel.channel` (the stack's `kubernetes.release_channel`, REGULAR by default).",
    spec_field="release_channel",
)
def gke_release_channel(args: ResourceValidationArgs, report: ReportViolation) -> None:
    channel = get(args.props, "releaseChannel", "channel")
    if not is_unknown(channel) and channel not in RELEASE_CHANNELS:
        report(
            f"{args.name}: no release channel ({channel or 'unset'}); the cluster misses automatic patches.",
            None,
        )


@resource_policy(
    "CF-GKE-006",
    "gke-master-authorized-networks",
    types=(GKE_CLUSTER,),
    description="The control plane is reachable only from authorized networks: a private endpoint, or master "
    "authorized networks that do not together cover the internet. No `masterAuthorizedNetworksConfig` leaves a public "
    "endpoint open to every address; an empty list of CIDR blocks closes it to every external network.",
    remediation="Set `privateClusterConfig.enablePrivateEndpoint: true`, or list the networks that may reach the API "
    "in `masterAuthorizedNetworksConfig.cidrBlocks` (the stack's `kubernetes.public_access_cidrs`).",
    spec_field="public_access_cidrs",
    same_as=("K8S002",),
)
def gke_master_authorized_networks(args: ResourceValidationArgs, report: ReportViolation) -> None:
    private = get(args.props, "privateClusterConfig", "enablePrivateEndpoint")
    if is_unknown(private) or flag(private) is True:
        return
    config = get(args.props, "masterAuthorizedNetworksConfig")
    if is_unknown(config):
        return
    if config is None or flag(get(config, "enabled")) is False:
        report(
            f"{args.name}: the public control-plane endpoint accepts connections from anywhere "
            "(no master authorized networks).",
            None,
        )
        return
    cidrs = [get(b, "cidrBlock") for b in items(get(config, "cidrBlocks"))]
    if any(is_unknown(c) for c in cidrs) or is_unknown(get(config, "cidrBlocks")):
        return
    if internet_open_endpoint("gcp", True, [c for c in cidrs if isinstance(c, str)]):
        report(f"{args.name}: master authorized networks cover the whole internet.", None)


@resource_policy(
    "CF-GKE-007",
    "gke-secrets-encryption",
    types=(GKE_CLUSTER,),
    level=ADVISORY,
    description="Kubernetes secrets are encrypted at the application layer with a Cloud KMS key.",
    remediation="Set `databaseEncryption: {state: ENCRYPTED, keyName: <Cloud KMS key>}` on the cluster.",
    spec_field="secrets_encryption",
)
def gke_secrets_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    state = get(args.props, "databaseEncryption", "state")
    if not is_unknown(state) and state != "ENCRYPTED":
        report(f"{args.name}: secrets are not encrypted with a Cloud KMS key.", None)


@resource_policy(
    "CF-GKE-008",
    "gcp-firewall-no-open-ingress",
    types=(GCP_FIREWALL,),
    description="No ingress firewall rule opens SSH or all ports to 0.0.0.0/0 or ::/0.",
    remediation="Use IAP TCP forwarding (35.235.240.0/20) for SSH and allow only the ports a service needs from the "
    "networks that need them.",
)
def gcp_firewall_no_open_ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for kind, protocol, _ports in internet_allows(args.props):
        if kind == ALL_PORTS:
            what = "every port" if protocol == "all" else f"every {protocol.upper()} port"
            report(f"{args.name}: {what} is open to the internet.", None)
        elif kind == SSH:
            report(f"{args.name}: SSH (TCP 22) is open to the internet.", None)


#: What an internet-facing allow opens: CF-GKE-008 reports the first two, CF-GKE-012 the rest.
ALL_PORTS, SSH, PORTS = "all-ports", "ssh", "ports"


def internet_allows(props: Any) -> list[tuple[str, str, list[str]]]:
    """(kind, protocol, ports) of each allow of an ingress rule whose sources cover the internet
    (none for egress, an unknown direction or narrower sources) — the one reading both firewall
    rules share, so an allow is reported by exactly one of them."""
    direction = get(props, "direction")
    if is_unknown(direction) or (direction or "INGRESS") != "INGRESS":
        return []
    if not covers_internet(r for r in items(get(props, "sourceRanges")) if text(r)):
        return []
    found = []
    for allow in items(get(props, "allows")):
        protocol = str(get(allow, "protocol") or "").lower()
        ports = [str(p) for p in items(get(allow, "ports"))]
        if protocol == "all" or (protocol in ("tcp", "udp") and (not ports or "0-65535" in ports)):
            kind = ALL_PORTS
        elif protocol == "tcp" and any(_port_in(p, 22) for p in ports):
            kind = SSH
        else:
            kind = PORTS
        found.append((kind, protocol, ports))
    return found


def _port_in(spec: str, port: int) -> bool:
    low, _, high = spec.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def default_service_account(account: Any) -> bool:
    """Whether a node pool runs as the Compute Engine default service account (unset or `default`
    means it does; its email is PROJECT_NUMBER-compute@developer.gserviceaccount.com)."""
    if is_unknown(account):
        return False
    name = text(account)
    return (
        name is None or name == "default" or name.endswith("-compute@developer.gserviceaccount.com")
    )


@resource_policy(
    "CF-GKE-009",
    "gke-node-service-account",
    types=(GKE_NODE_POOL,),
    description="GKE nodes run as a dedicated least-privilege service account, not the Compute Engine default "
    "service account (Editor on the project), and never the default account with the cloud-platform scope, which "
    "gives every pod that reaches the metadata server full API access (Checkov CKV2_GCP_1, CKV_GCP_30, CKV_GCP_31). "
    "clusterforge's own GKE pools run as a dedicated `<cluster>-nodes` account.",
    remediation="Set `nodeConfig.serviceAccount` to a service account with roles/container.defaultNodeServiceAccount "
    "(logging, monitoring, Artifact Registry read) and keep the cloud-platform scope only with it.",
)
def gke_node_service_account(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = get(args.props, "nodeConfig")
    if is_unknown(config) or not default_service_account(get(config, "serviceAccount")):
        return
    scopes = [s for s in items(get(config, "oauthScopes")) if isinstance(s, str)]
    full = (
        " with the cloud-platform scope (full access to every API)"
        if CLOUD_PLATFORM in scopes
        else ""
    )
    report(f"{args.name}: nodes run as the Compute Engine default service account{full}.", None)


@resource_policy(
    "CF-GKE-010",
    "gke-secure-boot",
    types=(GKE_NODE_POOL,),
    description="GKE node pools turn on Secure Boot (`shieldedInstanceConfig.enableSecureBoot`), so nodes boot only "
    "signed kernels and drivers (Checkov CKV_GCP_68); GKE's own GPU driver installation works with it.",
    remediation="Set `nodeConfig.shieldedInstanceConfig.enableSecureBoot: true` (clusterforge pools do).",
)
def gke_secure_boot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    value = get(args.props, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot")
    if not is_unknown(value) and flag(value) is not True:
        report(f"{args.name}: Secure Boot is off on the node pool.", None)


@resource_policy(
    "CF-GKE-011",
    "gcs-bucket-not-public",
    types=(GCS_BUCKET, GCS_BUCKET_IAM_MEMBER, GCS_BUCKET_IAM_BINDING),
    description="Cloud Storage buckets enforce public access prevention and grant nothing to allUsers or "
    "allAuthenticatedUsers (Checkov CKV_GCP_28, CKV_GCP_114): datasets and checkpoints stay private.",
    remediation="Set `publicAccessPrevention: enforced` on the bucket (clusterforge buckets do) and remove IAM grants "
    "to allUsers / allAuthenticatedUsers.",
)
def gcs_bucket_not_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == GCS_BUCKET:
        prevention = get(args.props, "publicAccessPrevention")
        if not is_unknown(prevention) and prevention != "enforced":
            report(f"{args.name}: public access prevention is not enforced.", None)
        return
    members = [get(args.props, "member")] + list(items(get(args.props, "members")))
    public = sorted({m for m in members if m in PUBLIC_MEMBERS})
    if public:
        report(f"{args.name}: grants bucket access to {', '.join(public)}.", None)


@resource_policy(
    "CF-GKE-012",
    "gcp-firewall-no-ingress-from-internet",
    types=(GCP_FIREWALL,),
    description="No ingress firewall rule admits the internet (source ranges that together cover 0.0.0.0/0 or ::/0) "
    "on any port: dashboards and notebooks (Ray 8265, Jupyter 8888) and model servers have no authentication of "
    "their own. (SSH and all-ports rules are CF-GKE-008.)",
    remediation="Allow the port from your VPN/office ranges or Google's load balancer ranges, not the internet.",
)
def gcp_firewall_no_ingress_from_internet(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    for kind, protocol, ports in internet_allows(args.props):
        if kind != PORTS:
            continue  # CF-GKE-008
        report(
            f"{args.name}: {protocol} {', '.join(ports) or ''} is open to the internet.".replace(
                "  ", " "
            ),
            None,
        )
