"""Print the GKE facts clusterforge's GCP catalog takes from Cluster Toolkit and xpk snapshots.

Run by a developer (not CI) against bare git mirrors of the two repositories, then compare with
``clusterforge/catalog/data/gcp/services.json`` (``network``, ``gke``) and ``tpus.json``
(``tpu7x``)::

    python tools/gcp_upstream_facts.py \\
        --cluster-toolkit /path/to/cluster-toolkit.git --xpk /path/to/xpk.git

Facts printed: the MTU each GKE / VM blueprint sets on its networks, the multivpc subnet suffix,
the DRANET minimum GKE version and machine prefixes, the node service account roles of the GKE
blueprints, the A4X workload policy topology, and xpk's TPU system characteristics (v4, v5p,
v5e, v6e, TPU7x) with the topologies xpk accepts that clusterforge refuses.
"""

from __future__ import annotations

import argparse
import re

from mirror_git import git

BLUEPRINTS = [
    "examples/gke-a3-highgpu/gke-a3-highgpu.yaml",
    "examples/gke-a3-megagpu/gke-a3-megagpu.yaml",
    "examples/gke-a4/gke-a4.yaml",
    "examples/gke-a4x/gke-a4x.yaml",
    "examples/gke-g4/gke-g4.yaml",
    "examples/machine-learning/a4x-highgpu-4g/a4x-vm.yaml",
]
PREFIX = re.compile(r'startswith\(var\.machine_type, "([^"]+)"\)')


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


#: xpk prefix -> clusterforge TPU generation (tpus.json)
XPK_TPUS = {
    "v4": "tpu-v4",
    "v5p": "tpu-v5p",
    "v5litepod": "tpu-v5e",
    "v6e": "tpu-v6e",
    "tpu7x": "tpu7x",
}
FIELDS = re.compile(
    r"(machine_type|gke_accelerator|tensorcores_per_chip|max_cubes|enforce_nondecreasing)"
    r"=['\"]?([\w.-]+)"
)


def xpk_topologies(block: str, text: str) -> list[str] | None:
    """The topologies one xpk system-characteristics block supports (None when not literal)."""
    literal = re.search(r"supported_topologies=(\[[^\]]*\])(\s*\+\s*(\w+))?", block)
    if literal:
        shapes = re.findall(r"'([0-9x]+)'", literal.group(1))
        if literal.group(3):
            named = re.search(rf"^{literal.group(3)} = (\[[^\]]*\])", text, re.M)
            shapes += re.findall(r"'([0-9x]+)'", named.group(1)) if named else []
        return shapes
    generated = re.search(r"generate_tpu_topologies\(\s*max_cubes=(\d+)(.*?)\)", block, re.S)
    if not generated:
        return None
    cubes, ordered = (
        int(generated.group(1)),
        "enforce_nondecreasing=False" not in generated.group(2),
    )
    shapes = ["2x2x1", "2x2x2", "2x2x4", "2x4x4"]
    for x in range(4, 257, 4):
        for y in range(x if ordered else 4, 257, 4):
            for z in range(y if ordered else 4, 257, 4):
                if (x // 4) * (y // 4) * (z // 4) <= cubes:
                    shapes.append(f"{x}x{y}x{z}")
    return shapes


def xpk(git_dir: str, ref: str) -> None:
    """xpk's TPU system characteristics, and where its topologies and clusterforge's differ."""
    from clusterforge.catalog import load

    tpus = load("gcp").tpus
    print(f"xpk {ref} @ {git(git_dir, 'log', '-1', '--format=%H %cs', ref).strip()}")
    text = git(git_dir, "show", f"{ref}:src/xpk/core/system_characteristics.py")
    pattern = r"get_tpu_system_characteristics_map\(\s*prefix='([\w]+)',(.*?)\n    \),"
    for match in re.finditer(pattern, text, re.S):
        prefix, block = match.group(1), match.group(2)
        if prefix not in XPK_TPUS:
            continue
        fields = dict(FIELDS.findall(block))
        shapes = xpk_topologies(block, text) or []
        generation = tpus.get(XPK_TPUS[prefix])
        if generation is None:
            print(f"  {prefix}: {fields} (no clusterforge generation)")
            continue
        only_xpk = [t for t in shapes if not generation.is_valid(t)]
        print(
            f"  {prefix} {fields}: {len(shapes)} topologies; not valid in clusterforge: "
            f"{len(only_xpk)} {only_xpk[:6]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="GKE facts from Cluster Toolkit and xpk")
    parser.add_argument("--cluster-toolkit", required=True, help="bare git dir of cluster-toolkit")
    parser.add_argument("--xpk", required=True, help="bare git dir of AI-Hypercomputer/xpk")
    parser.add_argument("--xpk-ref", default="HEAD", help="xpk tag or commit (e.g. v1.13.1)")
    args = parser.parse_args()
    cluster_toolkit(args.cluster_toolkit)
    xpk(args.xpk, args.xpk_ref)


if __name__ == "__main__":
    main()
