"""Extract the Pulumi Kubernetes Operator's Stack (pulumi.com/v1) schema for the offline tests
(run by a developer, not CI).

    python tools/pko_stack_schema.py MIRROR TAG > tests/data/pulumi-operator/stack-v1.schema.json

MIRROR is a bare git directory of pulumi/pulumi-kubernetes-operator. The CRD's v1
``openAPIV3Schema`` is written without its descriptions (the file stays small) and with its
provenance in ``$comment``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from mirror_git import commit_of, crd_version, read_yaml

CRD = "deploy/crds/pulumi.com_stacks.yaml"


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(item) for item in node]
    return node


def main(mirror: str, tag: str) -> None:
    commit = commit_of(mirror, tag)
    version = crd_version(read_yaml(mirror, tag, CRD), "v1")
    schema = strip(version["schema"]["openAPIV3Schema"])
    schema["$comment"] = (
        f"pulumi/pulumi-kubernetes-operator {tag} ({commit}) {CRD}, version v1, descriptions "
        f"removed; extracted {dt.date.today().isoformat()} by tools/pko_stack_schema.py"
    )
    json.dump(schema, sys.stdout, separators=(",", ":"), sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
