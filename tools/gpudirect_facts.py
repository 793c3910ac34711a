"""Extract GKE GPUDirect installer sets from a container-engine-accelerators snapshot (run by a
developer).

For each fabric (TCPX for A3 High, TCPXO for A3 Mega, RDMA/gIB for A3 Ultra and A4) this reads, at
ONE commit of GoogleCloudPlatform/container-engine-accelerators (so the set is matched):

* the manifests clusterforge applies (the NRI device injector where the fabric's pods use
  ``devices.gke.io`` annotations, and the NCCL plugin installer DaemonSet) and their images;
* from Google's NCCL test manifest for the fabric: the rxdm sidecar image, the plugin image, the
  pod annotations, the GKE network names a pod lists, and the GPU resource it requests.

It writes ``clusterforge/catalog/data/common/gpudirect.json``. Usage:
``python tools/gpudirect_facts.py [--mirror /work/.mirror] [--commit SHA]`` (default: the
snapshot's HEAD, which must be on the master branch's history).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

import mirror_git
import yaml
from mirror_git import git_dir

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "clusterforge" / "catalog" / "data" / "common" / "gpudirect.json"
REPO = "GoogleCloudPlatform/container-engine-accelerators"
RAW = "https://raw.githubusercontent.com/" + REPO + "/{commit}/{path}"

FABRICS: dict[str, dict[str, Any]] = {
    "gpudirect-tcpx": {
        "machine_types": ["a3-highgpu-8g"],
        "manifests": [
            ("nri-device-injector", "nri_device_injector/nri-device-injector.yaml"),
            ("nccl-tcpx-installer", "gpudirect-tcpx/nccl-tcpx-installer.yaml"),
        ],
        "test": "gpudirect-tcpx/nccl-test-latest.yaml",
        "rxdm_container": "tcpx-daemon",
    },
    "gpudirect-tcpxo": {
        "machine_types": ["a3-megagpu-8g"],
        "manifests": [
            ("nri-device-injector", "nri_device_injector/nri-device-injector.yaml"),
            ("nccl-tcpxo-installer", "gpudirect-tcpxo/nccl-tcpxo-installer.yaml"),
        ],
        "test": "gpudirect-tcpxo/nccl-test-latest.yaml",
        "rxdm_container": "tcpxo-daemon",
    },
    "rdma": {
        "machine_types": ["a3-ultragpu-8g", "a4-highgpu-8g"],
        "manifests": [("nccl-rdma-installer", "gpudirect-rdma/nccl-rdma-installer.yaml")],
        "test": "gpudirect-rdma/nccl-test.yaml",
        "rxdm_container": None,
    },
}


def images(doc: dict[str, Any]) -> list[str]:
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec", spec)
    return [
        c["image"]
        for key in ("initContainers", "containers")
        for c in pod.get(key) or []
        if "image" in c
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--commit", default="HEAD")
    args = parser.parse_args(argv)
    directory = git_dir(args.mirror, REPO)

    def git(*cmd: str) -> str:
        return mirror_git.git(directory, *cmd)

    commit = git("rev-parse", f"{args.commit}^{{commit}}").strip()
    date = git("log", "-1", "--format=%cs", commit).strip()
    result: dict[str, Any] = {
        "source": f"{REPO} at one commit (a matched set per fabric), read by tools/gpudirect_facts.py",
        "repo": REPO,
        "commit": commit,
        "commit_date": date,
        "checked": datetime.date.today().isoformat(),
        "fabrics": {},
    }
    for fabric, want in FABRICS.items():
        manifests = []
        for name, path in want["manifests"]:
            docs = [d for d in yaml.safe_load_all(git("show", f"{commit}:{path}")) if d]
            found = [i for d in docs for i in images(d)]
            if any(i.endswith(":latest") or ":" not in i.rsplit("/", 1)[-1] for i in found):
                print(f"  note: {path} has an unpinned image: {found}")
            manifests.append(
                {
                    "name": name,
                    "path": path,
                    "url": RAW.format(commit=commit, path=path),
                    "images": found,
                }
            )
        pods = [d for d in yaml.safe_load_all(git("show", f"{commit}:{want['test']}")) if d]
        pod = next(d for d in pods if d.get("kind") == "Pod")
        meta = pod["metadata"].get("annotations", {})
        containers = {c["name"]: c for c in pod["spec"]["containers"]}
        interfaces = json.loads(
            meta["networking.gke.io/interfaces"]
            .replace(",\n]", "\n]")
            .replace(",\n      ]", "\n      ]")
        )
        rxdm = containers.get(want["rxdm_container"] or "", {}).get("image")
        # the NCCL test container: the one that requests the GPUs
        nccl_test = next(
            c["image"]
            for c in containers.values()
            if "nvidia.com/gpu" in (c.get("resources", {}).get("limits") or {})
        )
        result["fabrics"][fabric] = {
            "machine_types": want["machine_types"],
            "manifests": manifests,
            "rxdm_image": rxdm,
            "nccl_test_image": nccl_test,
            "pod": {
                "source": f"{want['test']} @ {commit[:8]}",
                "annotations": sorted(meta),
                "networks": [i["network"] for i in interfaces if i["network"] != "default"],
                "images": sorted({c["image"] for c in containers.values()}),
            },
        }
        print(f"{fabric}: {[m['name'] for m in manifests]} rxdm={rxdm}")
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} at {commit} ({date})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
