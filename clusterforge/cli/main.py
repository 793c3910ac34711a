"""Entry point: the `clusterforge` group and its commands.

Commands load lazily: `clusterforge --help`, `validate`, `schema`, `rules` and `catalog` must
start without importing Pulumi or a provider SDK (seconds of imports), so this module names each
command's module and first help line instead of importing it. To add a command, add one line to
COMMANDS; tests/cli/test_startup.py checks each line against the command's own docstring.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
import traceback

import click

from clusterforge import __version__
from clusterforge.errors import ClusterforgeError

# name -> (module, attribute, the first paragraph of the command's docstring)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": (
        "clusterforge.cli.plan",
        "validate",
        "Check STACK (.yaml, .json or .py) against the hardware catalog and the rules; no engine.",
    ),
    "plan": (
        "clusterforge.cli.plan",
        "plan",
        "Plan STACK offline: the Pulumi resources it creates, findings and cost.",
    ),
    "check": (
        "clusterforge.cli.check",
        "check",
        "Check STACK, or a plan written by `plan --format json`, against the policy pack.",
    ),
    "catalog": (
        "clusterforge.cli.catalog",
        "catalog",
        "List the instance types clusterforge knows, with accelerators, EFA and prices.",
    ),
    "schema": (
        "clusterforge.cli.schema",
        "schema",
        "Print the JSON Schema of stack files (for editor completion).",
    ),
    "rules": (
        "clusterforge.cli.schema",
        "rules",
        "List the validation rules and the policies: stable ids for --skip, reports and SARIF.",
    ),
    "render": (
        "clusterforge.cli.render",
        "render",
        "Write the stack's add-ons and generated objects as GitOps files (same versions and values"
        " as `clusterforge up`).",
    ),
    "new": (
        "clusterforge.cli.new",
        "new",
        "Start a project from TEMPLATE in DIR (see `clusterforge templates`).",
    ),
    "templates": (
        "clusterforge.cli.new",
        "templates_command",
        "List the stack templates with their variables (for `clusterforge new TEMPLATE DIR`).",
    ),
    "diff": (
        "clusterforge.cli.diff",
        "diff",
        "What changing OLD into NEW does: each a plan JSON, a stack file or git-ref:REF:PATH.",
    ),
    "ci": (
        "clusterforge.cli.ci",
        "ci",
        "Write the CI pipeline (github, gitlab) or the Pulumi Kubernetes Operator objects for STACK.",
    ),
    "preflight": (
        "clusterforge.cli.preflight",
        "preflight",
        "Check with read-only AWS calls what `up` would need: the instance type offered in the pool's zone, the vCPU quota at max nodes, the reservation or Capacity Block (exists, active, matches), the EKS version, the VPC quota.",
    ),
    "preview": (
        "clusterforge.cli.deploy",
        "preview",
        "Preview what `up` would change on STACK, through the Pulumi engine (needs the pulumi CLI).",
    ),
    "up": (
        "clusterforge.cli.deploy",
        "up",
        "Create or update STACK's resources: preview, data-loss check, confirmation, update.",
    ),
    "destroy": ("clusterforge.cli.deploy", "destroy", "Delete STACK's resources."),
    "refresh": (
        "clusterforge.cli.deploy",
        "refresh",
        "Read STACK's resources from the cloud into its state (drift check: --preview-only"
        " --expect-no-changes).",
    ),
    "outputs": (
        "clusterforge.cli.deploy",
        "outputs",
        "Print STACK's outputs (cluster name, endpoint, kubeconfig, file systems); secrets masked.",
    ),
    "verify": (
        "clusterforge.cli.verify",
        "verify",
        "Run NCCL all_reduce and alltoall tests on every multi-node accelerator pool of STACK and compare them with the catalog's expected bus bandwidth; a slow pool is bisected into node pairs to name the bad node.",
    ),
}


def _short_help(first_line: str, limit: int) -> str:
    """The line click's help would show for a command whose docstring starts with ``first_line``."""
    return click.Command(None, help=first_line).get_short_help_str(limit)


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, attribute, _ = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The group's help lists every command: from COMMANDS, so no command module is imported.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS and name not in self.commands:
                rows.append((name, _short_help(COMMANDS[name][2], limit)))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="clusterforge")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option(
    "--color/--no-color", default=None, help="Force colour on or off (default: on a terminal)."
)
def cli(debug: bool, color: bool | None) -> None:
    """AI clusters as code: validate, plan and check GPU/TPU clusters on Pulumi.

    \b
    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 bad input, 3 the engine failed.
    """


#: Commands that do one bounded piece of work over one stack or plan and exit (no engine, no
#: cluster): their process collects cyclic garbage less often and skips the collection at exit
#: (see _one_shot_heap).
ONE_SHOT_COMMANDS = frozenset({"validate", "plan", "check", "render", "diff"})

#: The collector's first-generation threshold in ONE_SHOT_COMMANDS (CPython's default: 700). A
#: collection runs after this many more container allocations than deallocations, so the cyclic
#: garbage a user's Python stack makes stays below about this many objects.
ONE_SHOT_GEN0_THRESHOLD = 100_000


def _one_shot_heap(argv: list[str]) -> None:
    """Let a short process collect its heap rarely, and not at all at exit.

    After the offline plan the heap holds hundreds of thousands of long-lived objects (the plan,
    the SDK's resources and futures; the run itself pauses the collector, see engine/offline.py);
    at CPython's default threshold the collections during the policies and the report rescan
    them again and again. The ONE_SHOT_COMMANDS raise the first-generation threshold instead of
    turning the collector off: they also run users' Python stacks in-process, whose cyclic
    garbage must still be collected. At their exit the heap is frozen, so the interpreter's final
    collection does not walk it all to free memory the OS takes back anyway (measured at 4,000
    resources: exit 2.3 s → 0.1 s CPU). That is safe for them because they are done when atexit
    runs: every file they write is closed where it is written and standard output is flushed by
    the interpreter after it; Python does not promise finalizers of objects alive at exit either
    (the language reference, object.__del__). The deploy commands and verify keep CPython's
    defaults: they wait on the engine or a cluster for minutes to hours.
    """
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command in ONE_SHOT_COMMANDS:
        gc.set_threshold(ONE_SHOT_GEN0_THRESHOLD, *gc.get_threshold()[1:])
        atexit.register(gc.freeze)  # atexit runs before the interpreter's final collection


def main() -> None:
    _one_shot_heap(sys.argv[1:])
    try:
        cli(standalone_mode=True)
    except ClusterforgeError as exc:  # re-raised by --debug: show it, keep the documented exit code
        traceback.print_exc()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must not print a bare traceback
        if "--debug" in sys.argv:
            traceback.print_exc()
        from clusterforge.secrets import redact_text

        detail = redact_text(f"{type(exc).__name__}: {exc}")  # never a credential, even here
        click.secho(f"internal error: {detail}", fg="red", err=True)
        click.echo(
            "this is a clusterforge bug: rerun with --debug and report the traceback", err=True
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
