"""Kubernetes objects GKE multi-networking needs, through the Kubernetes provider:

* a ``GKENetworkParamSet`` + ``Network`` pair (networking.gke.io/v1) for every extra network of a
  GPU pool, so pods can request the GPU NICs;
* the GPUDirect installer set of the pool's fabric, applied from Google's manifests at one
  commit of container-engine-accelerators (catalog ``gpudirect.json``): for TCPX and TCPXO the NRI
  device injector (their pods' ``devices.gke.io`` annotations need it), then the NCCL plugin
  installer; for RDMA the gIB NCCL plugin installer.

Network object names are Google's (``vpc1..``, ``rdma-0..``, ``gvnic-1``:
``catalog.gpudirect.network_object_name``), so pods copied from Google's recipes start.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from clusterforge.catalog.gpudirect import gpudirect_set
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
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> list[pulumi.Resource]:
    """The fabric's installer manifests, in order; none for fabrics without a set."""
    found = gpudirect_set(fabric)
    created: list[pulumi.Resource] = []
    for manifest_name, url in found.manifests if found else ():
        created.append(
            k8s.yaml.v2.ConfigFile(
                f"{name}-{manifest_name}",
                file=url,
                opts=pulumi.ResourceOptions(
                    parent=parent, provider=provider, depends_on=[*depends_on, *created]
                ),
            )
        )
    return created
