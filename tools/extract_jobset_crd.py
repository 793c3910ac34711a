"""Extract the JobSet CRD schema the `verify` tests validate against (run by a developer).

    python tools/extract_jobset_crd.py /work/.mirror/kubernetes-sigs+jobset/repo v0.12.0

Reads ``charts/jobset/crds/jobset.x-k8s.io_jobsets.yaml`` at the tag from a bare clone of
kubernetes-sigs/jobset and writes ``spec.versions[v1alpha2].schema.openAPIV3Schema`` unchanged to
tests/data/crds/jobset-<tag>/, with the commit in SOURCES.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mirror_git import commit_date, commit_of, crd_version, read_yaml

CRD_PATH = "charts/jobset/crds/jobset.x-k8s.io_jobsets.yaml"


def main(git_dir: str, tag: str) -> None:
    commit = commit_of(git_dir, tag)
    date = commit_date(git_dir, commit)
    version = crd_version(read_yaml(git_dir, commit, CRD_PATH), "v1alpha2")
    out = Path(__file__).resolve().parent.parent / "tests" / "data" / "crds" / f"jobset-{tag}"
    out.mkdir(parents=True, exist_ok=True)
    schema = version["schema"]["openAPIV3Schema"]
    (out / "jobset.x-k8s.io__v1alpha2__JobSet.json").write_text(json.dumps(schema, indent=1))
    (out / "SOURCES.md").write_text(
        f"# JobSet CRD schema\n\n`jobset.x-k8s.io__v1alpha2__JobSet.json` is "
        f"`spec.versions[v1alpha2].schema.openAPIV3Schema` of kubernetes-sigs/jobset "
        f"`{CRD_PATH}` at tag {tag} (commit {commit}, {date}), unchanged; written by "
        f"tools/extract_jobset_crd.py. The add-on catalog pins JobSet {tag.lstrip('v')}.\n"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
