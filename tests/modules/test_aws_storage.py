"""FSx for Lustre wiring: subnet/zone, protection, security group ports, S3 links."""

from __future__ import annotations

import pytest

from clusterforge.catalog import load
from clusterforge.catalog.fsx import storage_type
from clusterforge.errors import CatalogError
from clusterforge.graph import ResourceGraph

from helpers import plan

FS = "aws:fsx/lustreFileSystem:LustreFileSystem"
DRA = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"


def test_file_system_sits_in_the_subnet_of_the_pool_that_mounts_it(
    base_graph: ResourceGraph,
) -> None:
    fs = base_graph.of_type(FS)[0]
    subnet = base_graph.by_id(fs.inputs["subnetIds"])
    assert subnet.inputs["availabilityZone"] == "us-east-1a"
    gpu_group = next(
        r for r in base_graph.of_type("aws:eks/nodeGroup:NodeGroup") if r.name.endswith("-gpu-ng")
    )
    assert gpu_group.inputs["subnetIds"] == [fs.inputs["subnetIds"]]


def test_file_system_is_protected_and_retained(base_graph: ResourceGraph) -> None:
    fs = base_graph.of_type(FS)[0]
    assert fs.options["protect"] is True and fs.options["retainOnDelete"] is True
    assert (
        fs.inputs["deploymentType"] == "PERSISTENT_2"
        and fs.inputs["perUnitStorageThroughput"] == 250
    )
    assert fs.inputs["storageCapacity"] == 2400


def test_unprotected_only_when_the_user_says_so() -> None:
    graph = plan({"storage": [{"protect": False}]}, allow_errors=True)  # STO004 says it
    fs = graph.of_type(FS)[0]
    assert fs.options.get("protect") is False and fs.options.get("retainOnDelete") is False


def test_lustre_ports_open_from_nodes_and_from_itself(base_graph: ResourceGraph) -> None:
    fs = base_graph.of_type(FS)[0]
    sg_id = fs.inputs["securityGroupIds"][0]
    rules = [
        r.inputs
        for r in base_graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == sg_id
    ]
    ports = sorted({(r["fromPort"], r["toPort"]) for r in rules})
    assert ports == [(988, 988), (1018, 1023)]
    sources = {r["referencedSecurityGroupId"] for r in rules}
    assert sg_id in sources and len(sources) == 2  # itself and the nodes' cluster security group
    assert all(r["ipProtocol"] == "tcp" for r in rules)


