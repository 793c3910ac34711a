"""Google Cloud's hooks, named by its profile (``clouds.json`` ``"hooks"``): what verify, cost
and the CI pipelines need to say about a GCP stack that is not data.

Each hook takes plain values (a resolved cluster, a region) and the few helpers its caller hands
it, so this module imports only the catalog layer and the cloud profiles (its lowest caller, cost,
is a level above the catalog); the GKE cluster's name is the catalog's rule the GKE component
creates it with (catalog/gcp_names.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clusterforge.catalog.gcp_names import gke_cluster_name
from clusterforge.catalog.prices import CostItem, storage_item
from clusterforge.clouds import region_of

if TYPE_CHECKING:
    from clusterforge.catalog import CloudCatalog
    from clusterforge.catalog.resolve import ResolvedCluster

#: Storage service → its label in the cost table and its price table in the catalog's services.
STORAGE_PRICES = {
    "managed-lustre": ("Managed Lustre", "managed_lustre_usd_per_gib_month"),
    "filestore": ("Filestore", "filestore_usd_per_gib_month"),
    "parallelstore": ("Parallelstore", "parallelstore_usd_per_gib_month"),
}


def credentials_command(resolved: ResolvedCluster) -> str | None:
    """The ``gcloud`` command that writes the stack's GKE cluster into ~/.kube/config, with the
    name the GKE component gives the cluster."""
    spec = resolved.spec
    command = (
        f"gcloud container clusters get-credentials {gke_cluster_name(spec.name)} "
        f"--region {region_of(spec.cloud, spec.region)}"
    )
    return command + (f" --project {spec.project}" if spec.project else "")


def service_costs(
    resolved: ResolvedCluster, catalog: CloudCatalog, today: dt.date | None
) -> list[CostItem]:
    """The GKE cluster management fee and each Managed Lustre, Filestore and Parallelstore
    instance, at the catalog's prices (``today`` is unused: GKE has one fee)."""
    region = resolved.spec.region
    services: dict[str, Any] = catalog.services
    items: list[CostItem] = []
    fee = services.get("gke_cluster_management_usd_per_hour")
    if fee is not None:
        items.append(
            CostItem("GKE cluster management fee", "control-plane", 1, "cluster-hour", fee, fee)
        )
    for storage in resolved.storage:
        if storage.service not in STORAGE_PRICES or storage.spec.capacity_gib is None:
            continue
        label, table = STORAGE_PRICES[storage.service]
        key = str(
            storage.throughput_mbps_per_tib
            if storage.service == "managed-lustre"
            else storage.tier or ""
        )
        price = services.get(table, {}).get(region or "", {}).get(key)
        items.append(
            storage_item(f"{label} {storage.name}", storage.spec.capacity_gib, key, price, region)
        )
    return items


def github_login(
    region: str, step: Callable[..., dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The GitHub job condition that says Google Cloud credentials are configured, and the
    Workload Identity Federation login step (``step(action, name, **with)``: a pinned action)."""
    return "vars.GCP_WORKLOAD_IDENTITY_PROVIDER != ''", [
        step("google-github-actions/auth", "Google Cloud credentials (OIDC)",
             workload_identity_provider="${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
             service_account="${{ vars.GCP_SERVICE_ACCOUNT }}"),
    ]  # fmt: skip


def gitlab_login() -> tuple[str, list[str], dict[str, Any]]:
    """The GitLab rule variable that says Google Cloud credentials are configured, the script
    lines that turn the job's OIDC token into an external-account credentials file for the
    Google SDKs, and the ``id_tokens`` it needs."""
    login = [
        'printf "%s" "$GCP_ID_TOKEN" > "$CI_PROJECT_DIR/.gcp-id-token"',
        "python -c 'import json,os; print(json.dumps({\"type\": \"external_account\", "
        "\"audience\": \"//iam.googleapis.com/\" + os.environ[\"GCP_WORKLOAD_IDENTITY_PROVIDER\"], "
        "\"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", "
        "\"token_url\": \"https://sts.googleapis.com/v1/token\", "
        "\"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/\" "
        "+ os.environ[\"GCP_SERVICE_ACCOUNT\"] + \":generateAccessToken\", "
        "\"credential_source\": {\"file\": os.environ[\"CI_PROJECT_DIR\"] + \"/.gcp-id-token\"}}))' "
        '> "$CI_PROJECT_DIR/.gcp-credentials.json"',
        'export GOOGLE_APPLICATION_CREDENTIALS="$CI_PROJECT_DIR/.gcp-credentials.json"',
    ]  # fmt: skip
    id_tokens = {
        "GCP_ID_TOKEN": {"aud": "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER"}
    }
    return "$GCP_WORKLOAD_IDENTITY_PROVIDER", login, id_tokens
