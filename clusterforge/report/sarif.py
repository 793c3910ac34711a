"""SARIF 2.1.0 rendering: findings as code-scanning results (GitHub, GitLab, IDE viewers).

``tool.driver.rules`` lists every rule clusterforge has — the validation rules and the policies
(they share the :class:`~clusterforge.findings.Finding` type) — with its description, remediation
(``help``) and default level. Each result uses the rule id as ``ruleId`` and points at the stack
file line of the element it is about (``physicalLocation``), relative to the current directory
when the file is under it, plus logical locations for the spec path and the resource URN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clusterforge import __version__
from clusterforge.findings import Finding, Severity
from clusterforge.report.model import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_descriptors() -> list[dict[str, Any]]:
    """Every validation rule and policy as a SARIF ``reportingDescriptor``."""
    from clusterforge.policies import RULES as POLICIES
    from clusterforge.validate import RULES as VALIDATION

    descriptors = []
    for rule in sorted(VALIDATION.values(), key=lambda r: r.id):
        descriptors.append(
            _descriptor(
                rule.id,
                _name(rule.title),
                rule.title,
                rule.description or rule.title,
                "",
                rule.severity,
                "validation",
            )
        )
    for policy in POLICIES.values():
        short = policy.description.split(". ")[0].rstrip(".") + "."
        descriptors.append(
            _descriptor(
                policy.id,
                policy.title,
                short,
                policy.description,
                policy.remediation,
                policy.severity,
                "policy",
                policy.area,
            )
        )
    return descriptors


def _descriptor(
    rule_id: str,
    name: str,
    short: str,
    full: str,
    remediation: str,
    severity: Severity,
    kind: str,
    area: str = "",
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {"kind": kind, "tags": [t for t in (kind, area) if t]},
    }
    if remediation:
        descriptor["help"] = {"text": remediation}
    return descriptor


def _name(title: str) -> str:
    """A validation rule's title as a SARIF rule name (an identifier-like, human word)."""
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words[:8])


def render_sarif(report: Report, cwd: Path | None = None) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    rules = rule_descriptors()
    index = {d["id"]: i for i, d in enumerate(rules)}
    base = (cwd or Path.cwd()).resolve()
    artifact = _uri(report.stack_file, base)
    results = [_result(f, index, artifact, base) for f in report.findings]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "clusterforge",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "artifacts": [{"location": {"uri": artifact}}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _result(finding: Finding, index: dict[str, int], artifact: str, base: Path) -> dict[str, Any]:
    file, line = _split_location(finding.location)
    uri = _uri(file, base) if file else artifact
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line:
        physical["region"] = {"startLine": line}
    logical = [{"fullyQualifiedName": finding.path, "kind": "object"}]
    urn = finding.extra.get("urn")
    if urn:
        logical.append(
            {
                "fullyQualifiedName": urn,
                "name": str(finding.extra.get("resource", "")),
                "kind": "resource",
            }
        )
    text = finding.message + (f" Fix: {finding.hint}" if finding.hint else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical, "logicalLocations": logical}],
        "partialFingerprints": {"clusterforge/v1": f"{finding.rule}:{urn or finding.path}"},
        "properties": {"source": finding.source, "path": finding.path},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result


def _split_location(location: str | None) -> tuple[str | None, int | None]:
    """``file:line`` → (file, line); a bare file → (file, None)."""
    if not location:
        return None, None
    file, _, line = location.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return location, None


def _uri(file: str, base: Path) -> str:
    """A relative URI (forward slashes) when ``file`` is under ``base``, else a file:// URI."""
    if not file:
        return ""
    path = Path(file)
    resolved = path.resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_uri()
