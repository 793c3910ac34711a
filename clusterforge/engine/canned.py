"""Canned answers of the offline engine — every value the mock monitor makes up, in one place.

The offline plan runs the real Pulumi program with no cloud behind it, so whatever a provider
would compute must be invented here, deterministically:

* **Invokes** (data sources): availability zones (from the catalog's zone data for the region,
  else ``<region>a..c``), caller identity (account ``123456789012``), partition ``aws``, region;
  the GCP project (number ``123456789012``).
* **Ids**: AWS ``<prefix><17 hex digits of sha256(urn)>`` (``vpc-``, ``subnet-``, ``sg-``, ``lt-``,
  ``fs-`` …); GCP ``projects/<project>/locations/<where>/<kind>s/<name>``; unique per resource and
  stable across runs, so a reference such as a file system's subnet id can be followed back to the
  subnet in the plan (``ResourceGraph.by_id``). GCP project: the spec's, else ``offline-project``.
* **Computed outputs** the program reads: ARNs, the EKS endpoint / CA / cluster security group,
  launch template versions, FSx DNS and mount names, IAM role names, Elastic IP addresses; the
  GKE endpoint and CA, Managed Lustre mount points, bucket URLs.

Nothing here is a fact about the cloud; it only has to be plausible and consistent.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

#: EC2-style id prefixes by Pulumi type token.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/route:Route": "r-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:fsx/lustreFileSystem:LustreFileSystem": "fs-",
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": "dra-",
}


def digest(urn: str) -> str:
    return hashlib.sha256(urn.encode()).hexdigest()


#: GCP project of the offline plan when the spec names none, and the project number it answers.
DEFAULT_PROJECT = "offline-project"
PROJECT_NUMBER = "123456789012"


def resource_id(
    type_token: str,
    name: str,
    urn: str,
    inputs: dict[str, Any] | None = None,
    project: str | None = None,
) -> str:
    """Deterministic, unique id for a mocked resource: EC2-style for AWS, a resource path for GCP."""
    prefix = ID_PREFIX.get(type_token)
    if prefix:
        return prefix + digest(urn)[:17]
    if type_token.startswith("gcp:") and inputs:
        kind = type_token.rsplit(":", 1)[-1].lower() + "s"
        ident = inputs.get("name") or inputs.get("instanceId") or f"{name}-{digest(urn)[:8]}"
        where = inputs.get("location") or inputs.get("region") or "global"
        return f"projects/{inputs.get('project') or project or DEFAULT_PROJECT}/locations/{where}/{kind}/{ident}"
    return f"{name}-{digest(urn)[:8]}"


def availability_zones(region: str) -> list[str]:
    """Zones of ``region`` as the catalog records them (EC2 offerings data), else a, b, c."""
    from clusterforge.catalog import load

    try:
        zones = load("aws").zones.get(region)
    except Exception:  # noqa: BLE001 - a catalog problem must not hide the plan
        zones = None
    if zones:
        return sorted({z for per_type in zones.values() for z in per_type})
    return [f"{region}{suffix}" for suffix in "abc"]


def invoke(token: str, args: dict[str, Any], region: str) -> dict[str, Any] | None:
    """The canned answer to an invoke, or None when there is none."""
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = availability_zones(region)
        return {
            "id": region,
            "names": names,
            "zoneIds": [
                f"use1-az{i + 1}"
                if region == "us-east-1"
                else f"{region[:2]}{region.split('-')[-1]}-az{i + 1}"
                for i in range(len(names))
            ],
            "groupNames": [region] * len(names),
            "state": args.get("state", "available"),
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "id": ACCOUNT_ID,
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/clusterforge-offline",
            "userId": "AIDAOFFLINEPLAN0000000",
        }
    if token == "aws:index/getPartition:getPartition":
        return {
            "id": PARTITION,
            "partition": PARTITION,
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
        }
    if token == "gcp:organizations/getProject:getProject":
        project = args.get("projectId") or DEFAULT_PROJECT
        return {
            "id": f"projects/{project}",
            "projectId": project,
            "number": PROJECT_NUMBER,
            "name": project,
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "id": region,
            "name": region,
            "region": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }
    return None


def _arn(type_token: str, rid: str, region: str) -> str:
    service = type_token.split(":")[1].split("/")[0]
    kind = type_token.rsplit(":", 1)[-1].lower()
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{rid}"
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{rid}"


def outputs(
    type_token: str, name: str, urn: str, rid: str, inputs: dict[str, Any], region: str
) -> dict[str, Any]:
    """Computed outputs a provider would return, merged over the inputs."""
    state = dict(inputs)
    h = digest(urn)
    if type_token.startswith("gcp:"):
        return _gcp_outputs(type_token, state, h, rid)
    if not type_token.startswith("aws:"):
        return state
    state.setdefault("arn", _arn(type_token, inputs.get("name") or rid, region))
    if type_token == "aws:eks/cluster:Cluster":
        state["endpoint"] = f"https://{h[:32].upper()}.gr7.{region}.eks.amazonaws.com"
        state["certificateAuthority"] = {
            "data": base64.b64encode(b"offline-plan-certificate-authority").decode()
        }
        vpc_config = dict(inputs.get("vpcConfig") or {})
        vpc_config["clusterSecurityGroupId"] = "sg-" + h[:17]
        vpc_config.setdefault("vpcId", "vpc-" + h[17:34])
        state["vpcConfig"] = vpc_config
        state["identities"] = [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{h[:32].upper()}"}]}
        ]
        state["status"] = "ACTIVE"
    elif type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        state.update(latestVersion=1, defaultVersion=1)
    elif type_token == "aws:fsx/lustreFileSystem:LustreFileSystem":
        state.update(dnsName=f"{rid}.fsx.{region}.amazonaws.com", mountName=h[:8])
    elif type_token == "aws:iam/role:Role":
        state.setdefault("name", f"{name}-{h[:7]}")
        state["uniqueId"] = "AROA" + h[:17].upper()
    elif type_token == "aws:kms/key:Key":
        state["keyId"] = rid
    elif type_token == "aws:ec2/eip:Eip":
        state["publicIp"] = f"198.51.100.{int(h[:2], 16) % 254 + 1}"
    elif type_token == "aws:ec2/securityGroup:SecurityGroup":
        state.setdefault("name", f"{name}-{h[:7]}")
    elif type_token == "aws:eks/nodeGroup:NodeGroup":
        state.setdefault("nodeGroupName", f"{name}-{h[:8]}")
        state["status"] = "ACTIVE"
        # EKS names a managed node group's Auto Scaling group eks-<node group>-<uuid>.
        state["resources"] = [
            {"autoscalingGroups": [{"name": f"eks-{state['nodeGroupName']}-{h[:8]}"}]}
        ]
    return state


def _gcp_outputs(type_token: str, state: dict[str, Any], h: str, rid: str) -> dict[str, Any]:
    state.setdefault("selfLink", f"https://www.googleapis.com/compute/v1/{rid}")
    if type_token == "gcp:container/cluster:Cluster":
        state["endpoint"] = f"34.{int(h[:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16)}"
        state["masterAuth"] = {
            "clusterCaCertificate": base64.b64encode(b"offline-plan-gke-ca").decode()
        }
        state.setdefault("name", rid.rsplit("/", 1)[-1])
    elif type_token == "gcp:lustre/instance:Instance":
        state["mountPoint"] = f"10.{int(h[:2], 16)}.0.2@tcp:/{state.get('filesystem', 'lustre')}"
    elif type_token == "gcp:storage/bucket:Bucket":
        state["url"] = f"gs://{state.get('name')}"
    return state
