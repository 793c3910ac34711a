"""Security on AWS: the EKS API endpoint, secrets encryption and audit logs, IMDSv2, no internet-open
ingress, encryption at rest, no public node addresses, KMS key rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from clusterforge.catalog.network import covers_internet, internet_open_endpoint
from clusterforge.policies.registry import ADVISORY, resource_policy
from clusterforge.policies.rules._props import (
    flag,
    get,
    has,
    is_unknown,
    items,
    number,
    text,
)
from clusterforge.policies.rules._tokens import (
    EBS_VOLUME,
    EC2_INSTANCE,
    EFS,
    EKS_CLUSTER,
    IAM_GROUP_POLICY,
    IAM_POLICY,
    IAM_ROLE_POLICY,
    IAM_USER_POLICY,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    SECURITY_GROUP,
    SG_INGRESS,
    SG_RULE,
)

AUDIT_LOGS = ("audit", "authenticator")
SSH_PORT = 22


@resource_policy(
    "CF-AWS-001",
    "eks-endpoint-private",
    types=(EKS_CLUSTER,),
    description="The EKS API endpoint is private, or public only to listed CIDRs that do not together cover the "
    "internet (0.0.0.0/0, but also 0.0.0.0/1 + 128.0.0.0/1). EKS makes the endpoint public to the world when "
    "`endpointPublicAccess` is unset.",
    remediation="Set `kubernetes.endpoint_public_access: false` (reach the API through the VPC), or list the "
    "networks that may reach it in `kubernetes.public_access_cidrs`.",
    spec_field="public_access_cidrs",
    same_as=("K8S002",),
)
def eks_endpoint_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    vpc = get(args.props, "vpcConfig")
    public = get(vpc, "endpointPublicAccess")
    if is_unknown(public) or flag(public) is False:
        return
    cidrs = get(vpc, "publicAccessCidrs")
    if is_unknown(cidrs) or any(is_unknown(c) for c in items(cidrs)):
        return
    if internet_open_endpoint("aws", True, [c for c in items(cidrs) if isinstance(c, str)]):
        report(f"{args.name}: the Kubernetes API endpoint is public to the whole internet.", None)


@resource_policy(
    "CF-AWS-002",
    "eks-secrets-encryption",
    types=(EKS_CLUSTER,),
    description="Kubernetes secrets are envelope-encrypted with a customer-managed KMS key (`encryptionConfig` for "
    "`secrets`). EKS already envelope-encrypts every Kubernetes API object with an AWS-owned key; a key of your "
    "own lets you audit, rotate, restrict and revoke access to the secrets.",
    remediation="Set `kubernetes.secrets_encryption: true` (the default: clusterforge creates the key), or an "
    "`encryptionConfig` with resources [secrets] and your KMS key ARN.",
    spec_field="secrets_encryption",
)
def eks_secrets_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = get(args.props, "encryptionConfig")
    resources = get(config, "resources")
    if is_unknown(resources):
        return
    if "secrets" not in list(items(resources)) or not has(get(config, "provider"), "keyArn"):
        report(
            f"{args.name}: Kubernetes secrets are encrypted only with the AWS-owned default key, not a "
            "customer-managed KMS key you control.",
            None,
        )


@resource_policy(
    "CF-AWS-003",
    "eks-audit-logs",
    types=(EKS_CLUSTER,),
    level=ADVISORY,
    description="The EKS control plane sends the audit and authenticator logs to CloudWatch.",
    remediation="Add `audit` and `authenticator` to `kubernetes.control_plane_logs` (enabledClusterLogTypes).",
    spec_field="control_plane_logs",
)
def eks_audit_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    enabled = get(args.props, "enabledClusterLogTypes")
    if is_unknown(enabled):
        return
    missing = [log for log in AUDIT_LOGS if log not in list(items(enabled))]
    if missing:
        report(f"{args.name}: control-plane log(s) {', '.join(missing)} are off.", None)


@resource_policy(
    "CF-AWS-004",
    "imdsv2-required",
    types=(LAUNCH_TEMPLATE, EC2_INSTANCE),
    description="Instances require IMDSv2 session tokens (`metadataOptions.httpTokens: required`); IMDSv1 lets a "
    "server-side request forgery read the node role's credentials.",
    remediation="Set `metadataOptions: {httpTokens: required}` on the launch template (clusterforge node pools do).",
)
def imdsv2_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    options = get(args.props, "metadataOptions")
    tokens, endpoint = get(options, "httpTokens"), get(options, "httpEndpoint")
    if is_unknown(tokens) or is_unknown(endpoint) or endpoint == "disabled":
        return
    if tokens != "required":
        report(
            f"{args.name}: instance metadata accepts IMDSv1 (httpTokens is {tokens or 'unset, i.e. optional'}).",
            None,
        )


def world_ingress(args: ResourceValidationArgs) -> Iterator[tuple[Any, Any, Any]]:
    """(protocol, from port, to port) of every rule letting 0.0.0.0/0 or ::/0 in, across the three
    ways AWS rules are written: SecurityGroupIngressRule, SecurityGroupRule and inline ingress."""
    props = args.props
    if args.resource_type == SG_INGRESS:
        if covers_internet(c for c in (get(props, "cidrIpv4"), get(props, "cidrIpv6")) if text(c)):
            yield get(props, "ipProtocol"), get(props, "fromPort"), get(props, "toPort")
        return
    if args.resource_type == SG_RULE:
        if get(props, "type") == "ingress" and _world(props):
            yield get(props, "protocol"), get(props, "fromPort"), get(props, "toPort")
        return
    for entry in items(get(props, "ingress")):
        if _world(entry):
            yield get(entry, "protocol"), get(entry, "fromPort"), get(entry, "toPort")


def _world(entry: Any) -> bool:
    cidrs = [c for key in ("cidrBlocks", "ipv6CidrBlocks") for c in items(get(entry, key))]
    return covers_internet(c for c in cidrs if text(c))


def all_ports(protocol: Any, low: Any, high: Any) -> bool:
    if str(protocol).lower() in ("-1", "all"):
        return True
    return number(low) in (0.0, -1.0) and number(high) in (65535.0, -1.0)


def covers(protocol: Any, low: Any, high: Any, port: int) -> bool:
    if str(protocol).lower() not in ("tcp", "6"):
        return False
    first, last = number(low), number(high)
    return first is not None and last is not None and first <= port <= last


@resource_policy(
    "CF-AWS-005",
    "no-ssh-from-internet",
    types=(SG_INGRESS, SG_RULE, SECURITY_GROUP),
    description="No security group rule opens SSH (TCP 22) to 0.0.0.0/0 or ::/0.",
    remediation="Reach nodes through SSM Session Manager (the node role has AmazonSSMManagedInstanceCore), or allow "
    "SSH only from a bastion's security group or a known CIDR.",
)
def no_ssh_from_internet(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for protocol, low, high in world_ingress(args):
        if not all_ports(protocol, low, high) and covers(protocol, low, high, SSH_PORT):
            report(f"{args.name}: SSH (TCP {low}-{high}) is open to the internet.", None)


@resource_policy(
    "CF-AWS-006",
    "no-all-ports-from-internet",
    types=(SG_INGRESS, SG_RULE, SECURITY_GROUP),
    description="No security group rule opens all protocols or all ports to 0.0.0.0/0 or ::/0.",
    remediation="Allow only the ports a service needs, from the networks that need them (EFA's all-traffic rule "
    "references the security group itself, not a CIDR).",
)
def no_all_ports_from_internet(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for protocol, low, high in world_ingress(args):
        if all_ports(protocol, low, high):
            report(f"{args.name}: every port is open to the internet.", None)


@resource_policy(
    "CF-AWS-007",
    "encryption-at-rest",
    types=(LAUNCH_TEMPLATE, EBS_VOLUME, EC2_INSTANCE, EFS),
    description="Block volumes (launch template and instance root volumes, EBS volumes) and EFS file systems are "
    "encrypted at rest. (FSx and Google Cloud disks are always encrypted.)",
    remediation="Set `encrypted: true` on the EBS block device mappings / volumes and on EFS file systems.",
)
def encryption_at_rest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == LAUNCH_TEMPLATE:
        unencrypted = [
            get(m, "deviceName") or "(unnamed)"
            for m in items(get(props, "blockDeviceMappings"))
            if has(m, "ebs") and _unencrypted(get(m, "ebs", "encrypted"))
        ]
        if unencrypted:
            report(
                f"{args.name}: EBS volume(s) {', '.join(map(str, unencrypted))} are not encrypted.",
                None,
            )
        return
    if args.resource_type == EC2_INSTANCE:
        devices = [("root", get(props, "rootBlockDevice"))] + [
            (get(d, "deviceName") or "(unnamed)", d) for d in items(get(props, "ebsBlockDevices"))
        ]
        unencrypted = [
            str(name) for name, d in devices if d is not None and _unencrypted(get(d, "encrypted"))
        ]
        if get(props, "rootBlockDevice") is None:
            unencrypted.insert(0, "root")
        if unencrypted:
            report(f"{args.name}: EBS volume(s) {', '.join(unencrypted)} are not encrypted.", None)
        return
    if _unencrypted(get(props, "encrypted")):
        report(f"{args.name}: stored data is not encrypted at rest.", None)


def _unencrypted(value: Any) -> bool:
    return not is_unknown(value) and flag(value) is not True


@resource_policy(
    "CF-AWS-008",
    "no-public-node-addresses",
    types=(LAUNCH_TEMPLATE, EC2_INSTANCE),
    description="Nodes get no public IP addresses (they reach the internet through NAT; multi-card EFA instances "
    "cannot have one at all).",
    remediation="Set `associatePublicIpAddress: false` on the network interfaces and use private subnets.",
)
def no_public_node_addresses(args: ResourceValidationArgs, report: ReportViolation) -> None:
    values = [
        get(n, "associatePublicIpAddress") for n in items(get(args.props, "networkInterfaces"))
    ]
    if args.resource_type == EC2_INSTANCE:
        values.append(get(args.props, "associatePublicIpAddress"))
    if any(flag(v) is True for v in values):
        report(f"{args.name}: nodes get a public IP address.", None)


@resource_policy(
    "CF-AWS-009",
    "kms-key-rotation",
    types=(KMS_KEY,),
    level=ADVISORY,
    description="Symmetric KMS keys (such as the EKS secrets key) rotate their key material yearly.",
    remediation="Set `enableKeyRotation: true` on the key.",
)
def kms_key_rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = text(get(args.props, "customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    rotation = get(args.props, "enableKeyRotation")
    if spec == "SYMMETRIC_DEFAULT" and not is_unknown(rotation) and flag(rotation) is not True:
        report(f"{args.name}: key rotation is off.", None)


@resource_policy(
    "CF-AWS-010",
    "eks-ssh-source-groups",
    types=(NODE_GROUP,),
    description="An EKS node group that allows SSH (`remoteAccess` with a key pair) names the security groups that "
    "may connect (`sourceSecurityGroupIds`); without them EKS opens port 22 to 0.0.0.0/0 (Checkov CKV_AWS_100).",
    remediation="Remove `remoteAccess` (reach nodes through SSM Session Manager), or set "
    "`remoteAccess.sourceSecurityGroupIds` to a bastion's security group.",
)
def eks_ssh_source_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    access = get(args.props, "remoteAccess")
    if access is None or is_unknown(access) or not text(get(access, "ec2SshKey")):
        return
    groups = get(access, "sourceSecurityGroupIds")
    if not is_unknown(groups) and not list(items(groups)):
        report(
            f"{args.name}: SSH to the nodes is open to the internet (no source security groups).",
            None,
        )


def _statements(document: Any) -> list[Any]:
    """The statements of an IAM / key policy input (a JSON string or an object)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, Mapping):
        return []
    found = document.get("Statement")
    return (
        [found]
        if isinstance(found, Mapping)
        else [s for s in found or [] if isinstance(s, Mapping)]
    )


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


