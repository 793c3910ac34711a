"""Fields one cloud uses, set on another (rules/portability.py)."""

from __future__ import annotations

import pytest

from clusterforge.findings import Severity

from tests.validate.gcp_support import gcp
from tests.validate.support import Case, bad, check, good

WARNING = Severity.WARNING

CASES = [
    good("CLOUD002", "aws-baseline", {}),
    good("CLOUD002", "gcp-baseline", gcp()),
    bad(
        "CLOUD002",
        "s3-import-on-gcp",
        gcp({"storage": {0: {"import_path": "s3://bucket/data"}}}),
        WARNING,
        "storage[0].import_path",
        "has no effect on gcp",
        "only aws",
    ),  # fmt: skip
    bad(
        "CLOUD002",
        "release-channel-on-aws",
        {"kubernetes": {"release_channel": "RAPID"}},
        WARNING,
        "kubernetes.release_channel",
        "only gcp",
    ),
    bad(
        "CLOUD002",
        "admins-on-gcp",
        gcp({"kubernetes": {"admins": ["arn:aws:iam::1:role/a"]}}),
        WARNING,
        "kubernetes.admins",
        "only aws",
    ),
    bad(
        "CLOUD002",
        "selector-on-aws",
        {"node_pools": {1: {"node_selector": {"a": "b"}}}},
        WARNING,
        "node_pools[1].node_selector",
        "only kubernetes",
    ),
    bad(
        "CLOUD002",
        "queued-on-aws",
        {"node_pools": {1: {"capacity": {"queued_provisioning": True}}}},
        WARNING,
        "node_pools[1].capacity.queued_provisioning",
        "only gcp",
    ),  # fmt: skip
]


@pytest.mark.parametrize("case", CASES)
def test_portability_rule(case: Case) -> None:
    check(case)
