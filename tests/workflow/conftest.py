"""Every template rendered once per test session into a temporary directory (its defaults), and
helpers to check generated pipelines with the real validators."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from clusterforge.workflow import templates


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Template name → the project directory `new TEMPLATE DIR` wrote with the defaults."""
    root = tmp_path_factory.mktemp("templates")
    projects: dict[str, Path] = {}
    for name, template in templates.templates().items():
        values = templates.resolve_values(template, {})
        created = templates.create(template, values, root / name)
        assert not created.findings, (name, [f.message for f in created.findings])
        projects[name] = root / name
    return projects


def vendored_schema(name: str) -> dict:
    """A schema check-jsonschema vendors (github-workflows, gitlab-ci): its copy of SchemaStore."""
    folder = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(folder.joinpath(f"{name}.json").read_text(encoding="utf-8"))


def schema_errors(schema: dict, document: object) -> list[str]:
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
