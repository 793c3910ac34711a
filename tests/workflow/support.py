"""Checks of generated pipelines with the real validators: SchemaStore schemas vendored by
check-jsonschema (through jsonschema) and the actionlint binary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml


def vendored_schema(name: str) -> dict[str, Any]:
    """A schema check-jsonschema vendors (github-workflows, gitlab-ci): its copy of SchemaStore."""
    folder = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(folder.joinpath(f"{name}.json").read_text(encoding="utf-8"))


def schema_errors(schema: dict[str, Any], document: object) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def actionlint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """actionlint over ``paths`` in one process (the binary from the actionlint wheel)."""
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    assert binary, "actionlint is a test dependency (pyproject [test])"
    return subprocess.run(
        [binary, "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
