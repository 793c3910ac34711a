"""Regenerate clusterforge/catalog/data/common/ci_actions.json from local bare mirrors of the
actions' repositories (run by a developer, not CI).

    python tools/ci_action_pins.py MIRROR_ROOT > clusterforge/catalog/data/common/ci_actions.json

MIRROR_ROOT holds one bare git directory per repository as ``owner+name/repo`` (the layout the
project's fetch tool writes). Each action is pinned to the commit of the newest release tag
(vX.Y.Z) of its repository; the tag and its commit date are recorded next to it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import mirror_git

#: Action (as used in ``uses:``) → its repository.
ACTIONS = {
    "actions/checkout": "actions/checkout",
    "actions/setup-python": "actions/setup-python",
    "github/codeql-action/upload-sarif": "github/codeql-action",
    "aws-actions/configure-aws-credentials": "aws-actions/configure-aws-credentials",
    "google-github-actions/auth": "google-github-actions/auth",
    "pulumi/actions": "pulumi/actions",
}
RELEASE = re.compile(r"^v\d+\.\d+\.\d+$")


def git(directory: Path, *args: str) -> str:
    """``mirror_git.git``'s output without the trailing newline."""
    return mirror_git.git(directory, *args).strip()


def pin(directory: Path) -> dict[str, str]:
    tags = [t for t in git(directory, "tag", "--sort=-v:refname").splitlines() if RELEASE.match(t)]
    tag = tags[0]
    commit = git(directory, "rev-parse", f"{tag}^{{commit}}")
    date = git(directory, "log", "-1", "--format=%cs", commit)
    return {"tag": tag, "commit": commit, "date": date}


def main(root: Path) -> None:
    today = dt.date.today().isoformat()
    actions = {a: pin(mirror_git.git_dir(root, repo)) for a, repo in ACTIONS.items()}
    document = {
        "_source": "Tags read from each action's repository (git tag -> commit, the tag's commit "
        f"date), fetched {today} by tools/ci_action_pins.py; workflows pin the commit and name "
        "the tag in a comment.",
        "actions": actions,
    }
    json.dump(document, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
