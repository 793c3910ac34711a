"""Extract the Kueue CRD schemas clusterforge's objects are validated against (run by a developer).

Reads ``config/components/crd/bases/kueue.x-k8s.io_<plural>.yaml`` at the pinned Kueue tag from the
bare git snapshot (``/work/.mirror/kubernetes-sigs+kueue/repo``, made by the search tool's
``fetch``) and writes each kind's ``spec.versions[name == v1beta2].schema.openAPIV3Schema``
unchanged to ``tests/data/crds/kueue-<version>/kueue.x-k8s.io__v1beta2__<Kind>.json``, with a
SOURCES.md listing repo, tag, commit and path.

Usage: ``python tools/kueue_crds.py [--mirror /work/.mirror]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from mirror_git import DEFAULT_MIRROR, commit_of, crd_version, git_dir, read_yaml

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / "clusterforge" / "catalog" / "data" / "common" / "addons.json"
KINDS = {
    "ResourceFlavor": "resourceflavors",
    "ClusterQueue": "clusterqueues",
    "LocalQueue": "localqueues",
    "Topology": "topologies",
    "AdmissionCheck": "admissionchecks",
    "ProvisioningRequestConfig": "provisioningrequestconfigs",
}
VERSION = "v1beta2"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR)
    args = parser.parse_args(argv)
    row = json.loads(ADDONS.read_text(encoding="utf-8"))["addons"]["kueue"]
    repo, tag = row["upstream"]["repo"], row["upstream"]["ref"]
    directory = git_dir(args.mirror, repo)
    commit = commit_of(directory, tag)
    out = ROOT / "tests" / "data" / "crds" / f"kueue-{row['version']}"
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Kueue {row['version']} CRD schemas — sources",
        "",
        f"Each file is `spec.versions[name == {VERSION}].schema.openAPIV3Schema` of the CRD below,",
        f"unchanged, from {repo} tag {tag} (commit {commit}), extracted by tools/kueue_crds.py",
        f"on {datetime.date.today().isoformat()}.",
        "",
        "| File | Path |",
        "|---|---|",
    ]
    for kind, plural in KINDS.items():
        path = f"config/components/crd/bases/kueue.x-k8s.io_{plural}.yaml"
        version = crd_version(read_yaml(directory, commit, path), VERSION)
        name = f"kueue.x-k8s.io__{VERSION}__{kind}.json"
        (out / name).write_text(
            json.dumps(version["schema"]["openAPIV3Schema"], indent=1) + "\n", encoding="utf-8"
        )
        lines.append(f"| `{name}` | `{path}` |")
    (out / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(KINDS)} schemas to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
