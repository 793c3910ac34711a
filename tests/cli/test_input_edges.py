"""Inputs a user can get wrong on the command line: one `error:` line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterforge.cli.main import cli

from helpers import EXAMPLES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_verify_with_a_missing_kubeconfig_says_the_file_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist.yaml"
    code, out, err = run(
        "verify", str(EXAMPLES / "aws-h100-training.py"), "--kubeconfig", str(missing)
    )
    assert code == 2 and out == ""
    first, *_ = err.splitlines()
    assert first == f"error: --kubeconfig {missing}: no such file"
    assert "No configuration found" not in err


@pytest.mark.parametrize(
    ("document", "shown"),
    [('{"version": 99}', "99"), ('{"version": "1", "resources": []}', '"1"')],
    ids=["newer", "string"],
)
@pytest.mark.parametrize("command", ["check", "diff"])
def test_a_plan_of_another_format_version_is_named_as_such(
    tmp_path: Path, document: str, shown: str, command: str
) -> None:
    plan = tmp_path / "fake.json"
    plan.write_text(document)
    args = [command, str(plan)] + ([str(plan)] if command == "diff" else [])
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        f"error: {plan}: plan format version {shown} is not supported (this clusterforge reads 1)"
    )
    assert "unknown field" not in err


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (["validate"], ".json"),
        (["plan", "--format", "json"], ".json"),
        (["check"], ".yaml"),  # check reads a plan by its .json name; this one is a "stack"
        (["render", "--out", "rendered"], ".json"),
        (["preview", "--stack", "dev"], ".json"),
        (["up", "--stack", "dev", "--yes"], ".json"),
    ],
    ids=["validate", "plan", "check", "render", "preview", "up"],
)
def test_a_plan_given_where_a_stack_is_expected_is_named_with_the_commands_that_read_it(
    tmp_path: Path, command: list[str], suffix: str
) -> None:
    plan = tmp_path / f"plan{suffix}"
    plan.write_text(
        '{"version": 1, "stack": "dev", "stack_file": "cluster.yaml", "cluster": {"name": "x"},'
        ' "resources": [], "summary": {}, "findings": [], "cost": {}}'
    )
    name, *options = command
    code, out, err = run(
        name, str(plan), *[str(tmp_path / o) if o == "rendered" else o for o in options]
    )
    assert code == 2 and out == ""
    as_json = "" if suffix == ".json" else " (saved as .json)"
    assert err.splitlines() == [
        f"error: {plan}: this is a clusterforge plan (written by `clusterforge plan --format json`),"
        f" not a stack: `clusterforge check` and `clusterforge diff` read plans{as_json}",
        "hint: validate, plan, render, preview and up take the stack file it was planned from:"
        " cluster.yaml",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [plan.name]  # nothing written


def test_one_predicate_tells_a_plan_from_a_stack_for_the_loader_check_and_out(
    tmp_path: Path,
) -> None:
    import json

    from clusterforge.cli import common
    from clusterforge.spec.files import PLAN_KEYS, is_plan_document

    # A plan cut short to its `version`: a plan to every reader, but not one --out may replace.
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"version": 1}')
    code, _, err = run("validate", str(truncated))
    assert code == 2 and "this is a clusterforge plan" in err.splitlines()[0]
    code, _, err = run("check", str(truncated))
    assert code == 2 and err.splitlines()[0] == (
        f"error: {truncated}: not a clusterforge plan: resources is missing or null, "
        "expected a list"
    )
    assert not common.written_by_clusterforge(truncated)
    # A whole plan: every key this format writes, which --out may replace.
    plan = tmp_path / "plan.json"
    assert (
        run("plan", str(EXAMPLES / "aws-inference.yaml"), "--format", "json", "--out", str(plan))[0]
        == 0
    )
    assert set(json.loads(plan.read_text())) == PLAN_KEYS
    assert is_plan_document(json.loads(plan.read_text()), complete=True)
    assert common.written_by_clusterforge(plan)
    # Stacks: a `version` inside an `x-` anchor, and a `version` misplaced at the top level.
    anchored = tmp_path / "anchored.yaml"
    anchored.write_text(
        'x-k8s: &k8s\n  version: "1.35"\nname: x\ncloud: aws\nregion: us-east-1\nkubernetes: *k8s\n'
    )
    code, out, err = run("validate", str(anchored))
    assert code == 0 and "plan" not in err, err
    misplaced = tmp_path / "misplaced.json"
    misplaced.write_text('{"name": "x", "cloud": "aws", "region": "us-east-1", "version": "1.35"}')
    for command in ("validate", "check"):
        code, out, _ = run(command, str(misplaced))
        assert code == 2 and "unknown field 'version'" in out, (command, out)
    assert not common.written_by_clusterforge(misplaced)


def test_an_env_secret_in_addon_values_is_in_no_plan_or_check_output(tmp_path: Path) -> None:
    stack = tmp_path / "env.yaml"
    stack.write_text(
        (EXAMPLES / "byo-infiniband.yaml")
        .read_text()
        .replace(
            "  - {name: kueue}",
            "  - {name: kueue, values: {env: [{name: HF_TOKEN, value: hf_SECRETVALUE}]}}",
        )
    )
    assert "hf_SECRETVALUE" in stack.read_text()
    for args in (("plan", "--format", "json"), ("check", "--format", "sarif")):
        code, out, err = run(args[0], str(stack), *args[1:])
        assert code == 0, err
        assert "hf_SECRETVALUE" not in out + err
