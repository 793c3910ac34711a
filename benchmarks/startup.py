"""Start-up of the quick commands: CPU and wall seconds of a fresh process, best of N.

    python benchmarks/startup.py [--repeats 3] [--json]

Each command runs as a user runs it (the installed ``clusterforge`` script next to this Python),
once as a warm-up (OS file cache, bytecode), then ``--repeats`` times; the best run counts (the
least disturbed by other load on the machine). The children run without
``PYTHONDONTWRITEBYTECODE``, so the warm-up writes the bytecode an installed package has (pip
compiles it at install time); without it every run would recompile each module. CPU is the child's user + system time from
``wait4``; the target (issue 9) is 0.3 s each. ``python -c "import click"`` is the floor of
every command (the interpreter and click); with ``clusterforge.spec.models`` it is the floor of
``validate`` (pydantic-core and the spec models, which validation needs). Prints a Markdown table, or one JSON line with ``--json``.
Not a test: figures depend on the machine and its load (the load average is printed with them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLUSTERFORGE = str(Path(PYTHON).with_name("clusterforge"))
TARGET_SECONDS = 0.3

COMMANDS: dict[str, list[str]] = {
    "python -c 'import click'": [PYTHON, "-c", "import click"],
    # What validate cannot start without: click, pydantic-core and the spec models.
    "python -c 'import click, clusterforge.spec.models'": [
        PYTHON, "-c", "import click, clusterforge.spec.models",
    ],
    "clusterforge --help": [CLUSTERFORGE, "--help"],
    "clusterforge validate aws-h100-training.py": [
        CLUSTERFORGE, "validate", str(ROOT / "examples" / "aws-h100-training.py"),
    ],
    "clusterforge validate gcp-a3-mega-training.yaml": [
        CLUSTERFORGE, "validate", str(ROOT / "examples" / "gcp-a3-mega-training.yaml"),
    ],
    "clusterforge validate --format json (yaml)": [
        CLUSTERFORGE, "validate", str(ROOT / "examples" / "aws-capacity-block.yaml"),
        "--format", "json",
    ],
    "clusterforge schema": [CLUSTERFORGE, "schema"],
    "clusterforge rules": [CLUSTERFORGE, "rules"],
    "clusterforge catalog": [CLUSTERFORGE, "catalog"],
    "clusterforge catalog --cloud gcp --format json": [
        CLUSTERFORGE, "catalog", "--cloud", "gcp", "--format", "json",
    ],
}  # fmt: skip


def measured(argv: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, float]:
    """Run ``argv`` in a fresh process: its wall and CPU seconds and peak RSS (MiB).

    Without ``PYTHONDONTWRITEBYTECODE``: an installed package has its bytecode (pip compiles it),
    so a process that recompiles every module measures the machine's setting, not the program.
    """
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}


def startup(repeats: int = 3) -> dict[str, dict[str, float]]:
    """Per command, the run with the least CPU among ``repeats`` (after one warm-up)."""
    figures = {}
    for label, argv in COMMANDS.items():
        measured(argv)
        runs = [measured(argv) for _ in range(repeats)]
        figures[label] = min(runs, key=lambda r: r["cpu"])
    return figures


def table(figures: dict[str, dict[str, float]]) -> str:
    lines = [
        f"| start-up (best of fresh processes) | CPU s | wall s | peak RSS MiB | ≤ {TARGET_SECONDS} s |",
        "|---|---:|---:|---:|:-:|",
    ]
    for label, f in figures.items():
        met = "" if label.startswith("python") else ("yes" if f["cpu"] <= TARGET_SECONDS else "no")
        lines.append(
            f"| `{label}` | {f['cpu']:.2f} | {f['wall']:.2f} | {f['rss_mib']:.0f} | {met} |"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Load average at the end: {load}; {os.cpu_count()} cores."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    options = parser.parse_args()
    figures = startup(options.repeats)
    print(json.dumps(figures) if options.json else table(figures))


if __name__ == "__main__":
    main()
