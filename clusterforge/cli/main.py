"""Entry point: the `clusterforge` group and its commands."""

from __future__ import annotations

import sys
import traceback

import click

from clusterforge import __version__
from clusterforge.cli.catalog import catalog
from clusterforge.cli.check import check
from clusterforge.cli.deploy import destroy, outputs, preview, refresh, up
from clusterforge.cli.new import new
from clusterforge.cli.plan import plan, validate
from clusterforge.cli.render import render
from clusterforge.cli.schema import rules, schema
from clusterforge.cli.verify import verify
from clusterforge.errors import ClusterforgeError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


cli.add_command(validate)
cli.add_command(plan)
cli.add_command(check)
cli.add_command(catalog)
cli.add_command(schema)
cli.add_command(rules)
cli.add_command(render)
cli.add_command(new)
cli.add_command(preview)
cli.add_command(up)
cli.add_command(destroy)
cli.add_command(refresh)
cli.add_command(outputs)
cli.add_command(verify)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ClusterforgeError as exc:  # re-raised by --debug: show it, keep the documented exit code
        traceback.print_exc()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must not print a bare traceback
        if "--debug" in sys.argv:
            traceback.print_exc()
        click.secho(f"internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo(
            "this is a clusterforge bug: rerun with --debug and report the traceback", err=True
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
