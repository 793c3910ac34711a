"""`clusterforge preflight` against AWS on loopback: moto's server (instance type offerings, VPCs and
their quota) behind a stand-in for the calls moto lacks (capacity reservations, EC2 vCPU quotas,
EKS versions) — a matching and a mismatching reservation, a low quota, a type not offered."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from click.testing import CliRunner

from clusterforge import api
from clusterforge.cli.main import cli
from clusterforge.workflow import preflight

from tests.workflow.standin_aws import StandinData, standin_aws

START = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
BLOCK = "cr-0a1b2c3d4e5f67890"
P_QUOTA, G_QUOTA = "L-417A185B", "L-DB2E81BA"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def aws(aws_api_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinData]:
    with standin_aws(aws_api_emulator) as (endpoint, data):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        data.ec2_quotas = {P_QUOTA: ("Running On-Demand P instances", 2048.0),
                           G_QUOTA: ("Running On-Demand G and VT instances", 64.0)}  # fmt: skip
        data.eks_versions = {"1.35": "STANDARD_SUPPORT", "1.30": "EXTENDED_SUPPORT"}
        data.reservations = {BLOCK: {
            "CapacityReservationId": BLOCK, "InstanceType": "p5.48xlarge", "InstancePlatform": "Linux/UNIX",
            "AvailabilityZone": "us-east-1d", "TotalInstanceCount": 8, "AvailableInstanceCount": 8,
            "State": "active", "StartDate": START, "EndDate": START + dt.timedelta(days=14),
            "ReservationType": "capacity-block"}}  # fmt: skip
        yield data


def stack(tmp_path: Path, example: str, edit: Any = None) -> Path:
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / example).read_text())
    if edit:
        edit(data)
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def run(path: Path) -> tuple[int, dict[str, Any]]:
    # A generous per-call timeout: the suite shares two cores (this is not a timing test).
    result = CliRunner().invoke(
        cli, ["preflight", str(path), "--format", "json", "--timeout", "60"]
    )
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def by_check(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["check"] == name]


def test_matching_capacity_block_passes(aws: StandinData, tmp_path: Path) -> None:
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    assert code == 0, report
    [reservation] = by_check(report, "reservation")
    assert (
        reservation["status"] == "pass"
        and reservation["facts"]["window"]["end"] == "2026-12-15T00:00:00Z"
    )
    assert {c["status"] for c in by_check(report, "offering")} == {"pass"}
    assert by_check(report, "kubernetes")[0]["status"] == "pass"
    assert by_check(report, "vpc")[0]["status"] == "pass"  # moto's VPC quota and VPCs
    assert "DescribeCapacityReservations" in aws.seen
    # The block ends 2026-12-15 and the stack sets no horizon: the lifecycle rule says what happens.
    [lifecycle] = by_check(report, "lifecycle")
    assert (
        lifecycle["status"] == "warn" and "terminating the block's instances" in lifecycle["detail"]
    )


def test_mismatching_reservation_fails_through_the_emulator(
    aws: StandinData, tmp_path: Path
) -> None:
    aws.reservations[BLOCK].update(AvailabilityZone="us-east-1a")
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    [reservation] = by_check(report, "reservation")
    assert (
        code == 1
        and reservation["status"] == "fail"
        and "it is in us-east-1a" in reservation["detail"]
    )


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({}, "pass", "active, ends 2026-12-15"),
        ({"InstanceType": "p5en.48xlarge"}, "fail", "reserves p5en.48xlarge"),
        ({"AvailabilityZone": "us-east-1a"}, "fail", "it is in us-east-1a"),
        ({"TotalInstanceCount": 4}, "fail", "holds 4 instances"),
        ({"InstancePlatform": "Windows"}, "fail", "platform is Windows"),
        ({"ReservationType": "default"}, "fail", "default reservation"),
        ({"State": "expired"}, "fail", "it is expired"),
        ({"State": "payment-pending"}, "warn", "payment-pending: starts"),
    ],
)
def test_reservation_match(change: dict[str, Any], status: str, words: str) -> None:
    _, report = api.validate_stack(EXAMPLES / "aws-capacity-block.yaml")
    assert report.resolved is not None
    pool = report.resolved.pools[1]
    found = {"InstanceType": "p5.48xlarge", "InstancePlatform": "Linux/UNIX", "AvailabilityZone": "us-east-1d",
             "TotalInstanceCount": 8, "State": "active", "StartDate": START,
             "EndDate": START + dt.timedelta(days=14), "ReservationType": "capacity-block", **change}  # fmt: skip
    check = preflight.reservation_check(pool, found, START, "pool")
    assert check.status == status and words in check.detail, check


def test_a_block_that_starts_later_warns_and_a_missing_one_fails(
    aws: StandinData, tmp_path: Path
) -> None:
    aws.reservations[BLOCK].update(
        State="scheduled",
        StartDate=dt.datetime(2027, 1, 4, tzinfo=dt.timezone.utc),
        EndDate=dt.datetime(2027, 1, 18, tzinfo=dt.timezone.utc),
    )
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    [reservation] = by_check(report, "reservation")
    assert code == 0 and reservation["status"] == "warn" and "2027-01-04" in reservation["detail"]
    del aws.reservations[BLOCK]
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    assert code == 1 and "does not exist" in by_check(report, "reservation")[0]["detail"]


def test_low_quota_fails_with_what_to_request(aws: StandinData, tmp_path: Path) -> None:
    aws.ec2_quotas[P_QUOTA] = ("Running On-Demand P instances", 384.0)
    path = stack(
        tmp_path,
        "aws-capacity-block.yaml",
        lambda d: d["node_pools"][1].update(capacity={"type": "on_demand"}, zone="us-east-1a"),
    )
    code, report = run(path)
    [quota] = [c for c in by_check(report, "quota") if "p5.48xlarge" in c["subject"]]
    assert code == 1 and quota["status"] == "fail"
    assert quota["facts"]["needed_vcpus"] == 8 * 192 and "L-417A185B" in quota["action"]
    aws.ec2_quotas[P_QUOTA] = ("Running On-Demand P instances", 1536.0)
    code, report = run(path)
    assert [c["status"] for c in by_check(report, "quota") if "p5.48xlarge" in c["subject"]] == [
        "pass"
    ]


def test_type_not_offered_in_the_zone_fails(aws: StandinData, tmp_path: Path) -> None:
    # moto's offerings: trn1.32xlarge is in us-east-1b, 1c and 1f, not 1a.
    path = stack(
        tmp_path, "aws-trainium.yaml", lambda d: d.update(region="us-east-1", zone="us-east-1a")
    )
    code, report = run(path)
    [offering] = [c for c in by_check(report, "offering") if "trn1" in c["subject"]]
    assert code == 1 and offering["status"] == "fail" and "us-east-1b" in offering["action"]


def test_eks_version_support(aws: StandinData, tmp_path: Path) -> None:
    aws.eks_versions = {"1.35": "EXTENDED_SUPPORT"}
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    assert code == 0 and by_check(report, "kubernetes")[0]["status"] == "warn"
    aws.eks_versions = {}
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    assert code == 1 and by_check(report, "kubernetes")[0]["status"] == "fail"


def test_no_credentials_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    result = CliRunner().invoke(cli, ["preflight", str(stack(tmp_path, "aws-capacity-block.yaml"))])
    # An environment error, not bad input: exit 3 as the README's exit-code contract says.
    assert result.exit_code == 3 and result.stderr.startswith(
        "error: preflight needs AWS credentials"
    )
    assert "Traceback" not in result.output


def test_unreachable_endpoint_warns_per_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              unreachable_aws_endpoint: str) -> None:  # fmt: skip
    monkeypatch.setenv("AWS_ENDPOINT_URL", unreachable_aws_endpoint)
    code, report = run(stack(tmp_path, "aws-capacity-block.yaml"))
    assert code == 0 and {c["status"] for c in report["checks"]} == {"warn"}


def test_quota_classes() -> None:
    assert preflight.quota_class("p5.48xlarge") == "p"
    assert preflight.quota_class("g6e.12xlarge") == "g"
    assert preflight.quota_class("trn2.48xlarge") == "trn"
    assert preflight.quota_class("m7i.2xlarge") == "standard"
    assert preflight.quota_class("x2iedn.32xlarge") is None


def test_a_stack_it_cannot_check_is_a_usage_error() -> None:
    """Exit 2 (bad input) for a GCP stack, against 3 for the missing credentials above."""
    example = Path(__file__).resolve().parents[2] / "examples" / "gcp-g4-inference.yaml"
    result = CliRunner().invoke(cli, ["preflight", str(example)])
    assert result.exit_code == 2 and "preflight checks AWS stacks" in result.stderr
