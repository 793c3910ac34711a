"""`clusterforge catalog` and `clusterforge catalog refresh` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clusterforge.catalog import data_path, load
from clusterforge.cli.main import cli

REQUIRED_KEYS = {
    "instance_type",
    "accelerator",
    "accelerator_count",
    "accelerator_memory_gib",
    "vcpus",
    "memory_gib",
    "efa_interfaces",
    "network_cards",
    "price_usd_per_hour",
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--no-color", *args])


def assert_one_line_error(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("accelerator", ["H100", "h100"])
def test_json_lists_the_offerings_of_an_accelerator(accelerator: str) -> None:
    result = run("catalog", "--format", "json", "--accelerator", accelerator)

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) >= REQUIRED_KEYS, row["instance_type"]
        assert row["accelerator"] == "H100"
        assert isinstance(row["price_usd_per_hour"], dict)
    by_type = {row["instance_type"]: row for row in rows}
    p5 = by_type["p5.48xlarge"]
    assert (p5["accelerator_count"], p5["efa_interfaces"]) == (8, 32)
    assert p5["price_usd_per_hour"] == load("aws").offerings["p5.48xlarge"].price_usd_per_hour


def test_json_lists_accelerated_types_only_unless_all() -> None:
    accelerated = json.loads(run("catalog", "--format", "json").stdout)
    everything = json.loads(run("catalog", "--format", "json", "--all").stdout)
    assert all(row["accelerator_count"] > 0 for row in accelerated)
    assert len(everything) == len(load("aws").offerings) > len(accelerated)


def test_unknown_accelerator_is_a_one_line_error() -> None:
    result = run("catalog", "--accelerator", "H1000")
    assert_one_line_error(result, "no aws offering has accelerator 'H1000'")
    assert "hint: known: " in result.stderr and "H100" in result.stderr


def test_text_lists_the_offerings() -> None:
    result = run("catalog")

    assert result.exit_code == 0, result.output
    assert "p5.48xlarge" in result.stdout
    assert "trn1.32xlarge" in result.stdout
    assert "m7i.large" not in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when asked for none
    assert "m7i.large" in run("catalog", "--all").stdout


def test_refresh_writes_the_file_and_reports_the_count(
    aws_api_emulator: str, tmp_path: Path
) -> None:
    with data_path("aws", "instances.json").open("r", encoding="utf-8") as handle:
        committed = json.load(handle)
    # Seed the target so that the summary has something added, removed and changed to report.
    seed = [dict(row) for row in committed["instances"] if row["instance_type"] != "m5.large"]
    seed.append({"instance_type": "p9.retired"})
    next(row for row in seed if row["instance_type"] == "p5.48xlarge")["efa_interfaces"] = 1
    out = tmp_path / "instances.json"
    out.write_text(json.dumps({"instances": seed}))

    result = run(
        "catalog",
        "refresh",
        "--endpoint-url",
        aws_api_emulator,
        "--zones-region",
        "us-east-1",
        "--out",
        str(out),
    )

    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    count = len(written["instances"])
    assert count == len(committed["instances"])
    assert f"wrote {out}: {count} instance types from us-east-1" in result.stdout
    assert "added: m5.large" in result.stdout
    assert "removed: p9.retired" in result.stdout
    assert "changed: p5.48xlarge" in result.stdout
    assert list(written["zones"]) == ["us-east-1"]


def test_refresh_failure_is_a_one_line_error_and_keeps_the_file(
    unreachable_aws_endpoint: str, tmp_path: Path
) -> None:
    out = tmp_path / "instances.json"
    out.write_text('{"instances": []}\n')

    result = run(
        "catalog", "refresh", "--endpoint-url", unreachable_aws_endpoint, "--out", str(out)
    )

    assert_one_line_error(result, "EC2 DescribeInstanceTypes in us-east-1 failed")
    assert out.read_text() == '{"instances": []}\n'


def test_gcp_catalog_lists_gpudirect_and_tpus() -> None:
    from click.testing import CliRunner

    from clusterforge.cli.main import cli

    result = CliRunner().invoke(cli, ["catalog", "--cloud", "gcp"])
    assert result.exit_code == 0
    assert (
        "a3-megagpu-8g" in result.stdout
        and "gpudirect-tcpxo x8" in result.stdout
        and "ct5p-hightpu-4t" in result.stdout
    )
    rows = json.loads(
        CliRunner()
        .invoke(cli, ["catalog", "--cloud", "gcp", "--accelerator", "tpu-v6e", "--format", "json"])
        .stdout
    )
    assert {r["instance_type"] for r in rows} == {
        "ct6e-standard-1t",
        "ct6e-standard-4t",
        "ct6e-standard-8t",
    }
    assert all(r["gke_accelerator"] == "tpu-v6e-slice" for r in rows)
