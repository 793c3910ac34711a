"""`clusterforge preflight STACK`: ask AWS, read-only, whether it can give the stack what it asks
for — before `up` fails half-way.

Each check is one read-only call with a timeout (botocore connect/read timeouts, two attempts):

* ``offering``: EC2 DescribeInstanceTypeOfferings — the pool's instance type in its zone;
* ``quota``: Service Quotas GetServiceQuota — the running-instances vCPU quota of the family's class
  (on-demand or spot; codes and names in ``catalog/data/common/aws_quotas.json``) against what the
  pools need at their maximum size;
* ``reservation``: EC2 DescribeCapacityReservations — the named reservation or Capacity Block exists,
  is active (or when it starts), and matches type, zone, count, platform and kind; its window;
* ``kubernetes``: EKS DescribeClusterVersions — EKS offers the version, and in which support;
* ``vpc``: Service Quotas "VPCs per Region" against the VPCs that exist plus the one the stack makes.

Statuses: pass, warn (could not check, or a risk), fail (the deployment would fail: exit 1).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from clusterforge.errors import CredentialsError, UsageError

#: Seconds each call may take to connect and to answer.
TIMEOUT_SECONDS = 10
#: DescribeCapacityReservations' platform for the EKS Linux AMIs.
LINUX_PLATFORM = "Linux/UNIX"
ACTIVE, STARTS_LATER = (
    "active",
    frozenset({"scheduled", "pending", "payment-pending", "assessing", "delayed"}),
)


@cache
def quota_facts() -> dict[str, Any]:
    path = resources.files("clusterforge.catalog").joinpath("data/common/aws_quotas.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def quota_class(instance_type: str) -> str | None:
    """The vCPU quota class (p, g, inf, trn, standard) of an instance type, None when unknown."""
    family = re.match(r"[a-z]+", instance_type)
    classes = quota_facts()["family_class"]
    if family is None:
        return None
    prefix = family.group(0)
    # The longest recorded prefix wins (vt before v, trn before t).
    for length in range(len(prefix), 0, -1):
        if prefix[:length] in classes and not prefix[:length].startswith("_"):
            return str(classes[prefix[:length]])
    return None


@dataclass
class Check:
    check: str
    status: str  # pass, warn, fail
    subject: str
    detail: str
    action: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "check": self.check,
            "status": self.status,
            "subject": self.subject,
            "detail": self.detail,
        }
        if self.action:
            data["action"] = self.action
        if self.facts:
            data["facts"] = self.facts
        return data


@dataclass
class Preflight:
    stack_file: str
    region: str | None
    checks: list[Check]

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "warn", "fail")}
        return {"version": 1, "stack_file": self.stack_file, "region": self.region, "summary": counts,
                "checks": [c.to_dict() for c in self.checks]}  # fmt: skip


def _clients(region: str, timeout: int) -> Callable[[str], Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is None:
        raise CredentialsError(
            "preflight needs AWS credentials and found none",
            hint="configure them (aws configure, AWS_PROFILE, or OIDC in CI); preflight only reads",
        )
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": 2, "mode": "standard"},
    )

    @cache
    def client(service: str) -> Any:
        return session.client(service, config=config)

    return client


def _failure(exc: Exception) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    if isinstance(exc, BotoCoreError):
        return str(exc)
    if isinstance(exc, LookupError):
        return f"{exc.args[0] if exc.args else exc} not found"
    raise exc


def run(resolved: Any, stack_file: str, *, timeout: int = TIMEOUT_SECONDS,
        today: dt.datetime | None = None) -> Preflight:  # fmt: skip
    """Run every check for an AWS stack (``resolved``: a validated ResolvedCluster)."""
    spec = resolved.spec
    if spec.cloud != "aws":
        raise UsageError(
            f"preflight checks AWS stacks; {stack_file} is on {spec.cloud}",
            hint="GCP preflight is not implemented: check quotas in the Cloud console",
        )
    client = _clients(spec.region, timeout)
    now = today or dt.datetime.now(dt.timezone.utc)
    pools = [p for p in resolved.pools if p.instance_type]
    checks: list[Check] = []
    for pool in pools:
        checks.append(_offering(client, pool, spec.region))
    checks += _quotas(client, pools, spec.region)
    for pool in pools:
        if pool.spec.capacity.type in ("reservation", "capacity_block"):
            checks.append(_reservation(client, pool, now))
            checks += lifecycle(pool, checks[-1], now, spec.horizon_days)
    checks.append(_kubernetes(client, spec.kubernetes.version))
    checks.append(_vpcs(client))
    return Preflight(stack_file, spec.region, checks)


def _guarded(name: str, subject: str, probe: Callable[[], Check]) -> Check:
    try:
        return probe()
    except Exception as exc:  # noqa: BLE001 - botocore errors become a warning; others re-raise in _failure
        return Check(name, "warn", subject, f"could not check: {_failure(exc)}",
                     "check the permission for this read-only call, then run preflight again")  # fmt: skip


def _offering(client: Callable[[str], Any], pool: Any, region: str) -> Check:
    subject = f"{pool.path} ({pool.instance_type})"

    def probe() -> Check:
        answer = client("ec2").describe_instance_type_offerings(
            LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": [pool.instance_type]}]
        )  # fmt: skip
        zones = sorted(o["Location"] for o in answer.get("InstanceTypeOfferings", []))
        if not zones:
            return Check("offering", "fail", subject, f"{pool.instance_type} is not offered in {region}",
                         "choose a region that offers it (clusterforge catalog shows the types)")  # fmt: skip
        if pool.zone and pool.zone not in zones:
            return Check("offering", "fail", subject, f"{pool.instance_type} is not offered in {pool.zone}",
                         f"move the pool to one of {', '.join(zones)} (zone:)", {"zones": zones})  # fmt: skip
        where = pool.zone or f"{region} ({', '.join(zones)})"
        return Check(
            "offering",
            "pass",
            subject,
            f"{pool.instance_type} is offered in {where}",
            facts={"zones": zones},
        )

    return _guarded("offering", subject, probe)


def _quotas(client: Callable[[str], Any], pools: list[Any], region: str) -> list[Check]:
    """One check per quota the pools draw on, summing their vCPUs at maximum size."""
    facts = quota_facts()
    needs: dict[tuple[str, str], list[Any]] = {}
    checks: list[Check] = []
    for pool in pools:
        market = "spot" if pool.spec.capacity.type == "spot" else "on_demand"
        if pool.spec.capacity.type == "capacity_block":
            continue  # bought as a block for a fixed window, not drawn from the running-instance quota
        klass = quota_class(pool.instance_type)
        if klass is None or klass not in facts[market] or pool.offering is None:
            checks.append(Check("quota", "warn", f"{pool.path} ({pool.instance_type})",
                                f"no recorded {market.replace('_', '-')} vCPU quota for {pool.instance_type}",
                                "check its quota in the Service Quotas console"))  # fmt: skip
            continue
        needs.setdefault((market, klass), []).append(pool)
    for (market, klass), members in needs.items():
        quota = facts[market][klass]
        vcpus = sum(p.max_size * p.offering.vcpus for p in members)
        subject = ", ".join(f"{p.path} ({p.max_size} x {p.instance_type})" for p in members)
        checks.append(
            _guarded(
                "quota",
                subject,
                functools.partial(_quota, client, quota, vcpus, subject, region),
            )
        )
    return checks


def _quota_value(
    client: Callable[[str], Any], service: str, quota: dict[str, str]
) -> tuple[float, str]:
    """The applied (else default) value of ``quota``, looked up by code, then by name."""
    quotas = client("service-quotas")
    from botocore.exceptions import ClientError

    try:
        found = quotas.get_service_quota(ServiceCode=service, QuotaCode=quota["code"])["Quota"]
        return float(found["Value"]), quota["code"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise
    pages = quotas.get_paginator("list_service_quotas").paginate(ServiceCode=service)
    for page in pages:
        for found in page.get("Quotas", []):
            if found.get("QuotaName") == quota["name"]:
                return float(found["Value"]), str(found.get("QuotaCode"))
    raise LookupError(quota["name"])


def _quota(
    client: Callable[[str], Any], quota: dict[str, str], vcpus: int, subject: str, region: str
) -> Check:
    try:
        value, code = _quota_value(client, "ec2", quota)
    except LookupError:
        return Check("quota", "warn", subject, f"{quota['name']} not found in {region}",
                     "check the quota in the Service Quotas console")  # fmt: skip
    facts = {"quota": quota["name"], "code": code, "value": value, "needed_vcpus": vcpus}
    if vcpus > value:
        return Check("quota", "fail", subject,
                     f"{quota['name']} is {value:g} vCPUs; the pools need {vcpus} at their maximum size",
                     f"request an increase of {quota['name']} ({code}) in {region} to at least {vcpus}", facts)  # fmt: skip
    return Check("quota", "pass", subject,
                 f"{quota['name']} is {value:g} vCPUs; the pools need {vcpus} (instances already running share it)",
                 facts=facts)  # fmt: skip


def _reservation(client: Callable[[str], Any], pool: Any, now: dt.datetime) -> Check:
    reservation_id = pool.spec.capacity.reservation_id
    subject = f"{pool.path}.capacity ({reservation_id})"

    def probe() -> Check:
        from botocore.exceptions import ClientError

        try:
            answer = client("ec2").describe_capacity_reservations(
                CapacityReservationIds=[reservation_id]
            )
        except ClientError as exc:
            if "NotFound" in exc.response.get("Error", {}).get("Code", ""):
                return Check("reservation", "fail", subject, f"{reservation_id} does not exist in this account and region",
                             "check the id (describe-capacity-reservations) and the region")  # fmt: skip
            raise
        [found] = answer["CapacityReservations"][:1] or [None]
        if found is None:
            return Check(
                "reservation", "fail", subject, f"{reservation_id} does not exist", "check the id"
            )
        return reservation_check(pool, found, now, subject)

    return _guarded("reservation", subject, probe)


def reservation_check(pool: Any, found: dict[str, Any], now: dt.datetime, subject: str) -> Check:
    """The reservation ``found`` (a DescribeCapacityReservations item) against ``pool``."""
    window = {"start": _iso(found.get("StartDate")), "end": _iso(found.get("EndDate"))}
    facts = {"state": found.get("State"), "instance_type": found.get("InstanceType"),
             "zone": found.get("AvailabilityZone"), "count": found.get("TotalInstanceCount"),
             "platform": found.get("InstancePlatform"), "type": found.get("ReservationType", "default"),
             "window": window}  # fmt: skip
    problems = []
    if found.get("InstanceType") != pool.instance_type:
        problems.append(
            f"it reserves {found.get('InstanceType')}, the pool runs {pool.instance_type}"
        )
    if pool.zone and found.get("AvailabilityZone") != pool.zone:
        problems.append(f"it is in {found.get('AvailabilityZone')}, the pool in {pool.zone}")
    if int(found.get("TotalInstanceCount") or 0) < pool.max_size:
        problems.append(
            f"it holds {found.get('TotalInstanceCount')} instances, the pool scales to {pool.max_size}"
        )
    if found.get("InstancePlatform") and found["InstancePlatform"] != LINUX_PLATFORM:
        problems.append(
            f"its platform is {found['InstancePlatform']}, EKS nodes need {LINUX_PLATFORM}"
        )
    kind = found.get("ReservationType") or "default"
    wanted = "capacity-block" if pool.spec.capacity.type == "capacity_block" else "default"
    if kind != wanted:
        problems.append(f"it is a {kind} reservation, the pool says {pool.spec.capacity.type}")
    state = str(found.get("State"))
    if problems:
        return Check("reservation", "fail", subject, "; ".join(problems),
                     "make the pool match the reservation (instance_type, zone, max_nodes) or name the right one", facts)  # fmt: skip
    if state == ACTIVE:
        ends = f", ends {window['end']}" if window["end"] else ""
        return Check(
            "reservation",
            "pass",
            subject,
            f"active{ends}; matches type, zone, count and platform",
            facts=facts,
        )
    if state in STARTS_LATER:
        return Check("reservation", "warn", subject, f"{state}: starts {window['start'] or 'later'}",
                     "nodes launch only from the start time: run `up` then, or the node group waits", facts)  # fmt: skip
    return Check(
        "reservation",
        "fail",
        subject,
        f"it is {state}",
        "name an active or scheduled reservation",
        facts,
    )


def lifecycle(
    pool: Any, reservation: Check, now: dt.datetime, horizon_days: int | None
) -> list[Check]:
    """The reservation's window as AWS reports it, through the same rule as CAP010/CAP011."""
    from clusterforge.catalog.capacity_window import problems

    window = reservation.facts.get("window") or {}
    start, end = _parse(window.get("start")), _parse(window.get("end"))
    found = problems(pool.spec.capacity.type, "aws", start, end, now=now, horizon_days=horizon_days)
    status = {"error": "fail", "warning": "warn"}
    return [Check("lifecycle", status[p.severity], reservation.subject, p.message, p.hint, {"window": window})
            for p in found if p.severity in status]  # fmt: skip


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value) if value else None