def test_a_dataset_import_path_gets_no_export_at_all() -> None:
    """The dataset prefix is imported (new, changed, deleted S3 objects show on the file system);
    nothing is exported, so deleting a file never deletes a dataset object in S3."""
    graph = plan({"storage": [{"import_path": "s3://bucket/datasets"}]})
    fs = graph.of_type(FS)[0]
    assert "importPath" not in fs.inputs
    (link,) = graph.of_type(DRA)
    dra = link.inputs
    assert dra["fileSystemId"] == fs.id and dra["dataRepositoryPath"] == "s3://bucket/datasets"
    assert dra["s3"]["autoImportPolicy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    assert "autoExportPolicy" not in dra["s3"]
    assert dra["deleteDataInFilesystem"] is False
    # The link is protected like the file system.
    assert link.options["protect"] is True and link.options["retainOnDelete"] is True
    # FSx does not back up a file system linked to S3: no backup settings that will not exist.
    assert "automaticBackupRetentionDays" not in fs.inputs


def test_export_is_opt_in_and_never_deletes_unless_asked_twice() -> None:
    graph = plan({"storage": [{"import_path": "s3://bkt/ckpt", "export_path": "s3://bkt/ckpt"}]})
    (dra,) = [r.inputs for r in graph.of_type(DRA)]
    assert dra["s3"]["autoExportPolicy"]["events"] == ["NEW", "CHANGED"]
    graph = plan(
        {
            "storage": [
                {"import_path": "s3://bkt/ckpt", "auto_export": ["NEW"], "export_deletes": True}
            ]
        }
    )
    (dra,) = [r.inputs for r in graph.of_type(DRA)]
    assert dra["s3"]["autoExportPolicy"]["events"] == ["NEW", "DELETED"]


def test_an_export_only_association_imports_nothing() -> None:
    graph = plan({"storage": [{"export_path": "s3://bkt/results"}]})
    (dra,) = [r.inputs for r in graph.of_type(DRA)]
    assert dra["dataRepositoryPath"] == "s3://bkt/results"
    assert "autoImportPolicy" not in dra["s3"] and dra["batchImportMetaDataOnCreate"] is False
    assert dra["s3"]["autoExportPolicy"]["events"] == ["NEW", "CHANGED"]


def test_scratch_2_on_lustre_2_15_uses_an_association_too() -> None:
    graph = plan(
        {
            "storage": [
                {
                    "deployment_type": "SCRATCH_2",
                    "throughput_mbps_per_tib": None,
                    "import_path": "s3://bucket/x",
                }
            ]
        }
    )
    fs = graph.of_type(FS)[0].inputs
    assert "importPath" not in fs and "autoImportPolicy" not in fs
    assert "perUnitStorageThroughput" not in fs and "automaticBackupRetentionDays" not in fs
    assert [r.inputs["dataRepositoryPath"] for r in graph.of_type(DRA)] == ["s3://bucket/x"]


def test_scratch_1_keeps_the_legacy_import_and_export_paths() -> None:
    graph = plan(
        {
            "storage": [
                {
                    "deployment_type": "SCRATCH_1",
                    "throughput_mbps_per_tib": None,
                    "capacity_gib": 3600,
                    "import_path": "s3://bucket/x",
                    "export_path": "s3://bucket/x-out",
                }
            ]
        }
    )
    fs = graph.of_type(FS)[0].inputs
    assert (fs["importPath"], fs["exportPath"]) == ("s3://bucket/x", "s3://bucket/x-out")
    assert "autoImportPolicy" not in fs  # SCRATCH_1 has no automatic import
    assert graph.of_type(DRA) == []


def test_an_unlinked_persistent_file_system_keeps_its_backups(base_graph: ResourceGraph) -> None:
    fs = base_graph.of_type(FS)[0].inputs
    assert fs["automaticBackupRetentionDays"] == 7 and fs["skipFinalBackup"] is False


def test_storage_follows_an_explicit_zone_when_pools_are_there_too() -> None:
    graph = plan({"zone": "us-east-1b", "node_pools": [{}, {"zone": "us-east-1b"}]})
    fs = graph.of_type(FS)[0]
    assert graph.by_id(fs.inputs["subnetIds"]).inputs["availabilityZone"] == "us-east-1b"


def test_the_fsx_csi_role_may_only_describe_file_systems(base_graph: ResourceGraph) -> None:
    """Static provisioning needs DescribeFileSystems only: the driver's controller must not be
    able to create, resize or delete the file system that holds the data."""
    import json

    (inline,) = [
        r for r in base_graph.of_type("aws:iam/rolePolicy:RolePolicy") if "fsx-csi" in r.name
    ]
    document = json.loads(inline.inputs["policy"])
    assert [s["Action"] for s in document["Statement"]] == [["fsx:DescribeFileSystems"]]
    attached = [
        r.inputs["policyArn"]
        for r in base_graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]
    assert not any("FSx" in arn for arn in attached)


def test_an_efa_file_system_gets_a_metadata_configuration_and_efa_security_groups(
    base_graph: ResourceGraph,
) -> None:
    assert "efaEnabled" not in base_graph.of_type(FS)[0].inputs
    graph = plan({"storage": [{"efa": True, "capacity_gib": 19200}]})
    fs = graph.of_type(FS)[0]
    assert fs.inputs["efaEnabled"] is True
    assert fs.inputs["metadataConfiguration"] == {"mode": "AUTOMATIC"}
    fs_sg = fs.inputs["securityGroupIds"][0]
    # All traffic, by group id both ways: the file system's group with itself and with the
    # nodes' cluster security group (CIDR rules do not satisfy EFA).
    pairs = {
        (kind, r.inputs["securityGroupId"], r.inputs["referencedSecurityGroupId"])
        for kind in ("Ingress", "Egress")
        for r in graph.of_type(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule")
        if r.inputs.get("ipProtocol") == "-1" and "EFA FSx" in r.inputs.get("description", "")
    }
    nodes = next(p[2] for p in pairs if p[1] == fs_sg and p[2] != fs_sg)
    assert pairs == {
        (kind, group, peer)
        for kind in ("Ingress", "Egress")
        for group, peer in ((fs_sg, fs_sg), (fs_sg, nodes), (nodes, fs_sg))
    }


def test_user_provisioned_metadata_iops() -> None:
    graph = plan({"storage": [{"metadata_iops": 24000}]})
    fs = graph.of_type(FS)[0]
    assert fs.inputs["metadataConfiguration"] == {"mode": "USER_PROVISIONED", "iops": 24000}
    assert "efaEnabled" not in fs.inputs


def test_the_storage_type_is_ssd_from_the_catalog_on_every_deployment_type(
    base_graph: ResourceGraph,
) -> None:
    assert base_graph.of_type(FS)[0].inputs["storageType"] == "SSD"
    facts = load("aws").storage["fsx_lustre"]
    offered = {k: v["storage_types"] for k, v in facts["deployment_types"].items()}
    # botocore 1.44.8's FSx model: HDD only on PERSISTENT_1, SSD on every Lustre deployment type.
    assert [k for k, types in offered.items() if "HDD" in types] == ["PERSISTENT_1"]
    assert {storage_type(facts, k) for k in offered} == {"SSD"}
    without_ssd = {"deployment_types": {"PERSISTENT_1": {"storage_types": ["HDD"]}}}
    with pytest.raises(CatalogError, match="no SSD storage for PERSISTENT_1"):
        storage_type(without_ssd, "PERSISTENT_1")
