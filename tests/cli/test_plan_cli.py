"""The CLI as a user runs it: exit codes, one-line errors, output formats, every example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterforge.cli.main import cli

from helpers import EXAMPLES, PlannedExample

EXAMPLE_FILES = sorted(
    p for p in EXAMPLES.iterdir() if p.suffix in (".py", ".yaml", ".yml", ".json")
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_plans_offline(example: Path) -> None:
    code, out, err = run("plan", str(example), "--format", "json")
    assert code == 0, err + out
    document = json.loads(out)
    assert document["summary"]["findings"]["error"] == 0
    assert document["summary"]["resources"] > 10
    if document["cluster"]["cloud"] != "kubernetes":  # an existing cluster has no cloud bill here
        assert document["cost"]["hourly_usd"] > 0


def test_plan_json_follows_the_contract() -> None:
    code, out, _ = run("plan", str(EXAMPLES / "aws-h100-training.py"), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"version", "cluster", "resources", "summary", "findings", "cost"}
    assert doc["cluster"] == {"name": "llm-train", "cloud": "aws", "region": "us-east-1"}
    for resource in doc["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "parent",
            "dependencies",
            "inputs",
            "options",
            "id",  # added for PR tools: the mock id, the spec element, property dependencies
            "spec_path",
            "property_dependencies",
        }
    fs = next(
        r for r in doc["resources"] if r["type"] == "aws:fsx/lustreFileSystem:LustreFileSystem"
    )
    assert fs["options"]["protect"] is True and fs["options"]["retainOnDelete"] is True
    assert "storageCapacity" in fs["inputs"]  # engine (camelCase) property names
    assert fs["id"] and fs["spec_path"] == "storage[0]"
    assert set(fs["property_dependencies"]) >= {"subnetIds", "securityGroupIds"}
    assert set(doc["cost"]) >= {"hourly_usd", "monthly_usd", "items"}
    pools = {p["name"]: p for p in doc["summary"]["node_pools"]}
    assert pools["h100"]["instance_type"] == "p5.48xlarge" and pools["h100"]["efa_interfaces"] == 32
    assert doc["summary"]["accelerators"] == {"H100": 32}


def test_plan_text_is_readable() -> None:
    code, out, _ = run("plan", str(EXAMPLES / "aws-h100-training.py"))
    assert code == 0
    for expected in (
        "p5.48xlarge",
        "efa x32",
        "32 EFA interfaces on cards 0-31 (32 efa-only)",
        "[protected]",
        "Cost estimate",
        "Resources by type",
    ):
        assert expected in out
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_markdown_is_a_pr_comment() -> None:
    code, out, _ = run("plan", str(EXAMPLES / "aws-h100-training.py"), "--format", "markdown")
    assert code == 0
    assert out.startswith("## clusterforge plan: `llm-train`")
    assert "```mermaid" in out and "### Cost" in out and "| h100 | `p5.48xlarge` |" in out


def test_validate_markdown_is_titled_validate_and_counts_in_the_singular(tmp_path: Path) -> None:
    stack = tmp_path / "one.yaml"
    stack.write_text(
        "name: one-error\ncloud: aws\nregion: us-east-1\nzone: us-east-1a\n"
        'kubernetes: {version: "1.27"}\n'
        "node_pools:\n  - {name: system, instance_type: m7i.2xlarge, nodes: 2}\n"
    )
    code, out, _ = run("validate", str(stack), "--format", "markdown")
    assert code == 1
    assert out.startswith("## clusterforge validate: `one-error`")
    assert "— 1 error, 0 warnings, 0 info" in out


BROKEN = """\
name: Broken_Cluster
cloud: aws
region: us-east-1
zone: us-east-1a
kubernetes: {version: "1.27"}
network: {cidr: 10.0.0.0/33}
node_pools:
  - {name: system, instance_type: m7i.2xlarge, nodes: 2}
  - name: gpu
    instance_type: p5.48xlarg
    nodes: 9
    max_nodes: 4
    capacity: {type: capacity_block}
storage:
  - {name: data, type: lustre, capacity_gib: 3000, zone: us-east-1b}
