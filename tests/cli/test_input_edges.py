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
