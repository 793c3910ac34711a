"""Security policies (CF-AWS-*, CF-GKE-*): a passing and a failing case each, through the pulumi_policy SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterforge.policies.rules._tokens import (
    EBS_VOLUME,
    EC2_INSTANCE,
    EFS,
    EKS_CLUSTER,
    GCP_FIREWALL,
    GCS_BUCKET,
    GCS_BUCKET_IAM_MEMBER,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    IAM_POLICY,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    SECURITY_GROUP,
    SG_INGRESS,
    SG_RULE,
)

from tests.policies.support import res, violations

SECURE_EKS = {
    "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
    "encryptionConfig": {
        "resources": ["secrets"],
        "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"},
    },
    "enabledClusterLogTypes": ["api", "audit", "authenticator"],
}
SECURE_LT = {
    "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 100}}
    ],
    "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": "false"}],
}
SECURE_GKE = {
    "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": False},
    "workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"},
    "enableShieldedNodes": True,
    "enableLegacyAbac": False,
    "releaseChannel": {"channel": "REGULAR"},
    "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "10.0.0.0/8"}]},
    "databaseEncryption": {"state": "ENCRYPTED", "keyName": "k"},
}


def eks(**changes: Any):
    return res(EKS_CLUSTER, "eks", {**SECURE_EKS, **changes})


def lt(**changes: Any):
    return res(LAUNCH_TEMPLATE, "lt", {**SECURE_LT, **changes})


def gke(**changes: Any):
    return res(GKE_CLUSTER, "gke", {**SECURE_GKE, **changes})


def ingress(**inputs: Any):
    return res(SG_INGRESS, "in", inputs)


CLOUD = "https://www.googleapis.com/auth/cloud-platform"


def iam(statement: dict[str, Any]):
    return res(
        IAM_POLICY,
        "policy",
        {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
    )


def key(statement: dict[str, Any]):
    return res(
        KMS_KEY,
        "key",
        {"enableKeyRotation": True, "policy": json.dumps({"Statement": [statement]})},
    )


def pool(**node_config: Any):
    return res(GKE_NODE_POOL, "np", {"nodeConfig": node_config})


def firewall(ranges: list[str], allows: list[dict[str, Any]]):
    return res(
        GCP_FIREWALL, "fw", {"direction": "INGRESS", "sourceRanges": ranges, "allows": allows}
    )


CASES = [
    # CF-AWS-001 endpoint
    pytest.param("CF-AWS-001", [eks()], None, 0, id="AWS001-private"),
    pytest.param(
        "CF-AWS-001",
        [eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})],
        None,
        0,
        id="AWS001-restricted",
    ),
    pytest.param(
        "CF-AWS-001", [eks(vpcConfig={"endpointPublicAccess": True})], None, 1, id="AWS001-public"
    ),
    pytest.param("CF-AWS-001", [eks(vpcConfig={})], None, 1, id="AWS001-unset-is-public"),
    pytest.param(
        "CF-AWS-001",
        [eks(vpcConfig={"publicAccessCidrs": ["0.0.0.0/0"]})],
        None,
        1,
        id="AWS001-world-cidr",
    ),
    pytest.param(
        "CF-AWS-001",
        [
            eks(
                vpcConfig={
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
                }
            )
        ],
        None,
        1,
        id="AWS001-halves-cover-the-internet",
    ),
    pytest.param(
        "CF-AWS-001",
        [
            eks(
                vpcConfig={
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/1", "192.0.0.0/2"],
                }
            )
        ],
        None,
        0,
        id="AWS001-halves-with-a-gap",
    ),
    pytest.param(
        "CF-AWS-001",
        [eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": "<computed>"})],
        None,
        0,
        id="AWS001-unknown-skips",
    ),
    # CF-AWS-002 secrets encryption
    pytest.param("CF-AWS-002", [eks()], None, 0, id="AWS002-kms"),
    pytest.param("CF-AWS-002", [eks(encryptionConfig=None)], None, 1, id="AWS002-none"),
    # CF-AWS-003 audit logs
    pytest.param("CF-AWS-003", [eks()], None, 0, id="AWS003-logs"),
    pytest.param(
        "CF-AWS-003", [eks(enabledClusterLogTypes=["api"])], None, 1, id="AWS003-no-audit"
    ),
    # CF-AWS-004 IMDSv2
    pytest.param("CF-AWS-004", [lt()], None, 0, id="AWS004-required"),
    pytest.param(
        "CF-AWS-004",
        [lt(metadataOptions={"httpTokens": "optional"})],
        None,
        1,
        id="AWS004-optional",
    ),
    pytest.param("CF-AWS-004", [lt(metadataOptions=None)], None, 1, id="AWS004-unset"),
    # CF-AWS-005 SSH from the internet
    pytest.param(
        "CF-AWS-005",
        [ingress(cidrIpv4="10.0.0.0/8", ipProtocol="tcp", fromPort=22, toPort=22)],
        None,
        0,
        id="AWS005-private-cidr",
    ),
    pytest.param(
        "CF-AWS-005",
        [ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=22, toPort=22)],
        None,
        1,
        id="AWS005-ssh-world",
    ),
    pytest.param(
        "CF-AWS-005",
        [
            res(
                SECURITY_GROUP,
                "sg",
                {
                    "ingress": [
                        {
                            "protocol": "tcp",
                            "fromPort": 20,
                            "toPort": 25,
                            "cidrBlocks": ["0.0.0.0/0"],
                        }
                    ]
                },
            )
        ],
        None,
        1,
        id="AWS005-inline-range",
    ),  # fmt: skip
    # CF-AWS-006 all ports from the internet
    pytest.param(
        "CF-AWS-006",
        [ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443)],
        None,
        0,
        id="AWS006-https",
    ),
    pytest.param(
        "CF-AWS-006",
        [
            res(
                SG_RULE,
                "r",
                {
                    "type": "ingress",
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "ipv6CidrBlocks": ["::/0"],
                },
            )
        ],
        None,
        1,
        id="AWS006-all-v6",
    ),  # fmt: skip
    # CF-AWS-007 encryption at rest
    pytest.param(
        "CF-AWS-007", [lt(), res(EFS, "efs", {"encrypted": True})], None, 0, id="AWS007-encrypted"
    ),
    pytest.param(
        "CF-AWS-007",
        [lt(blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100}}])],
        None,
        1,
        id="AWS007-ebs",
    ),
    pytest.param(
        "CF-AWS-007",
        [res(EBS_VOLUME, "vol", {"size": 100, "encrypted": False})],
        None,
        1,
        id="AWS007-volume",
    ),
    # CF-AWS-008 no public node addresses
    pytest.param("CF-AWS-008", [lt()], None, 0, id="AWS008-private"),
    pytest.param(
        "CF-AWS-008",
        [lt(networkInterfaces=[{"associatePublicIpAddress": "true"}])],
        None,
        1,
        id="AWS008-public",
    ),
    # CF-AWS-009 KMS rotation (advisory)
    pytest.param(
        "CF-AWS-009",
        [res(KMS_KEY, "key", {"enableKeyRotation": True})],
        None,
        0,
        id="AWS009-rotates",
    ),
    pytest.param("CF-AWS-009", [res(KMS_KEY, "key", {})], None, 1, id="AWS009-no-rotation"),
    # CF-GKE-001 private nodes
    pytest.param("CF-GKE-001", [gke()], None, 0, id="GKE001-private"),
    pytest.param("CF-GKE-001", [gke(privateClusterConfig=None)], None, 1, id="GKE001-public-nodes"),
    pytest.param(
        "CF-GKE-001",
        [res(GKE_NODE_POOL, "np", {"networkConfig": {"enablePrivateNodes": False}})],
        None,
        1,
        id="GKE001-pool-public",
    ),
    # CF-GKE-002 Workload Identity
    pytest.param("CF-GKE-002", [gke()], None, 0, id="GKE002-on"),
    pytest.param("CF-GKE-002", [gke(workloadIdentityConfig=None)], None, 1, id="GKE002-off"),
    pytest.param(
        "CF-GKE-002",
        [
            res(
                GKE_NODE_POOL,
                "np",
                {"nodeConfig": {"workloadMetadataConfig": {"mode": "GCE_METADATA"}}},
            )
        ],
        None,
        1,
        id="GKE002-pool-gce-metadata",
    ),  # fmt: skip
    # CF-GKE-003 shielded nodes
    pytest.param("CF-GKE-003", [gke()], None, 0, id="GKE003-on"),
    pytest.param("CF-GKE-003", [gke(enableShieldedNodes=False)], None, 1, id="GKE003-off"),
    # CF-GKE-004 legacy ABAC
    pytest.param("CF-GKE-004", [gke()], None, 0, id="GKE004-off"),
    pytest.param("CF-GKE-004", [gke(enableLegacyAbac=True)], None, 1, id="GKE004-on"),
    # CF-GKE-005 release channel
    pytest.param("CF-GKE-005", [gke()], None, 0, id="GKE005-regular"),
    pytest.param(
        "CF-GKE-005",
        [gke(releaseChannel={"channel": "UNSPECIFIED"})],
        None,
        1,
        id="GKE005-unspecified",
    ),
    # CF-GKE-006 master authorized networks
    pytest.param("CF-GKE-006", [gke()], None, 0, id="GKE006-listed"),
    pytest.param(
        "CF-GKE-006",
        [
            gke(
                privateClusterConfig={"enablePrivateNodes": True, "enablePrivateEndpoint": True},
                masterAuthorizedNetworksConfig={"cidrBlocks": []},
            )
        ],
        None,
        0,
        id="GKE006-private-endpoint",
    ),  # fmt: skip
    pytest.param(
        "CF-GKE-006", [gke(masterAuthorizedNetworksConfig=None)], None, 1, id="GKE006-none"
    ),
    pytest.param(
        "CF-GKE-006",
        [gke(masterAuthorizedNetworksConfig={"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]})],
        None,
        1,
        id="GKE006-world",
    ),
    # An empty list closes the public endpoint to every external network (the GKE API).
    pytest.param(
        "CF-GKE-006",
        [gke(masterAuthorizedNetworksConfig={"cidrBlocks": []})],
        None,
        0,
        id="GKE006-empty-is-closed",
    ),
    pytest.param(
        "CF-GKE-006",
        [gke(masterAuthorizedNetworksConfig={"enabled": False, "cidrBlocks": []})],
        None,
        1,
        id="GKE006-disabled",
    ),
    pytest.param(
        "CF-GKE-006",
        [
            gke(
                masterAuthorizedNetworksConfig={
                    "cidrBlocks": [{"cidrBlock": "0.0.0.0/1"}, {"cidrBlock": "128.0.0.0/1"}]
                }
            )
        ],
        None,
        1,
        id="GKE006-halves",
    ),
    # CF-GKE-007 secrets encryption (advisory)
    pytest.param("CF-GKE-007", [gke()], None, 0, id="GKE007-kms"),
    pytest.param("CF-GKE-007", [gke(databaseEncryption=None)], None, 1, id="GKE007-none"),
    # CF-GKE-008 firewall
    pytest.param(
        "CF-GKE-008",
        [firewall(["10.0.0.0/16"], [{"protocol": "all"}])],
        None,
        0,
        id="GKE008-internal-all",
    ),
    pytest.param(
        "CF-GKE-008",
        [firewall(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["443"]}])],
        None,
        0,
        id="GKE008-world-https",
    ),
    pytest.param(
        "CF-GKE-008",
        [firewall(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["22"]}])],
        None,
        1,
        id="GKE008-world-ssh",
    ),
    pytest.param(
        "CF-GKE-008",
        [firewall(["0.0.0.0/0"], [{"protocol": "all"}])],
        None,
        1,
        id="GKE008-world-all",
    ),
    # CF-AWS-010 EKS SSH without source security groups [CKV_AWS_100]
    pytest.param("CF-AWS-010", [res(NODE_GROUP, "ng", {"scalingConfig": {}})], None, 0, id="AWS010-no-ssh"),
    pytest.param("CF-AWS-010", [res(NODE_GROUP, "ng", {"remoteAccess": {"ec2SshKey": "k", "sourceSecurityGroupIds": ["sg-1"]}})],
                 None, 0, id="AWS010-ssh-from-bastion"),
    pytest.param("CF-AWS-010", [res(NODE_GROUP, "ng", {"remoteAccess": {"ec2SshKey": "k"}})], None, 1, id="AWS010-ssh-open"),
    # CF-AWS-011 IAM wildcards [CKV_AWS_62/63/110]
    pytest.param("CF-AWS-011", [iam({"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"})], None, 0,
                 id="AWS011-describe"),
    pytest.param("CF-AWS-011", [iam({"Effect": "Allow", "Action": "*", "Resource": "*"})], None, 1, id="AWS011-admin"),
    pytest.param("CF-AWS-011", [iam({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]})], None, 1,
                 id="AWS011-service-wildcard"),
    # CF-AWS-012 KMS key policy Principal * [CKV_AWS_33]
    pytest.param("CF-AWS-012", [key({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*",
                                     "Resource": "*"})], None, 0, id="AWS012-account-root"),
    pytest.param("CF-AWS-012", [key({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"})],
                 None, 1, id="AWS012-anyone"),
    pytest.param("CF-AWS-012", [key({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                                     "Condition": {"StringEquals": {"kms:CallerAccount": "1"}}})], None, 0,
                 id="AWS012-anyone-in-the-account"),
    # CF-AWS-013 IMDS hop limit [CKV_AWS_341]
    pytest.param("CF-AWS-013", [lt(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 1})], None, 0,
                 id="AWS013-one-hop"),
    pytest.param("CF-AWS-013", [lt(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2})], None, 1,
                 id="AWS013-two-hops"),
    # CF-AWS-014 internet ingress on any port
    pytest.param("CF-AWS-014", [ingress(cidrIpv4="10.0.0.0/8", ipProtocol="tcp", fromPort=8265, toPort=8265)], None, 0,
                 id="AWS014-vpn"),
    pytest.param("CF-AWS-014", [ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=8265, toPort=8265)], None, 1,
                 id="AWS014-ray-dashboard"),
    pytest.param("CF-AWS-014", [res(SECURITY_GROUP, "sg", {"ingress": [{"protocol": "tcp", "fromPort": 8888, "toPort": 8888,
                 "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}]})], None, 1, id="AWS014-jupyter-halves"),
    # CF-AWS-007 EBS block devices of an instance
    pytest.param("CF-AWS-007", [res(EC2_INSTANCE, "vm", {"rootBlockDevice": {"encrypted": True},
                 "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": False}]})], None, 1, id="AWS007-instance-ebs"),
    # CF-GKE-009 default service account [CKV2_GCP_1, CKV_GCP_30/31]
    pytest.param("CF-GKE-009", [pool(serviceAccount="nodes@p.iam.gserviceaccount.com", oauthScopes=[CLOUD])], None, 0,
                 id="GKE009-dedicated"),
    pytest.param("CF-GKE-009", [pool(oauthScopes=[CLOUD])], None, 1, id="GKE009-default-cloud-platform"),
    pytest.param("CF-GKE-009", [pool(serviceAccount="123-compute@developer.gserviceaccount.com")], None, 1,
                 id="GKE009-default-by-email"),
    # CF-GKE-010 secure boot [CKV_GCP_68]
    pytest.param("CF-GKE-010", [pool(shieldedInstanceConfig={"enableSecureBoot": True})], None, 0, id="GKE010-on"),
    pytest.param("CF-GKE-010", [pool()], None, 1, id="GKE010-off-by-default"),
    # CF-GKE-011 public buckets [CKV_GCP_28/114]
    pytest.param("CF-GKE-011", [res(GCS_BUCKET, "b", {"publicAccessPrevention": "enforced"})], None, 0, id="GKE011-private"),
    pytest.param("CF-GKE-011", [res(GCS_BUCKET, "b", {"publicAccessPrevention": "inherited"})], None, 1,
                 id="GKE011-inherited"),
    pytest.param("CF-GKE-011", [res(GCS_BUCKET_IAM_MEMBER, "m", {"bucket": "b", "member": "allUsers",
                 "role": "roles/storage.objectViewer"})], None, 1, id="GKE011-all-users"),
    # CF-GKE-012 firewall: internet on any port
    pytest.param("CF-GKE-012", [firewall(["10.0.0.0/8"], [{"protocol": "tcp", "ports": ["8265"]}])], None, 0,
                 id="GKE012-vpn"),
    pytest.param("CF-GKE-012", [firewall(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["8888"]}])], None, 1,
                 id="GKE012-jupyter"),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "resources", "settings", "expected"), CASES)
def test_security_policy(
    rule_id: str, resources: list, settings: dict | None, expected: int
) -> None:
    found = violations(rule_id, resources, settings)
    assert len(found) == expected, [f.message for f in found]
    assert all(f.rule == rule_id for f in found)


def test_advisory_policies_are_warnings() -> None:
    (finding,) = violations("CF-AWS-009", [res(KMS_KEY, "key", {})])
    assert finding.severity.value == "warning"
