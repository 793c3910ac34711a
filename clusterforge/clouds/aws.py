"""AWS's hooks, named by its profile (``clouds.json`` ``"hooks"``): what verify, cost and the CI
pipelines need to say about an AWS stack that is not data.

Each hook takes plain values (a resolved cluster, its catalog, a region) and the few helpers its
caller hands it, so this module imports only the catalog layer and the cloud profiles (its lowest
caller, cost, is a level above the catalog).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clusterforge.catalog.ipspace import vpc_zones
from clusterforge.catalog.prices import CostItem, storage_item
from clusterforge.clouds import region_of

if TYPE_CHECKING:
    from clusterforge.catalog import CloudCatalog
    from clusterforge.catalog.resolve import ResolvedCluster


def credentials_command(resolved: ResolvedCluster) -> str | None:
    """The ``aws`` command that writes the stack's EKS cluster into ~/.kube/config (the cluster
    has the stack's name, modules/aws/eks.py)."""
    spec = resolved.spec
    region = region_of(spec.cloud, spec.region)
    return f"aws eks update-kubeconfig --name {spec.name} --region {region}"


def service_costs(
    resolved: ResolvedCluster, catalog: CloudCatalog, today: dt.date | None
) -> list[CostItem]:
    """The EKS control plane (standard or extended-support rate by the version's end of standard
    support), the NAT gateways and each FSx for Lustre file system, at the catalog's prices."""
    spec = resolved.spec
    region = spec.region
    services: dict[str, Any] = catalog.services
    items: list[CostItem] = []
    control_plane = services.get("eks_control_plane_usd_per_hour", {})
    if control_plane:
        version = catalog.kubernetes_version(spec.kubernetes.version)
        now = today or dt.date.today()
        extended = bool(
            version
            and version.end_of_standard_support
            and dt.date.fromisoformat(version.end_of_standard_support) <= now
        )
        rate = control_plane["extended" if extended else "standard"]
        items.append(
            CostItem(
                "EKS control plane",
                "control-plane",
                1,
                "cluster-hour",
                rate,
                rate,
                "extended support rate" if extended else "",
            )
        )
    nat_rate = services.get("nat_gateway_usd_per_hour", {}).get(region or "")
    # One per zone the network builds (the network component's own choice of zones).
    count = len(vpc_zones(resolved)) if spec.network.nat == "per_zone" else 1
    items.append(
        CostItem(
            "NAT gateway",
            "network",
            count,
            "gateway-hour",
            nat_rate,
            nat_rate * count if nat_rate is not None else None,
            "data processing per GB not included"
            if nat_rate is not None
            else f"no NAT price for {region} in the catalog",
        )
    )
    fsx_prices = services.get("fsx_lustre_usd_per_gib_month", {}).get(region or "", {})
    for storage in resolved.storage:
        if storage.deployment_type is None or storage.spec.capacity_gib is None:
            continue
        key = storage.deployment_type
        if storage.deployment_type.startswith("PERSISTENT"):
            key = f"{storage.deployment_type}_{storage.throughput_mbps_per_tib}"
        items.append(
            storage_item(
                f"FSx for Lustre {storage.name}",
                storage.spec.capacity_gib,
                key,
                fsx_prices.get(key),
                region,
            )
        )
    return items


def github_login(
    region: str, step: Callable[..., dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The GitHub job condition that says AWS credentials are configured, and the OIDC login
    step into the stack's ``region`` (``step(action, name, **with)`` builds a pinned action
    step)."""
    return "vars.AWS_ROLE_ARN != ''", [
        step("aws-actions/configure-aws-credentials", "AWS credentials (OIDC)",
             **{"role-to-assume": "${{ vars.AWS_ROLE_ARN }}",
                "aws-region": region}),
    ]  # fmt: skip


def gitlab_login() -> tuple[str, list[str], dict[str, Any]]:
    """The GitLab rule variable that says AWS credentials are configured, the script lines that
    hand the job's OIDC token to the AWS SDKs (web identity) and the ``id_tokens`` it needs."""
    login = ['printf "%s" "$AWS_ID_TOKEN" > "$CI_PROJECT_DIR/.aws-web-identity-token"',
             'export AWS_WEB_IDENTITY_TOKEN_FILE="$CI_PROJECT_DIR/.aws-web-identity-token"']  # fmt: skip
    return "$AWS_ROLE_ARN", login, {"AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
