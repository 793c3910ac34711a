"""Shared helpers of the AWS components: tags, IAM trust policies, managed policy ARNs."""

from __future__ import annotations

import json

#: Tag every resource carries so a cluster's resources can be found and costed.
CLUSTER_TAG = "clusterforge.io/cluster"


def tags(base: dict[str, str], cluster: str, **extra: str) -> dict[str, str]:
    merged = {CLUSTER_TAG: cluster, **base}
    merged.update(extra)
    return merged


def assume_role_policy(*services: str) -> str:
    """Trust policy letting AWS services assume a role (pods.eks.amazonaws.com also needs TagSession)."""
    actions = ["sts:AssumeRole"] + (
        ["sts:TagSession"] if "pods.eks.amazonaws.com" in services else []
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
                    "Action": actions,
                }
            ],
        }
    )


def managed_policy(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"
