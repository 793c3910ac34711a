"""The top GCP component: network, GPU fabric networks, GKE, node pools, storage, GKE objects."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from clusterforge.catalog import gcp_network
from clusterforge.catalog.addons import images
from clusterforge.catalog.gpudirect import network_object_prefixes
from clusterforge.catalog.resolve import ResolvedCluster
from clusterforge.modules.gcp.common import labels as gcp_labels
from clusterforge.modules.gcp.fabric import AttachedNetwork, GpuNetworks
from clusterforge.modules.gcp.gke import GkeArgs, GkeCluster
from clusterforge.modules.gcp.identity import NodeServiceAccount
from clusterforge.modules.gcp.k8s_objects import nccl_installer, network_objects
from clusterforge.modules.gcp.network import Network, NetworkArgs
from clusterforge.modules.gcp.nodepools import NodePool, NodePoolArgs
from clusterforge.modules.gcp.storage import PrivateServiceAccess, Storage, StorageArgs
from clusterforge.modules.kubernetes import KubernetesAddons

PSA_SERVICES = gcp_network.PSA_SERVICES


class GcpCluster(pulumi.ComponentResource):
    """A GKE AI cluster built from a resolved spec."""

    def __init__(
        self, name: str, resolved: ResolvedCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        spec = resolved.spec
        project = spec.project or ""
        region = spec.region or ""
        provider = gcp.Provider(f"{name}-gcp", project=project, region=region)
        super().__init__(
            "clusterforge:gcp:Cluster",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"gcp": provider})),
        )
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(spec.tags)
        catalog = resolved.catalog
        net_facts = gcp_network.facts(catalog)
        gke_facts = (catalog.extra.get("gke") if catalog else None) or {}
        lustre_facts = (catalog.storage.get("managed_lustre") if catalog else None) or {}
        legacy_lustre = gcp_network.lustre_legacy_port(spec.kubernetes.version, lustre_facts)
        # One plan for every GPU NIC subnet; validation (GKE005) checked the same plan.
        subnet_plan, _ = gcp_network.gpu_subnets(resolved.pools, spec.network.gpu_cidr, net_facts)
        self.network = Network(
            f"{name}-net",
            NetworkArgs(
                cluster_name=spec.name,
                project=project,
                region=region,
                cidr=spec.network.cidr,
                pods_cidr=spec.network.pods_cidr,
                services_cidr=spec.network.services_cidr,
                mtu=gcp_network.primary_mtu(resolved, net_facts),
                labels=tags,
            ),
            opts=child,
        )

        pool_networks: dict[str, list[AttachedNetwork]] = {}
        prefixes = network_object_prefixes(resolved.pools)
        for pool in gcp_network.pools_with_nic_networks(resolved.pools):
            if pool.name in subnet_plan and pool.zone and pool.offering is not None:
                nets = GpuNetworks(
                    f"{name}-{pool.name}-fabric",
                    cluster_name=spec.name,
                    pool_name=pool.name,
                    project=project,
                    region=region,
                    zone=pool.zone,
                    networks=subnet_plan[pool.name],
                    spec_path=f"{pool.path}.fabric",
                    # Google's names (vpc1.., rdma-0..) for the first pool of a fabric.
                    object_prefix=prefixes[pool.name],
                    opts=child,
                )
                pool_networks[pool.name] = nets.attached

        services = frozenset(s.service for s in resolved.storage if s.service)
        k8s_spec = spec.kubernetes
        self.gke = GkeCluster(
            f"{name}-gke",
            GkeArgs(
                cluster_name=spec.name,
                project=project,
                region=region,
                network=self.network.vpc.id,
                subnetwork=self.network.subnet.id,
                version=k8s_spec.version,
                release_channel=k8s_spec.release_channel,
                master_cidr=spec.network.master_cidr,
                public_endpoint=k8s_spec.endpoint_public_access,
                authorized_cidrs=list(k8s_spec.public_access_cidrs),
                multi_networking=bool(pool_networks),
                storage_services=services,
                secrets_encryption=k8s_spec.secrets_encryption,
                lustre_legacy_port=legacy_lustre,
                maintenance_exclusion_start=k8s_spec.maintenance_exclusion_start,
                labels=gcp_labels(tags, spec.name),
                gpu_metrics=any(
                    p.offering is not None and p.offering.is_nvidia for p in resolved.pools
                ),
            ),
            opts=child,
        )

        self.node_identity = NodeServiceAccount(
            f"{name}-nodes",
            cluster_name=spec.name,
            project=project,
            roles=list(gke_facts.get("node_service_account_roles", [])),
            opts=child,
        )
        self.pools: dict[str, NodePool] = {}
        for pool in resolved.pools:
            self.pools[pool.name] = NodePool(
                f"{name}-{pool.name}",
                NodePoolArgs(
                    cluster=self.gke.cluster.id,
                    cluster_name=spec.name,
                    project=project,
                    region=region,
                    pool=pool,
                    networks=pool_networks.get(pool.name, []),
                    labels=tags,
                    service_account=self.node_identity.email,
                    oauth_scopes=list(gke_facts.get("node_oauth_scopes", [])),
                    workload_policy_topology=gcp_network.workload_policy_topology(pool, catalog),
                ),
                opts=child,
            )

        kube: k8s.Provider | None = None
        if pool_networks:
            kube = k8s.Provider(
                f"{name}-k8s",
                kubeconfig=self.gke.kubeconfig,
                opts=pulumi.ResourceOptions(parent=self),
            )
            done_fabrics: set[str] = set()
            for pool in resolved.pools:
                nets = pool_networks.get(pool.name)
                if not nets:
                    continue
                network_objects(name, nets, kube, self.pools[pool.name])
                if pool.fabric not in done_fabrics:
                    done_fabrics.add(pool.fabric)
                    nccl_installer(name, pool.fabric, kube, self, [self.pools[pool.name]])

        psa = None
        if any(s.service in PSA_SERVICES for s in resolved.storage):
            psa = PrivateServiceAccess(
                f"{name}-psa",
                cluster_name=spec.name,
                project=project,
                network=self.network.vpc,
                cidr=spec.network.psa_cidr,
                opts=child,
            )
        self.storage: dict[str, Storage] = {}
        for storage in resolved.storage:
            if storage.service is None:
                continue
            self.storage[storage.name] = Storage(
                f"{name}-{storage.name}",
                StorageArgs(
                    cluster_name=spec.name,
                    project=project,
                    region=region,
                    network=self.network.vpc,
                    psa_cidr=spec.network.psa_cidr,
                    storage=storage,
                    lustre_legacy_port=legacy_lustre,
                    lustre_ports=gcp_network.lustre_ports(lustre_facts),
                    private_service_access=psa if storage.service in PSA_SERVICES else None,
                    labels=tags,
                    namespaces=list(spec.namespaces) or ["default"],
                ),
                opts=child,
            )
        self.addon_names = [a.name for a in resolved.addons]
        if resolved.addons or self.storage:
            addons_provider = kube or k8s.Provider(
                f"{name}-k8s",
                kubeconfig=self.gke.kubeconfig,
                opts=pulumi.ResourceOptions(parent=self),
            )
            KubernetesAddons(
                f"{name}-addons",
                resolved,
                addons_provider,
                volumes={n: s.volume_source for n, s in self.storage.items() if s.volume_source},
                images=images(),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.pools.values())),
            )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, Any]:
        return {
            "clusterName": self.gke.cluster.name,
            "endpoint": self.gke.cluster.endpoint,
            "kubeconfig": self.gke.kubeconfig,
            "network": self.network.vpc.name,
            "nodePools": {n: [np.name for np in p.node_pools] for n, p in self.pools.items()},
            "storage": {n: s.resource.id for n, s in self.storage.items()},
            "addons": self.addon_names,
            "volumes": {n: s.volume_source for n, s in self.storage.items() if s.volume_source},
        }
