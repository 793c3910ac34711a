"""`.ci/run` runs the README's two commands, in its own environment (never the checkout's .venv)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = (ROOT / ".ci" / "run").read_text()


def _readme_commands() -> list[str]:
    section = (
        (ROOT / "README.md").read_text().split("## Two commands that work on a fresh machine")[1]
    )
    section = section.split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2, blocks
    return [c.strip() for block in blocks for line in block.splitlines() for c in line.split("&&")]


def _script_commands() -> set[str]:
    commands = set()
    for line in SCRIPT.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        for command in line.split("&&"):
            # CI's own spelling: "$VENV"/bin/x for .venv/bin/x, quiet installs, no pytest cache.
            text = command.strip().replace('"$VENV"', ".venv").replace(" --quiet", "")
            commands.add(text.replace(" -p no:cacheprovider", "").split(" >")[0])
    return commands


def test_ci_runs_the_readme_commands() -> None:
    script = _script_commands()
    for command in _readme_commands():
        if command.startswith(".venv/bin/clusterforge plan"):
            command += " --format json"  # CI discards the plan's output
        if command == ".venv/bin/pip install .":
            command = ".venv/bin/pip install '.[test]'"  # one install serves both jobs
        assert command in script, (command, sorted(script))


def test_ci_never_removes_the_checkout_venv() -> None:
    assert 'VENV="${CLUSTERFORGE_CI_VENV:-.ci/.venv}"' in SCRIPT
    removals = [line for line in SCRIPT.splitlines() if line.lstrip().startswith("rm ")]
    assert removals == ['rm -rf "$VENV"'], removals


def test_ci_refuses_the_checkout_venv_as_its_own() -> None:
    """Pointing CLUSTERFORGE_CI_VENV at .venv stops before anything is removed."""
    result = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")],
        env={"CLUSTERFORGE_CI_VENV": ".venv", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "checkout's own environment" in result.stderr
