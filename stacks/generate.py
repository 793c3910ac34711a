"""Write the Pulumi projects in stacks/ from stack spec files (by default every file in examples/).

Each project ``stacks/<file stem>/`` holds its own copy of the spec (``cluster.yaml`` /
``cluster.py``) and a ``__main__.py`` that loads, validates and builds it with clusterforge, so
``pulumi up`` inside the project runs exactly the program ``clusterforge up`` runs, on the same
backend default and stack configuration.

    python stacks/generate.py                        # (re)write a project for every example
    python stacks/generate.py path/to/my-cluster.yaml  # add a project for another spec
    python stacks/generate.py --check                 # exit 1 when a project is missing or stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clusterforge.spec.loader import load_stack
from clusterforge.workflow import project

STACKS = Path(__file__).resolve().parent
EXAMPLES = STACKS.parent / "examples"
SPEC_SUFFIXES = (".py", ".yaml", ".yml", ".json")
STACK = "dev"

REQUIREMENTS = """\
# clusterforge (with the Pulumi SDKs it depends on) from this repository checkout.
../..
"""


def project_files(spec_path: Path) -> dict[str, str]:
    """File name → content of the project for ``spec_path``."""
    loaded = load_stack(spec_path)
    cluster = loaded.cluster
    if cluster is None:
        raise SystemExit(
            f"{spec_path}: the spec does not load: {[f.message for f in loaded.findings]}"
        )
    spec_name = "cluster" + spec_path.suffix
    files = {spec_name: spec_path.read_text(encoding="utf-8")}
    files.update(
        project.project_files(
            cluster,
            spec_name,
            stack=STACK,
            # One virtual environment for every project: the repository's .venv (README install).
            virtualenv="../../.venv",
            requirements=REQUIREMENTS,
            generator="stacks/generate.py",
        )
    )
    return files


def specs(paths: list[Path]) -> list[Path]:
    return paths or sorted(p for p in EXAMPLES.iterdir() if p.suffix in SPEC_SUFFIXES)


def stale(spec_path: Path) -> list[str]:
    """Files of ``spec_path``'s project that are missing or differ from what would be written."""
    directory = STACKS / spec_path.stem
    return [
        str(directory / name)
        for name, content in project_files(spec_path).items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != content
    ]


def write(spec_path: Path) -> Path:
    directory = STACKS / spec_path.stem
    directory.mkdir(exist_ok=True)
    for name, content in project_files(spec_path).items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "specs", nargs="*", type=Path, help="spec files (default: every file in examples/)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report missing or stale projects"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = [path for spec in specs(args.specs) for path in stale(spec)]
        for path in problems:
            print(f"stale: {path} (run python stacks/generate.py)")
        return 1 if problems else 0
    for spec in specs(args.specs):
        print(f"wrote {write(spec).relative_to(STACKS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
