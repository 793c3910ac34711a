"""Print the GKE facts clusterforge's GCP catalog takes from Cluster Toolkit and xpk snapshots.

Run by a developer (not CI) against bare git mirrors of the two repositories, then compare with
``clusterforge/catalog/data/gcp/services.json`` (``network``, ``gke``) and ``tpus.json``
(``tpu7x``)::

    python tools/gcp_upstream_facts.py \\
        --cluster-toolkit /path/to/cluster-toolkit.git --xpk /path/to/xpk.git

Facts printed: the MTU each GKE / VM blueprint sets on its networks, the multivpc subnet suffix,
the DRANET minimum GKE version and machine prefixes, the node service account roles of the GKE
blueprints, the A4X workload policy topology, and xpk's TPU7x system characteristics.
"""

from __future__ import annotations

import argparse
import re
import subprocess

BLUEPRINTS = [
    "examples/gke-a3-highgpu/gke-a3-highgpu.yaml",
    "examples/gke-a3-megagpu/gke-a3-megagpu.yaml",
    "examples/gke-a4/gke-a4.yaml",
    "examples/gke-a4x/gke-a4x.yaml",
    "examples/gke-g4/gke-g4.yaml",
    "examples/machine-learning/a4x-highgpu-4g/a4x-vm.yaml",
]
PREFIX = re.compile(r'startswith\(var\.machine_type, "([^"]+)"\)')


def git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
    ).stdout


def cluster_toolkit(git_dir: str) -> None:
    print(f"cluster-toolkit @ {git(git_dir, 'log', '-1', '--format=%H %cs').strip()}")
    for path in BLUEPRINTS:
        text = git(git_dir, "show", f"HEAD:{path}")
        mtus = re.findall(r"^\s*mtu:\s*(\d+)", text, re.M)
        suffix = re.findall(r"subnetwork_cidr_suffix:\s*(\d+)", text)
        roles = sorted(set(re.findall(r"^\s*-\s*([a-z]+\.[A-Za-z.]+)$", text, re.M)))
        topology = re.findall(r"accelerator_topology:\s*\"?([0-9x]+)", text)
        print(f"  {path}:")
        print(f"    mtu={mtus or 'module default'} subnet_suffix={suffix} topology={topology}")
        print(f"    service account roles={roles}")
    vpc = git(git_dir, "show", "HEAD:modules/network/vpc/variables.tf")
    default = re.search(r'variable "mtu".*?default\s*=\s*(\d+)', vpc, re.S)
    print(f"  modules/network/vpc default mtu: {default.group(1) if default else '?'}")
    direct = git(git_dir, "show", "HEAD:modules/compute/gke-node-pool/gpu_direct.tf")
    dranet = re.search(r'dranet_min_version\s*=\s*"([^"]+)"', direct)
    print(f"  DRANET minimum GKE version: {dranet.group(1) if dranet else '?'}")
    main = git(git_dir, "show", "HEAD:modules/compute/gke-node-pool/main.tf")
    print(f"  DRANET machine prefixes: {PREFIX.findall(main)}")


def xpk(git_dir: str) -> None:
    print(f"xpk @ {git(git_dir, 'log', '-1', '--format=%H %cs').strip()}")
    text = git(git_dir, "show", "HEAD:src/xpk/core/system_characteristics.py")
    for match in re.finditer(r"prefix='tpu7x',(.*?)\n    \),", text, re.S):
        block = match.group(1)
        fields = dict(
            re.findall(
                r"(machine_type|gke_accelerator|tensorcores_per_chip|max_cubes)=['\"]?([\w.-]+)",
                block,
            )
        )
        print(f"  tpu7x: {fields}")


def main() -> None:
    parser = argparse.ArgumentParser(description="GKE facts from Cluster Toolkit and xpk")
    parser.add_argument("--cluster-toolkit", required=True, help="bare git dir of cluster-toolkit")
    parser.add_argument("--xpk", required=True, help="bare git dir of AI-Hypercomputer/xpk")
    args = parser.parse_args()
    cluster_toolkit(args.cluster_toolkit)
    xpk(args.xpk)


if __name__ == "__main__":
    main()