"""


def test_a_broken_stack_shows_every_problem_with_its_path_and_line(tmp_path: Path) -> None:
    stack = tmp_path / "broken.yaml"
    stack.write_text(BROKEN)
    code, out, err = run("plan", str(stack), "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    found = {(f["rule"], f["path"]) for f in doc["findings"]}
    assert {
        ("NAME001", "name"),
        ("K8S001", "kubernetes.version"),
        ("NET001", "network.cidr"),
        ("POOL001", "node_pools[1].instance_type"),
        ("POOL004", "node_pools[1].nodes"),
        ("CAP001", "node_pools[1].capacity.reservation_id"),
        ("FSX001", "storage[0].capacity_gib"),
    } <= found
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert "did you mean 'p5.48xlarge'" in by_rule["POOL001"]["hint"]
    assert by_rule["POOL001"]["location"] == f"{stack}:10"
    assert doc["resources"] == [] and "validation errors" in doc["summary"]["skipped"]
    text_code, text, _ = run("plan", str(stack))
    assert text_code == 1 and "Traceback" not in text and "Plan not run" in text


def test_fail_on_warning_and_skip(tmp_path: Path) -> None:
    stack = tmp_path / "warn.yaml"
    stack.write_text(
        "name: warn\ncloud: aws\nregion: us-east-1\nzone: us-east-1a\n"
        "kubernetes: {endpoint_public_access: true}\n"
        "node_pools:\n  - {name: system, instance_type: m7i.2xlarge, nodes: 2}\n"
    )
    # K8S002 is an error, the severity of CF-AWS-001 that sees the same open endpoint in the plan.
    assert run("validate", str(stack))[0] == 1
    assert run("validate", str(stack), "--skip", "K8S002")[0] == 0
    assert run("validate", str(stack), "--fail-on", "warning", "--skip", "K8S002")[0] == 0


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (None, ".yaml", "no such file"),
        ("name: [unclosed\n", ".yaml", "invalid YAML"),
        ('{"name": }', ".json", "invalid JSON"),
        ("x = 1\n", ".py", "no module-level `cluster"),
        ("name: a\n", ".toml", "unknown stack file type"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, content: str | None, suffix: str, message: str
) -> None:
    stack = tmp_path / f"stack{suffix}"
    if content is not None:
        stack.write_text(content)
    code, out, err = run("plan", str(stack))
    assert code == 2
    assert message in err and err.startswith("error: ") and "Traceback" not in err + out
    assert str(stack) in err


def test_schema_errors_exit_2_with_paths(tmp_path: Path) -> None:
    stack = tmp_path / "typo.yaml"
    stack.write_text(
        "name: a\ncloud: aws\nregion: us-east-1\nnode_pools:\n  - {name: x, instance_typ: m7i.large}\n"
    )
    code, out, _ = run("validate", str(stack), "--format", "json")
    assert code == 2
    finding = json.loads(out)["findings"][0]
    assert finding["rule"] == "SPEC001" and finding["path"] == "node_pools[0].instance_typ"
    assert finding["location"] == f"{stack}:5"


def test_out_refuses_a_read_only_file_and_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("keep me")
    target.chmod(0o444)
    code, out, err = run(
        "plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json", "--out", str(target)
    )
    assert code == 2 and "is read-only" in err and "Traceback" not in err
    assert target.read_text() == "keep me" and oct(target.stat().st_mode & 0o777) == oct(0o444)


def test_out_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "plan.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    code, _, err = run(
        "plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json", "--out", str(link),
        "--force",
    )  # fmt: skip
    assert code == 0, err
    assert link.is_symlink() and json.loads(real.read_text())["cluster"]["name"]
    assert real.stat().st_mode & 0o777 == 0o600  # the file keeps its mode


def test_out_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out, err = run(
        "plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json", "--out", str(target)
    )
    assert code == 0 and out == "" and f"wrote {target}" in err
    assert json.loads(target.read_text())["cluster"]["name"] == "llm-serve"


def test_schema_and_rules_commands() -> None:
    code, out, _ = run("schema")
    schema = json.loads(out)
    assert (
        code == 0
        and "node_pools" in schema["properties"]
        and schema["additionalProperties"] is False
    )
    code, out, _ = run("rules", "--format", "json")
    rows = json.loads(out)
    validation = [r["id"] for r in rows if r["kind"] == "validation"]
    policies = [r["id"] for r in rows if r["kind"] == "policy"]
    assert code == 0 and "EFA001" in validation and validation == sorted(validation)
    assert "CF-AWS-001" in policies and len(policies) >= 30


def test_portable_stack_on_gcp_and_compare() -> None:
    stack = str(EXAMPLES / "portable-h100.yaml")
    code, out, _ = run("plan", stack, "--cloud", "gcp", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["cluster"] == {"name": "h100-portable", "cloud": "gcp", "region": "us-central1"}
    pools = {p["name"]: p for p in doc["summary"]["node_pools"]}
    assert (
        pools["h100"]["instance_type"] == "a3-megagpu-8g"
        and pools["h100"]["fabric"] == "gpudirect-tcpxo"
    )
    assert pools["system"]["instance_type"] == "n2-standard-8"
    assert any(r["type"] == "gcp:lustre/instance:Instance" for r in doc["resources"])

    code, out, _ = run("plan", stack, "--compare", "aws,gcp", "--format", "json")
    assert code == 0
    comparison = json.loads(out)
    rows = {r["item"]: r for r in comparison["rows"]}
    assert (
        rows["pool h100: type"]["aws"] == "p5.48xlarge"
        and rows["pool h100: type"]["gcp"] == "a3-megagpu-8g"
    )
    assert (
        rows["pool h100: fabric"]["aws"] == "efa x32"
        and rows["pool h100: fabric"]["gcp"] == "gpudirect-tcpxo"
    )
    assert rows["pool h100: network per node"] == {
        "item": "pool h100: network per node",
        "aws": "3200 Gbps",
        "gcp": "1800 Gbps",
    }
    assert rows["storage data"]["aws"].startswith("FSx for Lustre") and rows["storage data"][
        "gcp"
    ].startswith("Managed Lustre")
    assert rows["accelerators total"]["aws"] == rows["accelerators total"]["gcp"] == "32 x H100"
    assert comparison["unmatched"]["aws"] == []
    assert comparison["unmatched"]["gcp"] == ["no price for Managed Lustre data"]
    text_code, text, _ = run("plan", stack, "--compare", "aws,gcp")
    assert text_code == 0 and "Could not be matched" in text


def test_compare_needs_two_clouds() -> None:
    code, _, err = run("plan", str(EXAMPLES / "portable-h100.yaml"), "--compare", "aws")
    assert code == 2 and "--compare takes two or more" in err


def test_invalid_tpu_topology_lists_the_valid_ones(tmp_path: Path) -> None:
    stack = tmp_path / "tpu.yaml"
    stack.write_text(
        "name: tpu\ncloud: gcp\nproject: ml-platform-1\nregion: us-east5\nzone: us-east5-a\n"
        "node_pools:\n  - {name: system, instance_type: n2-standard-8, nodes: 2}\n"
        "  - {name: v5p, accelerator: tpu-v5p, topology: 4x4x6}\n"
    )
    code, out, _ = run("validate", str(stack), "--format", "json")
    assert code == 1
    finding = next(f for f in json.loads(out)["findings"] if f["rule"] == "TPU001")
    assert finding["path"] == "node_pools[1].topology" and finding["location"] == f"{stack}:8"
    assert "2x2x1, 2x2x2, 2x2x4, 2x4x4" in finding["hint"]


def test_a_multi_host_tpu_v6e_pool_shows_the_second_nic_network_it_gets(
    planned_example: PlannedExample,
) -> None:
    from clusterforge.report import render

    _, report = planned_example(EXAMPLES / "gcp-tpu-v6e-multislice.yaml")
    rows = {row["name"]: row for row in report.pool_rows()}
    assert rows["v6e"]["fabric"] == "none" and rows["v6e"]["nic_networks"] == ["gvnic"]
    assert rows["system"]["nic_networks"] == []
    assert report.graph is not None  # the network the row names is the one planned
    built = [r.name for r in report.graph.resources if r.type == "gcp:compute/network:Network"]
    assert "v6e-train-v6e-fabric-gvnic1" in built
    text = render(report, "text", width=200)
    v6e_line = next(line for line in text.splitlines() if "ct6e-standard-4t" in line)
    assert "1 extra gvnic VPC" in v6e_line
    assert "| 1 extra gvnic VPC |" in render(report, "markdown")


def test_a_tpu_v6e_pool_with_fabric_none_shows_no_extra_network(tmp_path: Path) -> None:
    stack = tmp_path / "no-dcn.yaml"
    text = (EXAMPLES / "gcp-tpu-v6e-multislice.yaml").read_text()
    stack.write_text(
        text.replace("    topology: 16x16\n", "    topology: 16x16\n    fabric: none\n")
    )
    code, out, err = run("validate", str(stack), "--format", "json")
    pools = {p["name"]: p for p in json.loads(out)["summary"]["node_pools"]}
    assert pools["v6e"]["nic_networks"] == [], err


@pytest.mark.parametrize(
    "example", ["aws-h100-training.py", "aws-capacity-block.yaml", "portable-h100.yaml"]
)
def test_p5_examples_give_every_pod_an_address(example: str) -> None:
    """Examples are what users copy: the p5 ones use prefix delegation, the fix AWS010 gives for
    the one card-0 interface the VPC CNI has next to the efa-only one."""
    from clusterforge import api

    _, report = api.validate_stack(EXAMPLES / example, cloud="aws")
    assert report.resolved is not None
    assert report.resolved.spec.network.vpc_cni.prefix_delegation
    assert [f for f in report.findings if f.rule == "AWS010"] == []


def test_one_shot_commands_collect_rarely_and_deploy_commands_keep_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """plan, check, ... raise the collector's threshold (never turn it off) and freeze their heap
    at exit; deploy commands, which wait on the engine for long, keep CPython's defaults."""
    import atexit
    import gc

    from clusterforge.cli import main

    registered: list[str] = []
    monkeypatch.setattr(atexit, "register", lambda func: registered.append(func.__name__))
    before = gc.get_threshold()
    try:
        main._one_shot_heap(["--debug", "up", "stack.yaml"])
        assert (gc.get_threshold(), registered) == (before, [])
        main._one_shot_heap(["--no-color", "plan", "stack.yaml", "--format", "json"])
        assert gc.isenabled() and registered == ["freeze"]
        assert gc.get_threshold() == (main.ONE_SHOT_GEN0_THRESHOLD, *before[1:])
    finally:
        gc.set_threshold(*before)


GARBAGE_STACK = """
class _Node:
    def __init__(self):
        self.me = self


for _ in range(300_000):  # cyclic garbage, discarded as it is made
    _Node()
"""


def test_a_python_stack_that_makes_cyclic_garbage_is_validated_with_its_garbage_collected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A user's stack runs in the one-shot process: its cycles are still collected as it runs."""
    import atexit
    import gc

    from clusterforge import api
    from clusterforge.cli import main

    stack = tmp_path / "cluster.py"
    stack.write_text(GARBAGE_STACK + (EXAMPLES / "aws-h100-training.py").read_text())
    monkeypatch.setattr(atexit, "register", lambda func: None)
    before = gc.get_threshold()
    try:
        main._one_shot_heap(["validate", str(stack)])
        collected = sum(generation["collected"] for generation in gc.get_stats())
        _, report = api.validate_stack(stack, cloud="aws")
        collected = sum(generation["collected"] for generation in gc.get_stats()) - collected
    finally:
        gc.set_threshold(*before)
    assert report.resolved is not None
    # At most one threshold's worth of the 300,000 cycles is left uncollected (none with the
    # collector off, as one-shot commands once ran).
    assert collected >= 300_000 - main.ONE_SHOT_GEN0_THRESHOLD
