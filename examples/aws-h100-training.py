"""H100 training cluster on EKS: a CPU system pool, 4 x p5.48xlarge with all 32 EFA interfaces in
one zone and a cluster placement group, a 4.8 TiB FSx for Lustre scratch linked to S3, and a
training set of add-ons (Kueue with the real GPU quota, Kubeflow Trainer, GPU monitoring); the EFA
device plugin, the NVIDIA device plugin and the FSx CSI driver are added because the pools and
the file system need them.

    clusterforge plan examples/aws-h100-training.py
"""

from clusterforge import (
    Addon,
    Capacity,
    Cluster,
    KubernetesConfig,
    NetworkConfig,
    NodePool,
    Storage,
)

cluster = Cluster(
    name="llm-train",
    cloud="aws",
    region="us-east-1",
    zone="us-east-1a",
    kubernetes=KubernetesConfig(
        version="1.35", admins=["arn:aws:iam::111122223333:role/platform-admin"]
    ),
    # p5's card 0 carries an efa-only interface, leaving the VPC CNI one card-0 interface: /28
    # prefixes give its pods the addresses for the 250 max pods EKS then admits (AWS010,
    # docs/aws-ip-space.md).
    network=NetworkConfig(vpc_cni={"prefix_delegation": True}),
    tags={"team": "research", "cost-center": "ml-42"},
    node_pools=[
        NodePool(name="system", instance_type="m7i.2xlarge", nodes=2),
        NodePool(
            name="h100",
            accelerator="H100",
            accelerators_per_node=8,
            nodes=4,
            fabric="auto",
            capacity=Capacity(type="on_demand"),
            labels={"workload": "training"},
        ),
    ],
    storage=[
        Storage(
            name="scratch",
            type="lustre",
            capacity_gib=4800,
            throughput_mbps_per_tib=500,
            mount_path="/scratch",
            import_path="s3://my-training-data/datasets",
        )
    ],
    namespaces=["research"],
    addons=[
        Addon(name="kueue"),
        Addon(name="kubeflow-trainer"),
        Addon(name="kube-prometheus-stack"),
        Addon(name="dcgm-exporter"),
    ],
)
