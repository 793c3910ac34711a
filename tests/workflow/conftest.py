"""Every template rendered once per test session into a temporary directory (its defaults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterforge.workflow import templates

from tests.catalog.conftest import aws_api_emulator, unreachable_aws_endpoint  # noqa: F401 - moto server fixtures


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
