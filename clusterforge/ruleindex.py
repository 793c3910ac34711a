"""The rule index: every rule's id, kind, title, severity, area, clouds and texts, read from data.

``clusterforge rules``, ``--skip`` and the reports (SARIF rule descriptors, the Markdown PR
comment, ``docs/rules.md``) read rules from here, so none of them imports the policy SDK or the
validation rules (a second of imports) just to name a rule. ``rule_index.json`` is generated
from the live registries — the validation rules (``clusterforge.validate``) and the policy pack
(``clusterforge.policies``) — by ``python -m clusterforge.report.rules > docs/rules.md``, which
writes the index and the page together; ``tests/policies/test_rule_index.py`` fails when the
index differs from what the registries hold.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterforge import generated
from clusterforge.findings import Severity

INDEX_FILE = Path(__file__).with_name("rule_index.json")
#: How to regenerate the index (and docs/rules.md) after adding or changing a rule.
REGENERATE = "python -m clusterforge.report.rules > docs/rules.md"


@dataclass(frozen=True)
class IndexedRule:
    """One rule as the index records it."""

    id: str
    #: ``validation`` (a spec rule) or ``policy`` (a rule of the policy pack).
    kind: str
    #: Which registry holds the rule: ``validation``, ``policies``, or ``report`` for the findings
    #: the loader and ``diff`` emit outside both registries (SPEC001, SPEC002, DIFF001).
    registry: str
    #: A readable CamelCase or kebab-case name (SARIF ``name``).
    name: str
    title: str
    severity: Severity
    area: str
    #: Clouds a validation rule runs on (empty for policies).
    clouds: tuple[str, ...]
    #: The registered description (``clusterforge rules --format json``).
    description: str
    #: The documented description (SARIF ``fullDescription``, docs/rules.md).
    doc: str
    #: What to do about a finding (SARIF ``help``, the Markdown comment's fix line).
    help: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "registry": self.registry,
            "name": self.name,
            "title": self.title,
            "severity": self.severity.value,
            "area": self.area,
            "clouds": list(self.clouds),
            "description": self.description,
            "doc": self.doc,
            "help": self.help,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> IndexedRule:
        return cls(
            id=row["id"],
            kind=row["kind"],
            registry=row["registry"],
            name=row["name"],
            title=row["title"],
            severity=Severity(row["severity"]),
            area=row["area"],
            clouds=tuple(row["clouds"]),
            description=row["description"],
            doc=row["doc"],
            help=row["help"],
        )


def document(rules: list[IndexedRule]) -> str:
    """The text of ``rule_index.json`` for ``rules`` (stable: one rule per entry, in order)."""
    body = {"generated_by": REGENERATE, "rules": [r.to_dict() for r in rules]}
    return json.dumps(body, indent=1, ensure_ascii=False) + "\n"


@functools.lru_cache(maxsize=1)
def rules() -> tuple[IndexedRule, ...]:
    """Every rule: the report-level findings, validation rules by id, then policies in pack order."""
    text = generated.read(INDEX_FILE, "the rule index", REGENERATE)
    try:
        data = json.loads(text)
        return tuple(IndexedRule.from_dict(row) for row in data["rules"])
    except (ValueError, KeyError, TypeError) as exc:
        raise generated.missing(INDEX_FILE, "the rule index", REGENERATE, exc) from None


def registered() -> tuple[IndexedRule, ...]:
    """The rules a user can pass to ``--skip``: the validation rules and the policies."""
    return tuple(r for r in rules() if r.registry in ("validation", "policies"))


def registered_ids() -> frozenset[str]:
    """Ids a user can pass to ``--skip``: the validation rules and the policies."""
    return frozenset(r.id for r in registered())
