"""Kubernetes objects GKE multi-networking needs, through the Kubernetes provider:

* a ``GKENetworkParamSet`` + ``Network`` pair (networking.gke.io/v1) for every extra network of a
  GPU pool, so pods can request the GPU NICs;
* the NCCL plugin installer DaemonSet for the pool's fabric (TCPX, TCPXO or RDMA) — and for TCPXO
  the NRI device injector its pods' device annotations need — applied from Google's manifests
  pinned to a commit (catalog services.json: ``nccl_installers``).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from clusterforge.modules.gcp.fabric import AttachedNetwork

API_GROUP = "networking.gke.io"


def network_objects(
    name: str, networks: list[AttachedNetwork], provider: k8s.Provider, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    for attached in networks:
        params = k8s.apiextensions.CustomResource(
            f"{name}-{attached.object_name}-params",
            api_version=f"{API_GROUP}/v1",
            kind="GKENetworkParamSet",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=attached.object_name),
            spec={
                "vpc": attached.network.name,
                "vpcSubnet": attached.subnetwork.name,
                "deviceMode": attached.device_mode,
            },
            opts=opts,
        )
        network = k8s.apiextensions.CustomResource(
            f"{name}-{attached.object_name}-network",
            api_version=f"{API_GROUP}/v1",
            kind="Network",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=attached.object_name),
            spec={
                "type": "Device",
                "parametersRef": {
                    "group": API_GROUP,
                    "kind": "GKENetworkParamSet",
                    "name": attached.object_name,
                },
            },
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[params]),
        )
        created += [params, network]
    return created


def nccl_installer(
    name: str,
    fabric: str,
    installers: dict[str, list[dict[str, str]]],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> list[pulumi.Resource]:
    """The manifests a fabric needs, in order (TCPXO: the NRI device injector, then the NCCL
    plugin installer); none for fabrics without them."""
    created: list[pulumi.Resource] = []
    for manifest in installers.get(fabric, []):
        created.append(
            k8s.yaml.v2.ConfigFile(
                f"{name}-{manifest['name']}",
                file=manifest["url"],
                opts=pulumi.ResourceOptions(
                    parent=parent, provider=provider, depends_on=[*depends_on, *created]
                ),
            )
        )
    return created