@resource_policy(
    "CF-AWS-011",
    "iam-no-wildcard-admin",
    types=(IAM_POLICY, IAM_ROLE_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY),
    description='No IAM policy allows every action (`Action: "*"`) or every action of a service on every resource '
    "(`s3:*` on `*`): least privilege (Checkov CKV_AWS_62, CKV_AWS_63, CKV_AWS_110 / KICS).",
    remediation="List the actions the role needs, on the resources (ARNs) it needs them for.",
)
def iam_no_wildcard_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    document = get(args.props, "policy")
    if is_unknown(document):
        return
    for statement in _statements(document):
        if statement.get("Effect") != "Allow" or "NotAction" in statement:
            continue
        actions = _listed(statement.get("Action"))
        resources = _listed(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions):
            report(f"{args.name}: allows every action (`Action: *`).", None)
        elif "*" in resources and any(a.endswith(":*") for a in actions):
            wide = ", ".join(a for a in actions if a.endswith(":*"))
            report(f"{args.name}: allows {wide} on every resource.", None)


@resource_policy(
    "CF-AWS-012",
    "kms-key-policy-no-public-principal",
    types=(KMS_KEY,),
    description='A KMS key policy does not allow `Principal: "*"` without a condition: anyone in any account could '
    "use or manage the key (Checkov CKV_AWS_33).",
    remediation="Name the account root, roles or services in the key policy's Principal, or add a condition "
    "(`kms:CallerAccount`, `aws:PrincipalOrgID`).",
)
def kms_key_policy_no_public_principal(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    document = get(args.props, "policy")
    if is_unknown(document):
        return
    for statement in _statements(document):
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, Mapping) else principal
        if (
            statement.get("Effect") == "Allow"
            and "*" in _listed(aws)
            and not statement.get("Condition")
        ):
            report(f"{args.name}: the key policy allows any principal (`Principal: *`).", None)


