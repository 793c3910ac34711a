"""The library call behind `clusterforge verify`: a stack file in, a :class:`VerifyReport` out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clusterforge.errors import UsageError
from clusterforge.verify.results import VerifyReport


@dataclass(frozen=True)
class VerifyOptions:
    stack_name: str = "dev"
    cloud: str | None = None
    pools: tuple[str, ...] = ()
    nodes: int | None = None
    image: str | None = None
    expect_busbw: float | None = None
    render: Path | None = None
    kubeconfig: str | None = None
    context: str | None = None
    #: Where the stack's state is (to read its kubeconfig output when --kubeconfig is not given).
    backend: str | None = None
    secrets_provider: str | None = None
    namespace: str = "default"
    timeout_s: float = 1800
    taint: bool = False
    bisect: bool = True


def verify_stack(
    path: str | Path, options: VerifyOptions, progress: Callable[[str], None] | None = None
) -> VerifyReport:
    """Plan the stack offline (to learn what each pool was built with), build the pool tests, then
    write them (``options.render``) or run them on the cluster the kubeconfig names."""
    from clusterforge.api import _plan
    from clusterforge.verify import files, runner
    from clusterforge.verify.access import ClusterAccess, cluster_access
    from clusterforge.verify.jobs import plan_tests

    _, report = _plan(path, stack_name=options.stack_name, cloud=options.cloud)
    if report.graph is None or report.resolved is None:
        errors = [f for f in report.findings if f.severity.value == "error"][:3]
        listed = "; ".join(f"{f.rule} {f.path}: {f.message}" for f in errors)
        raise UsageError(
            f"{path}: the stack does not plan: {listed or report.skipped or 'validation errors'}",
            hint=f"run `clusterforge validate {path}` and fix what it reports",
        )
    try:
        tests, skipped = plan_tests(
            report.resolved,
            report.graph,
            pools=options.pools,
            nodes=options.nodes,
            image=options.image,
            expect_busbw=options.expect_busbw,
        )
    except ValueError as exc:
        raise UsageError(str(exc), hint="--pool takes a node pool name of the stack") from None
    result = VerifyReport(stack_file=str(path), cluster=report.resolved.spec.name, skipped=skipped)
    if options.render is not None:
        result.rendered = files.write(tests, options.render)
        result.planned = tests
        return result
    if not tests:
        return result
    if options.kubeconfig is not None:
        access = ClusterAccess(None, f"the kubeconfig {options.kubeconfig}")
    else:
        access = cluster_access(
            path,
            report.resolved,
            stack_name=options.stack_name,
            cloud=options.cloud,
            backend=options.backend,
            secrets_provider=options.secrets_provider,
        )
    client = runner.connect(  # on failure, the note is the error's hint
        options.kubeconfig,
        options.context,
        config_dict=access.config,
        source=access.source,
        hint=access.note,
    )
    if access.note and progress is not None:
        progress(f"note: {access.note}")
    cluster = runner.Runner(
        client, options.namespace, timeout_s=options.timeout_s, progress=progress
    )
    version = cluster.check_server()
    if progress is not None:  # say which cluster: the default kubeconfig may name another one
        progress(
            f"cluster {client.configuration.host} ({access.source}, context "
            f"{options.context or 'current'}, Kubernetes {version}), namespace {options.namespace}"
        )
    result.pools = runner.verify_pools(cluster, tests, bisect=options.bisect, taint=options.taint)
    return result
