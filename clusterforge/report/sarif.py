"""SARIF 2.1.0 rendering: findings as code-scanning results (GitHub, GitLab, IDE viewers).

``tool.driver.rules`` lists every rule clusterforge has — the validation rules and the policies
(they share the :class:`~clusterforge.findings.Finding` type) — with its description, remediation
(``help``) and default level. Each result uses the rule id as ``ruleId`` and points at the stack
file line of the element it is about (``physicalLocation``), relative to the current directory
when the file is under it, plus logical locations for the spec path and the resource URN.
"""

from __future__ import annotations

import hashlib
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
    """Every validation rule and policy as a SARIF ``reportingDescriptor`` (from the one rule
    catalogue, :mod:`clusterforge.report.rules`), with what GitHub code scanning reads: name,
    short and full description, help (text and Markdown), helpUri, default level, and
    ``properties.tags`` / ``properties.security-severity``."""
    from clusterforge.report.rules import rule_docs

    descriptors = []
    for doc in rule_docs():
        short = doc.description.split(". ")[0].rstrip(".") + "."
        descriptors.append(
            {
                "id": doc.id,
                "name": doc.name,
                "shortDescription": {"text": short},
                "fullDescription": {"text": doc.description},
                "help": {
                    "text": doc.help,
                    "markdown": f"{doc.help}\n\n[{doc.id} in the rule reference]({doc.help_uri()})",
                },
                "helpUri": doc.help_uri(),
                "defaultConfiguration": {"level": LEVEL[doc.severity]},
                "properties": {
                    "kind": doc.kind,
                    "tags": doc.tags,
                    "security-severity": doc.security_severity,
                    "precision": "high",
                },
            }
        )
    return descriptors


def render_sarif(report: Report, cwd: Path | None = None) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    rules = rule_descriptors()
    index = {d["id"]: i for i, d in enumerate(rules)}
    base = (cwd or Path.cwd()).resolve()
    artifact = _uri(report.stack_file, base)
    results = [_result(f, index, artifact, base) for f in report.findings]
    _unique_fingerprints(results)
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
    # Code scanning needs a region: the spec element's line, else the file's first line.
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": uri},
        "region": {"startLine": line or 1},
    }
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
        "partialFingerprints": {"clusterforge/v2": _fingerprint(finding)},
        "properties": {"source": finding.source, "path": finding.path},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result


def _fingerprint(finding: Finding) -> str:
    """Stable across Pulumi stack names (dev, prod): rule, spec path and the resource's URN
    without its stack segment, hashed."""
    urn = str(finding.extra.get("urn") or "")
    if urn.startswith("urn:pulumi:"):
        urn = "::".join(urn.split("::")[1:])  # drop "urn:pulumi:<stack>"
    key = "|".join((finding.rule, finding.path, urn))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _unique_fingerprints(results: list[dict[str, Any]]) -> None:
    """Two results with one key (one rule on one path, no resource) get ``:2``, ``:3``..."""
    seen: dict[str, int] = {}
    for result in results:
        key = result["partialFingerprints"]["clusterforge/v2"]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            result["partialFingerprints"]["clusterforge/v2"] = f"{key}:{seen[key]}"


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
