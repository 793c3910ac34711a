"""`clusterforge verify`: NCCL tests that prove each multi-node pool's fabric after `up`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clusterforge.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    emit,
    format_option,
    handle_errors,
    out_option,
    stack_argument,
    stack_name_callback,
)
from clusterforge.errors import UsageError


@click.command()
@stack_argument
@click.option(
    "--stack",
    "stack_name",
    default="dev",
    show_default=True,
    callback=stack_name_callback,
    help="Pulumi stack name (the plan of this stack says what each pool was built with).",
)
@click.option(
    "--pool", "pools", multiple=True, metavar="NAME", help="Test only this pool (repeatable)."
)
@click.option(
    "--render",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the jobs to this directory instead of running them.",
)
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    help="Kubeconfig of the cluster [default: the deployed stack's kubeconfig output, else "
    "$KUBECONFIG / ~/.kube/config].",
)
@click.option(
    "--backend",
    metavar="URL",
    help="State backend of the stack, to read its kubeconfig output [default: as `up`].",
)
@click.option(
    "--secrets-provider",
    metavar="URL",
    help="Secrets provider of the stack (its kubeconfig output is a secret) [default: as `up`].",
)
@click.option("--context", help="Kubeconfig context (default: the current one).")
@click.option("--namespace", default="default", show_default=True, help="Namespace of the jobs.")
@click.option(
    "--nodes",
    type=click.IntRange(min=2),
    help="Nodes per test (default: every node of the pool; 2 for a pool scaled to fewer).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=30),
    default=1800,
    show_default=True,
    help="Seconds to wait for a pool's result before the job is deleted.",
)
@click.option("--image", help="nccl-tests image to use instead of the catalog's pin.")
@click.option(
    "--expect-busbw",
    type=click.FloatRange(min=0, min_open=True),
    metavar="GB/S",
    help="Expected all_reduce bus bandwidth, instead of the catalog's figure.",
)
@click.option("--taint", is_flag=True, help="Taint the slow nodes a bisection finds (NoSchedule).")
@click.option("--no-bisect", is_flag=True, help="Do not test node pairs when a pool is slow.")
@click.option(
    "--cloud", type=click.Choice(["aws", "gcp"]), help="Put a portable stack on this cloud."
)
@format_option("text", "json", "markdown")
@out_option
@handle_errors
def verify(
    stack_file: Path,
    stack_name: str,
    pools: tuple[str, ...],
    render: Path | None,
    kubeconfig: str | None,
    backend: str | None,
    secrets_provider: str | None,
    context: str | None,
    namespace: str,
    nodes: int | None,
    timeout_s: float,
    image: str | None,
    expect_busbw: float | None,
    taint: bool,
    no_bisect: bool,
    cloud: str | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Run NCCL all_reduce and alltoall tests on every multi-node accelerator pool of STACK and
    compare them with the catalog's expected bus bandwidth; a slow pool is bisected into node
    pairs to name the bad node. Exit 1 when a pool fails, 3 when the cluster cannot be reached.

    \b
    clusterforge verify STACK --render out/      write the jobs (no cluster needed)
    clusterforge verify STACK --stack prod       run them on the stack's cluster and report
    clusterforge verify STACK --kubeconfig kc    ... on the cluster of this kubeconfig
    """
    from clusterforge.verify.results import RENDERERS
    from clusterforge.verify.run import VerifyOptions, verify_stack

    if kubeconfig is not None and not Path(kubeconfig).expanduser().is_file():
        # The Kubernetes client reads a missing file as an empty one ("No configuration found").
        raise UsageError(
            f"--kubeconfig {kubeconfig}: no such file",
            hint="pass the path of an existing kubeconfig, or write the jobs with --render DIR",
        )

    options = VerifyOptions(
        stack_name=stack_name,
        cloud=cloud,
        pools=pools,
        nodes=nodes,
        image=image,
        expect_busbw=expect_busbw,
        render=render,
        kubeconfig=kubeconfig,
        backend=backend,
        secrets_provider=secrets_provider,
        context=context,
        namespace=namespace,
        timeout_s=timeout_s,
        taint=taint,
        bisect=not no_bisect,
    )
    report = verify_stack(stack_file, options, progress=lambda msg: click.echo(msg, err=True))
    emit(RENDERERS[fmt](report), out, inputs=(stack_file,))
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)
