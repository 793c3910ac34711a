"""The Pulumi projects in stacks/: one per example, up to date, and each project's __main__.py —
the program `pulumi up` runs there — plans exactly what `clusterforge plan` plans for the example."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml

from clusterforge import api
from clusterforge.engine import offline, target
from clusterforge.errors import EngineError
from clusterforge.graph import ResourceGraph

from helpers import EXAMPLES, ROOT

STACKS = ROOT / "stacks"
GENERATE = runpy.run_path(str(STACKS / "generate.py"))
PROJECTS = sorted(p for p in STACKS.iterdir() if (p / "Pulumi.yaml").is_file())
SPEC_FILES = {p.stem: p for p in EXAMPLES.iterdir() if p.suffix in GENERATE["SPEC_SUFFIXES"]}


def spec_file(project: Path) -> Path:
    [spec] = [p for p in project.iterdir() if p.stem == "cluster"]
    return spec


def run_main(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config: dict[str, str] | None = None,
    stack: str = "dev",
) -> ResourceGraph:
    """Run the project's __main__.py as Pulumi would (cwd = the project) under the offline engine."""
    _, report = api.validate_stack(
        spec_file(project), cloud=(config or {}).get("clusterforge:cloud")
    )
    assert report.resolved is not None
    spec = report.resolved.spec
    monkeypatch.chdir(project)

    def program() -> None:
        from pulumi.runtime.config import set_config

        for key, value in (config or {}).items():
            set_config(key, value)
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    name = yaml.safe_load((project / "Pulumi.yaml").read_text())["name"]
    return offline.run(
        program,
        project=name,
        stack=stack,
        region=spec.region or "us-east-1",
        cloud_project=spec.project,
    )


def resources(graph: ResourceGraph) -> list[tuple[str, str, Any, Any]]:
    return [(r.urn, r.type, r.inputs, r.options) for r in graph.resources]


def test_every_example_has_an_up_to_date_project() -> None:
    assert set(SPEC_FILES) <= {p.name for p in PROJECTS}
    for spec in SPEC_FILES.values():
        assert GENERATE["stale"](spec) == [], "run: python stacks/generate.py"
        assert spec_file(STACKS / spec.stem).read_bytes() == spec.read_bytes()


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_project_settings_follow_its_spec(project: Path) -> None:
    loaded, _ = api.validate_stack(spec_file(project))
    assert loaded.cluster is not None
    settings = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert (
        settings["name"] == loaded.cluster.name
    )  # the project name clusterforge uses: same URNs, same stack
    assert settings["runtime"]["name"] == "python"
    assert settings["backend"]["url"] == "file://~/.clusterforge/state"
    stack_settings = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    assert stack_settings["config"] == target.provider_config(loaded.cluster)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_main_plans_what_clusterforge_plans(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, expected = api.plan_stack(spec_file(project), stack_name="dev")
    assert expected.graph is not None
    assert resources(run_main(project, monkeypatch)) == resources(expected.graph)


def test_a_portable_project_runs_on_the_cloud_its_stack_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = STACKS / "portable-h100"
    config = yaml.safe_load((project / "Pulumi.dev-gcp.yaml").read_text())["config"]
    assert config["clusterforge:cloud"] == "gcp"
    _, expected = api.plan_stack(spec_file(project), stack_name="dev-gcp", cloud="gcp")
    assert expected.graph is not None
    graph = run_main(project, monkeypatch, config=config, stack="dev-gcp")
    assert resources(graph) == resources(expected.graph)
    assert any(r.type.startswith("gcp:") for r in graph.resources)


def test_validation_errors_stop_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "broken"
    project.mkdir()
    spec = tmp_path / "broken.yaml"
    spec.write_text(
        "name: broken\ncloud: aws\nregion: us-east-1\nnode_pools:\n  - {name: gpu, instance_type: p5.48xlarg, nodes: 1}\n"
    )
    for name, content in GENERATE["project_files"](spec).items():
        (project / name).write_text(content)
    with pytest.raises(EngineError, match="cluster.yaml has validation errors"):
        run_main(project, monkeypatch)
