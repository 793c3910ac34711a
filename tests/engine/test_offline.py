"""The offline engine: recorded options, deterministic unique ids, error mapping, isolation."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from clusterforge.engine import canned, offline
from clusterforge.errors import EngineError
from clusterforge.graph import ResourceGraph

from helpers import plan


def test_ids_are_unique_and_stable_across_runs(base_graph: ResourceGraph) -> None:
    ids = [r.id for r in base_graph.custom_resources]
    assert len(ids) == len(set(ids))
    again = plan()
    assert [(r.urn, r.id) for r in again.resources] == [(r.urn, r.id) for r in base_graph.resources]


def test_ec2_style_id_prefixes(base_graph: ResourceGraph) -> None:
    for type_token, prefix in canned.ID_PREFIX.items():
        for resource in base_graph.of_type(type_token):
            assert resource.id.startswith(prefix)


def test_references_can_be_followed(base_graph: ResourceGraph) -> None:
    subnet = base_graph.of_type("aws:ec2/subnet:Subnet")[0]
    vpc = base_graph.by_id(subnet.inputs["vpcId"])
    assert vpc is not None and vpc.type == "aws:ec2/vpc:Vpc"


def test_tree_order_puts_parents_first(base_graph: ResourceGraph) -> None:
    seen: set[str] = set()
    for resource in base_graph.resources:
        assert resource.parent is None or resource.parent in seen
        seen.add(resource.urn)
    assert base_graph.resources[0].type == "pulumi:pulumi:Stack"


def test_options_the_mocks_interface_drops_are_recorded() -> None:
    def program() -> None:
        aws.s3.Bucket(
            "keep",
            opts=pulumi.ResourceOptions(
                protect=True,
                retain_on_delete=True,
                delete_before_replace=True,
                ignore_changes=["tags"],
            ),
        )
        aws.s3.Bucket("plain")

    graph = offline.run(program, project="p", stack="s", region="us-east-1")
    keep = next(r for r in graph.resources if r.name == "keep")
    assert keep.options["protect"] is True and keep.options["retainOnDelete"] is True
    assert keep.options["deleteBeforeReplace"] is True and keep.options["ignoreChanges"] == ["tags"]
    plain = next(r for r in graph.resources if r.name == "plain")
    assert "protect" not in plain.options or plain.options["protect"] is False


def test_dependencies_are_recorded() -> None:
    def program() -> None:
        first = aws.s3.Bucket("first")
        aws.s3.Bucket("second", opts=pulumi.ResourceOptions(depends_on=[first]))

    graph = offline.run(program, project="p", stack="s", region="us-east-1")
    first = next(r for r in graph.resources if r.name == "first")
    second = next(r for r in graph.resources if r.name == "second")
    assert first.urn in second.dependencies


@pytest.mark.usefixtures("collect_failed_run")
def test_a_misspelt_typed_input_fails_as_it_would_in_the_engine() -> None:
    def program() -> None:
        aws.ec2.LaunchTemplate(
            "lt", metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokenz="required")
        )  # type: ignore[call-arg]

    with pytest.raises(EngineError, match="the Pulumi program failed"):
        offline.run(program, project="p", stack="s", region="us-east-1")


@pytest.mark.usefixtures("collect_failed_run")
def test_wrong_input_type_names_the_resource() -> None:
    def program() -> None:
        aws.fsx.LustreFileSystem(
            "fs", storage_capacity=1200, subnet_ids=["subnet-1"]
        )  # one subnet, not a list

    with pytest.raises(EngineError, match="fs"):
        offline.run(program, project="p", stack="s", region="us-east-1")


@pytest.mark.usefixtures("collect_failed_run")
def test_an_invoke_without_a_canned_answer_is_a_clear_engine_error() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    with pytest.raises(
        EngineError, match="no canned answer for the data source aws:ec2/getVpc:getVpc"
    ):
        offline.run(program, project="p", stack="s", region="us-east-1")


def test_canned_zones_come_from_the_catalog() -> None:
    assert canned.availability_zones("us-east-1")[:3] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert canned.availability_zones("xx-nowhere-1") == [
        "xx-nowhere-1a",
        "xx-nowhere-1b",
        "xx-nowhere-1c",
    ]


def test_runs_are_isolated() -> None:
    def one() -> None:
        aws.s3.Bucket("only-in-one")

    def two() -> None:
        aws.s3.Bucket("only-in-two")

    first = offline.run(one, project="p", stack="s", region="us-east-1")
    second = offline.run(two, project="q", stack="t", region="us-east-1")
    assert [r.name for r in first.custom_resources] == ["only-in-one"]
    assert [r.name for r in second.custom_resources] == ["only-in-two"]
    assert second.root.urn == "urn:pulumi:t::q::pulumi:pulumi:Stack::q-t"


def test_resources_map_back_to_the_spec_element_they_were_built_from(
    base_graph: ResourceGraph,
) -> None:
    by_name = {r.name: r for r in base_graph.resources}
    assert base_graph.spec_path(by_name["test-cluster-gpu-lt"]) == "node_pools[1]"
    assert base_graph.spec_path(by_name["test-cluster-scratch-fs"]) == "storage[0]"
    assert base_graph.spec_path(by_name["test-cluster-cp-eks"]) == "kubernetes"
    assert base_graph.spec_path(by_name["test-cluster-net-vpc"]) == "network"
    assert base_graph.spec_path(by_name["test-cluster-node-role"]) is None


@pytest.mark.usefixtures("collect_failed_run")
def test_duplicate_urns_are_an_engine_error_as_in_pulumi() -> None:
    def program() -> None:
        aws.s3.Bucket("same")
        aws.s3.Bucket("same")

    with pytest.raises(EngineError, match="two resources have the URN"):
        offline.run(program, project="p", stack="s", region="us-east-1")
