"""Extract the add-on facts clusterforge relies on from upstream git snapshots (run by a developer).

For every add-on in ``clusterforge/catalog/data/common/addons.json`` whose row has an ``upstream``
block (repository, ref, chart path), this script reads the repository's bare git directory (the
search tool's ``fetch`` puts them under ``/work/.mirror/<owner>+<name>/repo``) and

* resolves ``ref`` to its commit and commit date, and writes them back into the row's ``upstream``;
* reads ``Chart.yaml`` at that commit and reports a chart version that differs from the pin
  (charts released from a template, like the GPU Operator's ``v1.0.0-devel``, say so);
* flattens ``values.yaml`` (and ``values.schema.json`` where the chart has one) into the list of
  values paths that exist, and writes ``clusterforge/catalog/data/chart_values/<chart>-<version>.json``
  with repo, ref, commit and the date of the run;
* lists the newer releases the snapshot shows, so a stale pin is visible.

A chart whose snapshot is not on this machine is skipped with a message; ``--values-file
CHART=PATH`` supplies a values.yaml read another way (recorded as such in the output).

Usage: ``python tools/upstream_facts.py [--mirror /work/.mirror] [--write] [--only NAME ...]``.
Without ``--write`` it only reports. Not run by CI: CI has no upstream snapshots.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import mirror_git
import yaml

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / "clusterforge" / "catalog" / "data" / "common" / "addons.json"
OUT = ROOT / "clusterforge" / "catalog" / "data" / "chart_values"

#: Keys whose values are free-form maps or lists in every chart: a path ends there.
FREE_FORM = {
    "nodeSelector",
    "tolerations",
    "affinity",
    "resources",
    "env",
    "extraEnv",
    "envFrom",
    "podAnnotations",
    "podLabels",
    "annotations",
    "labels",
    "extraArgs",
    "args",
    "securityContext",
    "podSecurityContext",
    "extraVolumes",
    "extraVolumeMounts",
    "volumes",
    "volumeMounts",
}


def git(mirror: Path, repo: str, *args: str) -> str:
    """``mirror_git.git`` on ``repo``'s snapshot; LookupError (what the callers catch) when git
    fails."""
    try:
        return mirror_git.git(mirror_git.git_dir(mirror, repo), *args)
    except subprocess.CalledProcessError as exc:
        raise LookupError((exc.stderr or "").strip() or f"git {' '.join(args)} failed") from None


def has_mirror(mirror: Path, repo: str) -> bool:
    return (mirror / repo.replace("/", "+") / "repo").is_dir()


def values_paths(values: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """(every path, the leaf paths) of a values.yaml tree: a scalar, a list, an empty map or a
    free-form key ends a path."""
    paths: set[str] = set()
    leaves: set[str] = set()
    if not isinstance(values, dict):
        return paths, leaves
    for key, value in values.items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(value, dict) and value and str(key) not in FREE_FORM:
            sub_paths, sub_leaves = values_paths(value, f"{path}.")
            paths |= sub_paths
            leaves |= sub_leaves
        else:
            leaves.add(path)
    return paths, leaves


def schema_paths(schema: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """The same from a values.schema.json: ``properties`` nest, anything else ends a path."""
    paths: set[str] = set()
    leaves: set[str] = set()
    if not isinstance(schema, dict):
        return paths, leaves
    for key, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(sub, dict) and sub.get("properties") and key not in FREE_FORM:
            sub_paths, sub_leaves = schema_paths(sub, f"{path}.")
            paths |= sub_paths
            leaves |= sub_leaves
        else:
            leaves.add(path)
    return paths, leaves


def subcharts(chart_yaml: dict[str, Any]) -> list[str]:
    """Values keys that belong to subcharts (their own values are not extracted)."""
    return sorted(
        dep.get("alias") or dep["name"]
        for dep in chart_yaml.get("dependencies") or []
        if isinstance(dep, dict) and dep.get("name")
    )


def newer_tags(mirror: Path, repo: str, pattern: str, pinned: str) -> list[str]:
    """Released tags matching ``pattern`` (a regex with one version group) newer than the pin."""
    regex = re.compile(pattern)

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", version))

    found = []
    for tag in git(mirror, repo, "tag").split():
        match = regex.fullmatch(tag)
        if match:
            found.append(match.group(1))
    current = key(pinned)
    return sorted((v for v in found if key(v) > current), key=key, reverse=True)


def chart_facts(
    mirror: Path, name: str, up: dict[str, Any], chart: str, version: str, path: str, override: str
) -> dict[str, Any]:
    repo, ref = up["repo"], up["ref"]
    if override:
        text = Path(override).read_text(encoding="utf-8")
        origin = up.get("values_origin") or f"values.yaml supplied with --values-file ({override})"
        chart_yaml: dict[str, Any] = {}
        schema = None
    else:
        text = git(mirror, repo, "show", f"{ref}:{path}/values.yaml")
        origin = f"{repo}@{ref}:{path}/values.yaml"
        try:
            chart_yaml = yaml.safe_load(git(mirror, repo, "show", f"{ref}:{path}/Chart.yaml"))
        except yaml.YAMLError:  # a Chart.yaml template ({{ version }}) filled in at release
            chart_yaml = {"version": "(template)"}
        try:
            schema = json.loads(git(mirror, repo, "show", f"{ref}:{path}/values.schema.json"))
        except LookupError:
            schema = None
        declared = str(chart_yaml.get("version", ""))
        if declared.lstrip("v") != version.lstrip("v"):
            print(
                f"  {name}/{chart}: Chart.yaml at {ref} says {declared!r}, pin is {version!r} "
                "(charts released from a template carry a placeholder)"
            )
    # Templated charts (Knative's generate-helm.sh fills {{ tag }} at release): a placeholder string.
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", r'"\1"', text)
    paths, _ = values_paths(yaml.safe_load(text) or {})
    if schema is not None:
        paths |= schema_paths(schema)[0]
    # A path ends where nothing is nested under it (a scalar, a list, an empty or free-form map).
    parents = {p.rsplit(".", 1)[0] for p in paths if "." in p}
    leaves = {p for p in paths if p not in parents or p.rsplit(".", 1)[-1] in FREE_FORM}
    return {
        "chart": chart,
        "version": version,
        "repo": repo,
        "ref": ref,
        "commit": up.get("commit"),
        "origin": origin,
        "schema": schema is not None,
        "checked": datetime.date.today().isoformat(),
        "subcharts": subcharts(chart_yaml),
        "free_form": sorted(FREE_FORM),
        "paths": sorted(paths),
        "leaves": sorted(leaves),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--write", action="store_true", help="write the data files")
    parser.add_argument("--only", nargs="*", default=[], help="add-on names")
    parser.add_argument("--values-file", action="append", default=[], metavar="CHART=PATH")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.values_file)
    data = json.loads(ADDONS.read_text(encoding="utf-8"))
    today = datetime.date.today().isoformat()
    failures = 0
    for name, row in data["addons"].items():
        up = row.get("upstream")
        if not up or (args.only and name not in args.only):
            continue
        repo = up["repo"]
        print(f"{name}: {repo} {up['ref']} (pin {row['version']})")
        if not has_mirror(args.mirror, repo):
            print(f"  skipped: no snapshot of {repo} under {args.mirror} (fetch github:{repo})")
            continue
        try:
            commit, date = git(args.mirror, repo, "log", "-1", "--format=%H %cs", up["ref"]).split()
        except LookupError as error:
            if row["chart"] not in overrides:
                print(f"  ERROR: {up['ref']} is not in the snapshot: {error}")
                failures += 1
                continue
            print(f"  note: {up['ref']} is not in the snapshot; values from --values-file")
        else:
            if up.get("commit") and up["commit"] != commit:
                print(f"  note: {up['ref']} now resolves to {commit}, the row says {up['commit']}")
            up.update(commit=commit, date=date, checked=today)
        if up.get("tag_pattern"):
            newer = newer_tags(args.mirror, repo, up["tag_pattern"], row["version"])
            print(f"  newer releases in the snapshot: {', '.join(newer) or 'none'}")
        charts = [(row["chart"], up.get("chart_path"))]
        charts += [(c["chart"], c.get("chart_path")) for c in row.get("extra_charts", [])]
        for chart, path in charts:
            if row["kind"] != "helm" or not path:
                continue
            try:
                facts = chart_facts(
                    args.mirror, name, up, chart, row["version"], path, overrides.get(chart, "")
                )
            except LookupError as error:
                print(f"  ERROR: {chart}: {error}")
                failures += 1
                continue
            target = OUT / f"{chart}-{row['version'].lstrip('v')}.json"
            print(f"  {chart}: {len(facts['paths'])} values paths -> {target.relative_to(ROOT)}")
            if args.write:
                OUT.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    if args.write:
        ADDONS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
