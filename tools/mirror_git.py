"""Reading upstream files from the bare git snapshots the search tool's ``fetch`` makes
(``<mirror>/<owner>+<name>/repo``): the one git helper every tools/ script shares.

Used by developers, not by CI; every function raises ``subprocess.CalledProcessError`` when git
does (an unknown tag, a path not in the tree).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

DEFAULT_MIRROR = Path("/work/.mirror")


def git_dir(mirror: Path, repo: str) -> Path:
    """The bare repository of ``owner/name`` under ``mirror``."""
    return mirror / repo.replace("/", "+") / "repo"


def git(directory: Path | str, *args: str) -> str:
    """``git --git-dir=DIRECTORY ARGS...``'s standard output."""
    return subprocess.run(
        ["git", f"--git-dir={directory}", *args], check=True, capture_output=True, text=True
    ).stdout


def commit_of(directory: Path | str, ref: str) -> str:
    """The commit a tag or branch names."""
    return git(directory, "rev-parse", f"{ref}^{{commit}}").strip()


def commit_date(directory: Path | str, commit: str) -> str:
    """The commit's date (YYYY-MM-DD)."""
    return git(directory, "log", "-1", "--format=%cs", commit).strip()


def read_yaml(directory: Path | str, ref: str, path: str) -> Any:
    """The YAML document at ``ref:path``."""
    return yaml.safe_load(git(directory, "show", f"{ref}:{path}"))


def crd_version(crd: dict[str, Any], version: str) -> dict[str, Any]:
    """The served ``version`` entry of a CRD; SystemExit naming what it serves otherwise."""
    versions = {v["name"]: v for v in crd["spec"]["versions"]}
    if version not in versions or not versions[version].get("served", False):
        raise SystemExit(
            f"{crd['metadata']['name']}: version {version} not served ({sorted(versions)})"
        )
    return versions[version]