def _kubernetes(client: Callable[[str], Any], version: str) -> Check:
    subject = f"kubernetes.version ({version})"

    def probe() -> Check:
        answer = client("eks").describe_cluster_versions(clusterVersions=[version], includeAll=True)
        found = [v for v in answer.get("clusterVersions", []) if v.get("clusterVersion") == version]
        if not found:
            return Check("kubernetes", "fail", subject, f"EKS does not offer Kubernetes {version} here",
                         "choose a version `aws eks describe-cluster-versions` lists")  # fmt: skip
        status = (
            str(found[0].get("versionStatus") or found[0].get("status") or "")
            .upper()
            .replace("-", "_")
        )
        if status == "STANDARD_SUPPORT":
            return Check("kubernetes", "pass", subject, f"EKS offers {version} in standard support")
        if status == "EXTENDED_SUPPORT":
            return Check("kubernetes", "warn", subject, f"{version} is in extended support (billed extra per cluster hour)",
                         "upgrade to a version in standard support")  # fmt: skip
        return Check("kubernetes", "fail", subject, f"{version} is {status.lower() or 'not supported'} on EKS",
                     "choose a supported version")  # fmt: skip

    return _guarded("kubernetes", subject, probe)


def _vpcs(client: Callable[[str], Any]) -> Check:
    quota = quota_facts()["vpc"]["vpcs_per_region"]
    subject = "network (one new VPC)"

    def probe() -> Check:
        value, code = _quota_value(client, "vpc", quota)
        existing = len(client("ec2").describe_vpcs().get("Vpcs", []))
        facts = {"quota": quota["name"], "code": code, "value": value, "existing": existing}
        if existing + 1 > value:
            return Check("vpc", "fail", subject, f"{existing} VPCs exist and {quota['name']} is {value:g}",
                         f"delete an unused VPC or request an increase of {quota['name']} ({code})", facts)  # fmt: skip
        return Check(
            "vpc",
            "pass",
            subject,
            f"{existing} of {value:g} VPCs used; the stack adds one",
            facts=facts,
        )

    return _guarded("vpc", subject, probe)


def render(result: Preflight, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, default=str) + "\n"
    mark = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}
    lines = [f"preflight {result.stack_file} ({result.region})"]
    for check in result.checks:
        lines.append(f"  {mark[check.status]:4}  {check.check:11} {check.subject}: {check.detail}")
        if check.action and check.status != "pass":
            lines.append(f"        {'':11} do: {check.action}")
    summary = result.to_dict()["summary"]
    lines.append(f"{summary['pass']} pass, {summary['warn']} warn, {summary['fail']} fail")
    return "\n".join(lines) + "\n"