@resource_policy(
    "CF-AWS-013",
    "imds-hop-limit",
    types=(LAUNCH_TEMPLATE, EC2_INSTANCE),
    description="The instance metadata response hop limit is 1, so a container cannot reach IMDS through the node "
    "and take the node role's credentials (Checkov CKV_AWS_341; IMDSv2 itself is CF-AWS-004 / CKV_AWS_79).",
    remediation="Set `metadataOptions.httpPutResponseHopLimit: 1` (clusterforge node pools do; pods use EKS Pod "
    "Identity).",
)
def imds_hop_limit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    options = get(args.props, "metadataOptions")
    hops = number(get(options, "httpPutResponseHopLimit"))
    if get(options, "httpEndpoint") != "disabled" and hops is not None and hops > 1:
        report(f"{args.name}: the metadata hop limit is {hops:g}; containers can reach IMDS.", None)


@resource_policy(
    "CF-AWS-014",
    "no-ingress-from-internet",
    types=(SG_INGRESS, SG_RULE, SECURITY_GROUP),
    description="No security group rule admits the internet (sources that together cover 0.0.0.0/0 or ::/0) on any "
    "port: an AI cluster's dashboards and notebooks (Ray on 8265, Jupyter on 8888, TensorBoard, model servers) have "
    "no authentication of their own. Put public endpoints behind a load balancer's own security group.",
    remediation="Allow the port from your VPN/office CIDRs or from a load balancer's security group, not from the "
    "internet.",
)
def no_ingress_from_internet(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for protocol, low, high in world_ingress(args):
        if all_ports(protocol, low, high) or covers(protocol, low, high, SSH_PORT):
            continue  # CF-AWS-005 / CF-AWS-006 report these
        report(f"{args.name}: {protocol} {low}-{high} is open to the internet.", None)
