"""Start-up: the quick commands load no Pulumi, policy or provider SDK (nor what else they need
not), the lazy command table is true, and the prebuilt data they print equals its source."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from clusterforge.cli.main import COMMANDS, _short_help, cli
from clusterforge.spec import schema

from helpers import EXAMPLES, ROOT

# One fresh interpreter runs the quick commands in turn through click's runner, then reports
# which heavy packages ended up in sys.modules (one process for all: start-up is per process).
PROBE = """
import json, sys
from click.testing import CliRunner
from clusterforge.cli.main import cli
codes = {}
for args in COMMANDS_TO_RUN:
    result = CliRunner().invoke(cli, args)
    codes[" ".join(args)] = result.exit_code
heavy = sorted({m.split(".")[0] for m in sys.modules
                if m.split(".")[0] in ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes",
                                       "pulumi_policy", "grpc", "boto3", "botocore")})
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] in ("pydantic", "rich", "clusterforge", "yaml"))
print(json.dumps({"codes": codes, "heavy": heavy, "loaded": loaded}))
"""


def probe(*commands: list[str]) -> dict[str, object]:
    script = PROBE.replace("COMMANDS_TO_RUN", repr(list(commands)))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_quick_commands_leave_pulumi_and_boto_unimported() -> None:
    result = probe(
        ["--help"],
        ["validate", str(EXAMPLES / "aws-h100-training.py")],
        ["validate", str(EXAMPLES / "gcp-a3-mega-training.yaml")],
        ["schema"],
        ["rules"],
        ["rules", "--format", "json"],
        ["catalog", "--help"],
        ["catalog", "--cloud", "aws"],
    )
    assert set(result["codes"].values()) <= {0, 1}, result  # type: ignore[union-attr]
    assert result["heavy"] == [], result


def test_schema_and_rules_read_prebuilt_data() -> None:
    """`schema` prints the generated schema file and `rules` the rule index: neither builds the
    pydantic models nor imports a rule."""
    loaded = probe(["schema"], ["rules"], ["rules", "--format", "json"])["loaded"]
    assert not any(m.startswith("pydantic") for m in loaded), loaded  # type: ignore[union-attr]
    assert not any(
        m.startswith(("clusterforge.validate", "clusterforge.policies", "clusterforge.spec.models"))
        for m in loaded  # type: ignore[union-attr]
    ), loaded


def test_json_output_needs_no_terminal_renderer() -> None:
    """rich (tables, colour) loads for text output only: `validate --format json` and
    `catalog --format json` leave it, and the policy SDK, unimported."""
    result = probe(
        ["validate", str(EXAMPLES / "aws-capacity-block.yaml"), "--format", "json"],
        ["catalog", "--cloud", "gcp", "--format", "json"],
    )
    assert set(result["codes"].values()) <= {0, 1}, result  # type: ignore[union-attr]
    assert not any(m.startswith("rich") for m in result["loaded"]), result  # type: ignore[union-attr]
    assert result["heavy"] == [], result


def test_uncoloured_text_needs_no_rich_console() -> None:
    """`validate` and `catalog` print text without colour (a pipe, CI) through the rich-free
    layout: rich's console, tables and markup stay unimported (only its word-wrap helper loads),
    and a Python stack leaves PyYAML unimported too."""
    result = probe(
        ["validate", str(EXAMPLES / "aws-h100-training.py")],
        ["catalog"],
        ["catalog", "--cloud", "gcp", "--all"],
    )
    assert set(result["codes"].values()) <= {0, 1}, result  # type: ignore[union-attr]
    loaded = result["loaded"]
    assert not any(m.startswith(("rich.console", "rich.table", "rich.markup")) for m in loaded), (
        loaded
    )
    assert "yaml" not in loaded, loaded  # type: ignore[operator]
    assert "clusterforge.report.text" not in loaded, loaded  # type: ignore[operator]


def test_validate_leaves_pydantic_unimported() -> None:
    """The spec models validate with prebuilt pydantic-core validators: a YAML, JSON or Python
    stack validates (findings and an unknown field's hint included) without importing pydantic."""
    result = probe(
        ["validate", str(EXAMPLES / "aws-h100-training.py")],
        ["validate", str(EXAMPLES / "gcp-a3-mega-training.yaml"), "--format", "json"],
        ["validate", str(EXAMPLES / "aws-capacity-block.yaml")],
    )
    assert set(result["codes"].values()) <= {0, 1}, result  # type: ignore[union-attr]
    loaded = result["loaded"]
    assert not any(m == "pydantic" or m.startswith("pydantic.") for m in loaded), loaded  # type: ignore[union-attr]


def test_the_prebuilt_schema_and_validators_equal_the_models() -> None:
    """schema.json and validators.pickle are what the models build now, with the installed
    pydantic-core (a pickled validator is only good for the version that wrote it)."""
    import pickle

    import pydantic
    import pydantic_core

    from clusterforge.spec import base, build

    assert schema.prebuilt_text() == build.schema_text(), f"run: {schema.REGENERATE}"
    shipped = base.VALIDATORS_FILE.read_bytes()
    assert pickle.loads(shipped)["pydantic_core"] == pydantic_core.__version__, (
        f"built with another pydantic-core; run: {schema.REGENERATE}"
    )
    assert shipped == build.validators_bytes(), f"run: {schema.REGENERATE}"
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # the checkout's
    assert f"pickled by the pydantic-core of pydantic {pydantic.VERSION}" in project, (
        "say in pyproject.toml which pydantic wrote validators.pickle"
    )


def test_the_lazy_table_matches_each_command() -> None:
    for name, (_module, _attribute, first_line) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, name
        assert command.name == name
        assert _short_help(first_line, 10_000) == command.get_short_help_str(10_000), (
            f"COMMANDS[{name!r}] in cli/main.py differs from the command's docstring"
        )
