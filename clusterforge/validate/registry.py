"""The rule registry and the runner.

A rule is a small function ``check(ctx) -> Iterable[Finding]`` registered with a stable id, a
default severity, a title and the clouds it applies to. The runner calls every rule, collects
everything (it never stops at the first problem) and turns a crashing rule into an ERROR
finding instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.findings import Finding, Severity


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    clouds: tuple[str, ...]
    check: Callable[[Context], Iterable[Finding]]
    #: Longer explanation for `clusterforge rules` and SARIF.
    description: str = ""


RULES: dict[str, Rule] = {}


class Context:
    """What a rule sees: the resolved cluster, and helpers to make findings under its id."""

    def __init__(self, resolved: ResolvedCluster, rule: Rule) -> None:
        self.resolved = resolved
        self.cluster = resolved.spec
        self.catalog = resolved.catalog
        self.rule = rule

    def finding(
        self, path: str, message: str, hint: str = "", severity: Severity | None = None
    ) -> Finding:
        return Finding(self.rule.id, severity or self.rule.severity, path, message, hint)


def rule(
    rule_id: str,
    title: str,
    *,
    severity: Severity = Severity.ERROR,
    clouds: tuple[str, ...] = ("aws", "gcp", "kubernetes"),
    description: str = "",
) -> Callable[[Callable[[Context], Iterable[Finding]]], Callable[[Context], Iterable[Finding]]]:
    """Register a rule under a stable id."""

    def register(
        check: Callable[[Context], Iterable[Finding]],
    ) -> Callable[[Context], Iterable[Finding]]:
        if rule_id in RULES:
            raise ValueError(f"rule id {rule_id} registered twice")
        RULES[rule_id] = Rule(
            rule_id, title, severity, clouds, check, description or (check.__doc__ or "").strip()
        )
        return check

    return register


def run_rules(resolved: ResolvedCluster, skip: Iterable[str] = ()) -> list[Finding]:
    """Every applicable rule's findings, in registry order; a crashing rule becomes a finding."""
    skipped = {s.upper() for s in skip}
    findings: list[Finding] = []
    for registered in RULES.values():
        if registered.id in skipped or resolved.spec.cloud not in registered.clouds:
            continue
        context = Context(resolved, registered)
        try:
            findings.extend(_materialise(registered.check(context)))
        except Exception as exc:  # noqa: BLE001 - a broken rule must not hide the others
            findings.append(
                Finding(
                    registered.id,
                    Severity.ERROR,
                    "(rule)",
                    f"rule {registered.id} crashed: {type(exc).__name__}: {exc}",
                    "this is a clusterforge bug; skip the rule with --skip while it is fixed",
                )
            )
    return findings


def _materialise(results: Iterable[Finding]) -> Iterator[Finding]:
    # Rules are generators; exhaust inside the try of run_rules so a late crash is caught.
    yield from list(results)
