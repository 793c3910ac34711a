"""The one finding type shared by validation rules, policy rules and the reports.

A finding always says which rule produced it (a stable id such as ``EFA001``), how bad it is,
where in the spec it points (``node_pools[1].capacity.reservation_id``), what is wrong and what
to do about it. ``location`` is filled in later from the stack's source map (``file:line``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is. Ordered: ``error`` > ``warning`` > ``info``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}: use error, warning or info") from None


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about a stack."""

    rule: str
    severity: Severity
    path: str
    message: str
    hint: str = ""
    #: ``file:line`` of the spec element ``path`` points at, when the source map knows it.
    location: str | None = None
    #: Where the finding came from: ``validate`` or ``policy``.
    source: str = "validate"
    #: Extra machine-readable facts (resource URN for policy findings, ...).
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_location(self, location: str | None) -> Finding:
        return replace(self, location=location) if location else self

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }
        if self.location:
            data["location"] = self.location
        if self.source != "validate":
            data["source"] = self.source
        if self.extra.get("urn"):
            data["resource"] = self.extra["urn"]
        return data


def worst(findings: list[Finding]) -> Severity | None:
    """The highest severity among ``findings`` (None when there are none)."""
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: s.rank)


def at_or_above(findings: list[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.rank >= threshold.rank]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then by spec path, then rule id — a stable order for every renderer."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.rule, f.message))
