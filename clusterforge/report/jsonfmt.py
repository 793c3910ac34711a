"""JSON rendering: the plan contract, stable key order."""

from __future__ import annotations

import json

from clusterforge.report.model import Report, plan_document


def render_json(report: Report) -> str:
    return json.dumps(plan_document(report), indent=2, sort_keys=False, default=str) + "\n"
