"""The spec models (spec/models.py, spec/base.py): dataclasses with pydantic's model API,
validated by the prebuilt pydantic-core validators with pydantic's messages."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import ValidationError

from clusterforge.spec import base, schema
from clusterforge.spec.loader import load_stack
from clusterforge.spec.models import Capacity, Cluster, KubernetesConfig, NodePool, Taint


def test_a_model_validates_its_keywords_and_accepts_nested_instances() -> None:
    pool = NodePool(name="gpu", nodes=2, taints=[Taint(key="k"), "a=b:NoExecute"])  # type: ignore[list-item]
    assert pool.taints == [Taint(key="k"), Taint(key="a", value="b", effect="NoExecute")]
    assert pool.capacity == Capacity()  # a default factory: a model of its own
    cluster = Cluster(name="x", cloud="aws", node_pools=[pool])
    assert cluster.node_pools[0] is pool
    assert cluster.pool("gpu") is pool
    assert cluster == Cluster.model_validate({"name": "x", "cloud": "aws", "node_pools": [
        {"name": "gpu", "nodes": 2, "taints": ["k:NoSchedule", "a=b:NoExecute"]}
    ]})  # fmt: skip
    assert str(pool.taints[1]) == "a=b:NoExecute"


def test_bad_keywords_raise_pydantic_errors_in_the_model_wording() -> None:
    with pytest.raises(ValidationError) as caught:
        NodePool(name="gpu", nodes=-1, nodes_count=3)  # type: ignore[call-arg]
    assert caught.value.title == "NodePool"
    assert [(e["type"], e["loc"], e["msg"]) for e in base.error_details(caught.value)] == [
        ("greater_than_equal", ("nodes",), "Input should be greater than or equal to 0"),
        ("extra_forbidden", ("nodes_count",), "Extra inputs are not permitted"),
    ]
    with pytest.raises(ValidationError) as caught:
        Cluster.model_validate({"cloud": "aws", "node_pools": [7]})
    assert [(e["type"], e["loc"], e["msg"]) for e in base.error_details(caught.value)] == [
        ("missing", ("name",), "Field required"),
        ("model_type", ("node_pools", 0), "Input should be a valid dictionary or instance of NodePool"),
    ]  # fmt: skip


def test_models_are_frozen_with_pydantics_error() -> None:
    cluster = Cluster(name="x", cloud="aws")
    with pytest.raises(ValidationError, match="Instance is frozen"):
        cluster.name = "y"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Instance is frozen"):
        del cluster.kubernetes.version  # type: ignore[misc]


def test_fields_set_follows_the_input_at_every_level() -> None:
    cluster = Cluster.model_validate(
        {"name": "x", "cloud": "aws", "kubernetes": {"private_endpoint": True}}
    )
    assert cluster.model_fields_set == {"name", "cloud", "kubernetes"}
    assert cluster.kubernetes.model_fields_set == {"private_endpoint"}
    assert KubernetesConfig().model_fields_set == set()
    assert Cluster(name="x", cloud="gcp").model_fields_set == {"name", "cloud"}
    moved = cluster.model_copy(update={"zone": "us-east-1a"})
    assert (moved.zone, cluster.zone) == ("us-east-1a", None)  # a copy, not validated
    assert moved.model_fields_set == {"name", "cloud", "kubernetes", "zone"}
    constructed = Cluster.model_construct(name="x", bogus=1)
    assert constructed.model_fields_set == {"name"}
    assert constructed.kubernetes == KubernetesConfig()
    assert not hasattr(constructed, "cloud")  # as pydantic: a required field stays unset


def test_dump_and_json_schema_are_pydantics() -> None:
    start = datetime.datetime(2027, 1, 4, 11, 30, tzinfo=datetime.timezone.utc)
    pool = NodePool(name="gpu", capacity=Capacity(type="capacity_block", start=start))
    cluster = Cluster(name="x", cloud="aws", node_pools=[pool])
    dumped = cluster.model_dump(mode="json", exclude_none=True)
    assert dumped["node_pools"][0]["capacity"] == {
        "type": "capacity_block",
        "queued_provisioning": False,
        "start": "2027-01-04T11:30:00Z",
    }
    assert json.loads(cluster.model_dump_json()) == cluster.model_dump(mode="json")
    assert cluster.model_dump()["node_pools"][0]["capacity"]["start"] == start
    assert Cluster.model_validate(cluster.model_dump()) == cluster
    whole = Cluster.model_json_schema()
    assert whole["$defs"] == schema.prebuilt()["$defs"]
    assert whole["title"] == "Cluster"
    assert set(NodePool.model_json_schema()["$defs"]) == {"Capacity", "Taint"}
    assert list(Cluster.model_fields)[:2] == ["name", "cloud"]
    assert copy.deepcopy(cluster) == cluster


def test_a_yaml_stack_keeps_what_the_user_set(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text("name: x\ncloud: aws\nkubernetes:\n  endpoint_public_access: false\n")
    cluster = load_stack(path).cluster
    assert cluster is not None
    assert cluster.kubernetes.model_fields_set == {"endpoint_public_access"}


_BAD_STACK = """\
name: x
cloud: aws
node_pool: []
node_pools:
  - name: gpu
    nodes: many
    capacity: {type: spot, max_price: 3}
"""


@pytest.mark.parametrize("pickled", ["another pydantic-core", "missing", "not a pickle"])
def test_without_usable_prebuilt_validators_pydantic_builds_them_once_with_the_same_errors(
    pickled: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    from clusterforge.spec import adapters

    stack = tmp_path / "cluster.yaml"
    stack.write_text(_BAD_STACK)
    base._built.cache_clear()
    base._compiled.cache_clear()
    prebuilt = load_stack(stack)
    shipped = pickle.loads(base.VALIDATORS_FILE.read_bytes())
    replacement = tmp_path / "validators.pickle"
    if pickled == "another pydantic-core":
        replacement.write_bytes(pickle.dumps({**shipped, "pydantic_core": "2.0.0"}))
    elif pickled == "not a pickle":
        replacement.write_bytes(b"\x80\x04not a pickle")
    built: list[str] = []
    build = adapters.compiled

    def counted(model: type, record: Any) -> Any:
        built.append(model.__name__)
        return build(model, record)

    base._built.cache_clear()
    base._compiled.cache_clear()
    try:
        monkeypatch.setattr(base, "VALIDATORS_FILE", replacement)
        monkeypatch.setattr(adapters, "compiled", counted)
        fallback = load_stack(stack)
        assert load_stack(stack).findings == fallback.findings
    finally:
        monkeypatch.undo()
        base._built.cache_clear()
        base._compiled.cache_clear()
    assert built.count("Cluster") == 1  # built in-process, once
    assert [f.rule for f in prebuilt.findings] == ["SPEC001"] * 3
    assert fallback.findings == prebuilt.findings
    assert fallback.cluster is None
