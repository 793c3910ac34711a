"""The data-loss guard: a good and a bad case for every stateful type and every operation."""

from __future__ import annotations

import pytest

from clusterforge.engine.guard import DATA_LOSS_OPS, STATEFUL_TYPES, data_loss, is_stateful

SAFE_OPS = ("same", "create", "update", "read", "refresh", "import")


def urn(type_token: str, name: str = "thing") -> str:
    return f"urn:pulumi:dev::proj::{type_token}::{name}"


@pytest.mark.parametrize("type_token", STATEFUL_TYPES)
@pytest.mark.parametrize("op", sorted(DATA_LOSS_OPS))
def test_deleting_or_replacing_a_stateful_resource_is_data_loss(type_token: str, op: str) -> None:
    [found] = data_loss([(urn(type_token), type_token, op)])
    assert found.type == type_token and found.op == ("delete" if op == "delete" else "replace")


@pytest.mark.parametrize("type_token", STATEFUL_TYPES)
@pytest.mark.parametrize("op", SAFE_OPS)
def test_other_operations_on_stateful_resources_are_not(type_token: str, op: str) -> None:
    assert data_loss([(urn(type_token), type_token, op)]) == []


@pytest.mark.parametrize(
    "type_token",
    [
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:s3/bucketPolicy:BucketPolicy",
        "gcp:container/nodePool:NodePool",
    ],
)
def test_replacing_stateless_resources_is_not_data_loss(type_token: str) -> None:
    assert not is_stateful(type_token)
    assert (
        data_loss(
            [(urn(type_token), type_token, "replace"), (urn(type_token), type_token, "delete")]
        )
        == []
    )


def test_a_replacement_is_reported_once_per_resource_in_order() -> None:
    fs, bucket = "aws:fsx/lustreFileSystem:LustreFileSystem", "gcp:storage/bucket:Bucket"
    steps = [
        (urn(bucket, "ckpt"), bucket, "delete"),
        (urn(fs), fs, "create-replacement"),
        (urn(fs), fs, "replace"),
        (urn(fs), fs, "delete-replaced"),
    ]
    assert [(d.name, d.op) for d in data_loss(steps)] == [("ckpt", "delete"), ("thing", "replace")]


def test_the_list_covers_the_storage_the_modules_build() -> None:
    for type_token in (
        "aws:fsx/lustreFileSystem:LustreFileSystem",
        "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation",
        "aws:ebs/volume:Volume",
        "aws:s3/bucketV2:BucketV2",
        "aws:kms/key:Key",
        "gcp:lustre/instance:Instance",
        "gcp:filestore/instance:Instance",
        "gcp:parallelstore/instance:Instance",
        "gcp:storage/bucket:Bucket",
    ):
        assert is_stateful(type_token), type_token
