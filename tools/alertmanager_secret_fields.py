"""Extract which Alertmanager configuration fields hold secrets (run by a developer).

Reads the Go sources of ``config/`` and ``notify/*/config.go`` at an Alertmanager tag from the
bare git snapshot (``/work/.mirror/prometheus+alertmanager/repo``, made by the search tool's
``fetch``). A field is secret when its Go type is ``Secret`` / ``*Secret`` (prometheus/common's
``commoncfg.Secret``) or ``SecretURL`` / ``SecretTemplateURL`` (Alertmanager's own): the types
Alertmanager itself masks as ``<secret>`` when it prints its configuration. Fields of
``GlobalConfig`` are listed under ``global``; fields of each receiver's notifier config under the
receiver key that holds them (``slack_configs``, ``pagerduty_configs``, ...), taken from the
``Receiver`` struct. Writes ``clusterforge/catalog/data/common/alertmanager_secrets.json``.

Usage: ``python tools/alertmanager_secret_fields.py [--tag v0.34.0] [--mirror /work/.mirror]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

from mirror_git import DEFAULT_MIRROR, commit_of, git, git_dir

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "clusterforge" / "catalog" / "data" / "common" / "alertmanager_secrets.json"
REPO = "prometheus/alertmanager"

_STRUCT = re.compile(r"^type (\w+) struct \{")
_FIELD = re.compile(r'^\s+\w+\s+(\*?[\w.]+)\s+`yaml:"(\w+)')
_SECRET_TYPE = re.compile(r"^\*?(\w+\.)?(Secret|SecretURL|SecretTemplateURL)$")
_RECEIVER_FIELD = re.compile(r'^\s+\w+\s+\[\]\*(?:\w+\.)?(\w+)\s+`yaml:"(\w+_configs)')


def secret_fields(directory: Path, tag: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """(global fields, receiver key -> fields, the files read) at ``tag``."""
    files = [
        path
        for path in git(directory, "ls-tree", "-r", "--name-only", tag, "config", "notify").split()
        if path.endswith(".go")
        and not path.endswith("_test.go")
        and (path.startswith("config/") or path.endswith("/config.go"))
    ]
    by_struct: dict[str, list[str]] = {}
    receivers: dict[str, str] = {}
    for path in files:
        struct = None
        for line in git(directory, "show", f"{tag}:{path}").splitlines():
            if match := _STRUCT.match(line):
                struct = match[1]
            elif line.startswith("}"):
                struct = None
            elif struct == "Receiver" and (match := _RECEIVER_FIELD.match(line)):
                receivers[match[1]] = match[2]
            elif struct and (match := _FIELD.match(line)) and _SECRET_TYPE.match(match[1]):
                by_struct.setdefault(struct, []).append(match[2])
    configs = {
        key: sorted(by_struct[struct]) for struct, key in receivers.items() if struct in by_struct
    }
    return sorted(by_struct.get("GlobalConfig", [])), dict(sorted(configs.items())), files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="v0.34.0")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR)
    args = parser.parse_args()
    directory = git_dir(args.mirror, REPO)
    global_fields, configs, _ = secret_fields(directory, args.tag)
    data = {
        "source": (
            f"{REPO}@{args.tag} ({commit_of(directory, args.tag)}): config/*.go and "
            "notify/*/config.go, fields of type Secret, SecretURL or SecretTemplateURL "
            "(tools/alertmanager_secret_fields.py)"
        ),
        "retrieved": datetime.date.today().isoformat(),
        "global": global_fields,
        "receivers": configs,
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(global_fields)} global, {len(configs)} receivers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
