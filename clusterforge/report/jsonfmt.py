"""JSON rendering: the plan contract, stable key order."""

from __future__ import annotations

import json

from clusterforge.report.model import Report, plan_document
from clusterforge.secrets import redact


def render_json(report: Report) -> str:
    # Values under secret keys and URL credentials masked wherever they sit in the document.
    document = redact(plan_document(report))
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
