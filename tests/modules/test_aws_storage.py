"""FSx for Lustre wiring: subnet/zone, protection, security group ports, S3 links."""

from __future__ import annotations

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
    assert fs.inputs["storageCapacity"] == 2400 and fs.inputs["automaticBackupRetentionDays"] == 7


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


def test_persistent_2_links_s3_through_a_data_repository_association() -> None:
    graph = plan({"storage": [{"import_path": "s3://bucket/datasets"}]})
    fs = graph.of_type(FS)[0]
    assert "importPath" not in fs.inputs
    dra = graph.of_type(DRA)[0].inputs
    assert dra["fileSystemId"] == fs.id and dra["dataRepositoryPath"] == "s3://bucket/datasets"
    assert dra["s3"]["autoImportPolicy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    assert dra["deleteDataInFilesystem"] is False


def test_scratch_2_takes_the_import_path_on_the_file_system() -> None:
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
    assert fs["importPath"] == "s3://bucket/x" and fs["autoImportPolicy"] == "NEW_CHANGED_DELETED"
    assert "perUnitStorageThroughput" not in fs and "automaticBackupRetentionDays" not in fs
    assert graph.of_type(DRA) == []


def test_storage_follows_an_explicit_zone_when_pools_are_there_too() -> None:
    graph = plan({"zone": "us-east-1b", "node_pools": [{}, {"zone": "us-east-1b"}]})
    fs = graph.of_type(FS)[0]
    assert graph.by_id(fs.inputs["subnetIds"]).inputs["availabilityZone"] == "us-east-1b"
