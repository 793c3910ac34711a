"""clusterforge's policy pack: CrossGuard rules for AI clusters, runnable by Pulumi and offline.

* ``registry`` — every rule with its stable id (``CF-<AREA>-<NNN>``), enforcement level,
  description, remediation and config schema; the rules are ``pulumi_policy`` objects.
* ``rules/`` — the rules by domain: fabric (AWS, GKE), data safety, security (AWS, GKE),
  cost and governance, Kubernetes objects.
* ``pack_config`` — the ``--policy-pack-config`` file (levels and settings), checked against
  the rules' config schemas.
* ``offline`` — runs the same policy objects over a planned graph through ``pulumi_policy``'s own
  argument classes, for ``clusterforge check`` and ``clusterforge plan``.
* ``__main__`` — builds the ``PolicyPack`` for ``pulumi preview --policy-pack policies``.

This folder is the repository's ``policies/`` and ships as ``clusterforge.policies``.
"""

from __future__ import annotations

from pulumi_policy import Policy

from clusterforge.policies import rules as _rules  # noqa: F401 - registers the rules
from clusterforge.policies.registry import RULES, PolicyRule

PACK_NAME = "clusterforge-ai-cluster"
PACK_DESCRIPTION = (
    "clusterforge: fabric, data safety, security, cost and Kubernetes policies for AI clusters"
)

__all__ = ["PACK_DESCRIPTION", "PACK_NAME", "RULES", "PolicyRule", "pulumi_policies"]


def pulumi_policies() -> list[Policy]:
    """The ``pulumi_policy`` objects of every rule, for ``PolicyPack(policies=...)``."""
    return [rule.policy for rule in RULES.values()]
