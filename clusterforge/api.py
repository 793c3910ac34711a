"""The library calls behind the CLI: a stack file in, a report out.

Each function takes plain arguments and returns a :class:`~clusterforge.report.Report` (the
deploy functions a :class:`Deployment` holding one); the CLI only parses options, calls one of
these, renders and picks the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterforge.findings import Severity
from clusterforge.report.model import Report
from clusterforge.spec.loader import LoadedStack, load_stack

if TYPE_CHECKING:
    from clusterforge.engine.automation import Target
    from clusterforge.report.compare import Comparison
    from clusterforge.engine.events import Display, RunResult


def validate_stack(
    path: str | Path, *, skip: Iterable[str] = (), cloud: str | None = None
) -> tuple[LoadedStack, Report]:
    """Load and validate a stack (on ``cloud`` when given: a portable stack's per-cloud
    override applied). Raises StackLoadError when the file cannot be read."""
    from clusterforge.validate import validate

    stack = load_stack(path)
    if stack.cluster is None:
        return stack, Report(stack_file=str(stack.path), findings=stack.findings, source=stack.source)
    cluster = stack.cluster.for_cloud(cloud) if cloud else stack.cluster
    resolved, findings = validate(cluster, skip)
    return stack, Report(stack_file=str(stack.path), findings=findings, resolved=resolved, source=stack.source)


def plan_stack(
    path: str | Path, *, stack_name: str = "dev", skip: Iterable[str] = (), cloud: str | None = None
) -> tuple[LoadedStack, Report]:
    """Validate, then (when no error was found) plan offline and estimate the cost."""
    from clusterforge.cost import estimate
    from clusterforge.engine import plan_offline

    stack, report = validate_stack(path, skip=skip, cloud=cloud)
    report.stack = stack_name
    if report.resolved is None:
        return stack, report
    report.cost = estimate(report.resolved)
    if report.count(Severity.ERROR):
        report.skipped = "the stack has validation errors; fix them and plan again"
        return stack, report
    report.graph = plan_offline(report.resolved, stack=stack_name)
    return stack, report


def compare_stack(
    path: str | Path, clouds: Iterable[str], *, stack_name: str = "dev", skip: Iterable[str] = ()
) -> tuple[LoadedStack, Comparison]:
    """Plan one portable stack on each of ``clouds`` (its per-cloud overrides applied)."""
    from clusterforge.report.compare import Comparison

    reports: dict[str, Report] = {}
    loaded: LoadedStack | None = None
    for cloud in clouds:
        loaded, reports[cloud] = plan_stack(path, stack_name=stack_name, skip=skip, cloud=cloud)
    assert loaded is not None, "at least one cloud"
    return loaded, Comparison(reports)


# ------------------------------------------------------------------------------ deploy (Automation API)


@dataclass(frozen=True)
class DeployOptions:
    """Where a deploy command works: the Pulumi stack, a cloud override, backend, secrets, policy."""

    stack: str
    cloud: str | None = None
    backend: str | None = None
    secrets_provider: str | None = None
    policy: bool = True
    skip: tuple[str, ...] = ()


@dataclass
class Deployment:
    """What a deploy command did: the validation report, the engine target and the engine's result.

    ``target`` is None when the stack did not validate (the report says why); ``result`` is None
    for ``outputs``, which fills ``outputs`` instead.
    """

    loaded: LoadedStack
    report: Report
    target: Target | None = None
    result: RunResult | None = None
    outputs: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The machine summary (``--json``)."""
        data: dict[str, Any] = {
            "version": DEPLOY_FORMAT_VERSION,
            "stack_file": str(self.loaded.path),
            "cluster": self.report.cluster_info,
            "target": self.target.to_dict() if self.target else None,
            "findings": [f.to_dict() for f in self.report.findings],
        }
        if self.result is not None:
            data.update(self.result.to_dict())
        if self.outputs is not None:
            data["outputs"] = self.outputs
        return data


DEPLOY_FORMAT_VERSION = 1


def resolve_for_deploy(path: str | Path, *, cloud: str | None = None, skip: Iterable[str] = ()) -> tuple[LoadedStack, Report]:
    """Load a stack, apply a ``--cloud`` override and validate it (what every deploy runs first,
    and what a ``stacks/<name>/__main__.py`` runs under ``pulumi up``)."""
    return validate_stack(path, skip=skip, cloud=cloud)


def _prepare(path: str | Path, options: DeployOptions, *, validated: bool = True) -> Deployment:
    """Validate, then build the engine target. Stops (``target`` None) on validation errors
    unless ``validated`` is False (reading outputs needs only a loadable spec)."""
    from clusterforge.engine import automation, plan_offline

    loaded, report = resolve_for_deploy(path, cloud=options.cloud, skip=options.skip)
    report.stack = options.stack
    deployment = Deployment(loaded, report)
    if report.resolved is None or (validated and report.count(Severity.ERROR)):
        return deployment
    automation.require_cli()
    packages: set[str] = set()
    if validated:
        graph = plan_offline(report.resolved, stack=options.stack)
        packages = automation.packages_of(r.type for r in graph.resources)
    deployment.target = automation.make_target(
        report.resolved.spec,
        options.stack,
        packages=packages,
        backend=options.backend,
        secrets_provider=options.secrets_provider,
        policy=options.policy,
    )
    return deployment


def preview_stack(
    path: str | Path, options: DeployOptions, *, expect_no_changes: bool = False, display: Display | None = None
) -> Deployment:
    """Validate, then preview through the Pulumi engine (creates the stack on first use)."""
    from clusterforge.engine import automation
    from clusterforge.modules import program

    deployment = _prepare(path, options)
    if deployment.target is not None and deployment.report.resolved is not None:
        deployment.result = automation.preview(
            deployment.target, program(deployment.report.resolved), expect_no_changes=expect_no_changes, display=display
        )
    return deployment


def up_stack(
    path: str | Path,
    options: DeployOptions,
    *,
    confirm: Callable[[RunResult], bool],
    allow_data_loss: bool = False,
    display: Display | None = None,
) -> Deployment:
    """Validate, preview, refuse on data loss unless allowed, ask ``confirm``, then apply."""
    from clusterforge.engine import automation
    from clusterforge.modules import program

    deployment = _prepare(path, options)
    if deployment.target is not None and deployment.report.resolved is not None:
        deployment.result = automation.up(
            deployment.target,
            program(deployment.report.resolved),
            confirm=confirm,
            allow_data_loss=allow_data_loss,
            display=display,
        )
    return deployment


def destroy_stack(
    path: str | Path,
    options: DeployOptions,
    *,
    confirm: Callable[[RunResult], bool],
    include_protected_storage: bool = False,
    display: Display | None = None,
) -> Deployment:
    """Destroy the stack, keeping protected storage unless ``include_protected_storage``."""
    from clusterforge.catalog.resolve import resolve
    from clusterforge.engine import automation
    from clusterforge.modules import program

    deployment = _prepare(path, options)
    resolved = deployment.report.resolved
    if deployment.target is not None and resolved is not None:
        unprotected = None
        if include_protected_storage:
            spec = resolved.spec
            storage = [s.model_copy(update={"protect": False}) for s in spec.storage]
            unprotected = program(resolve(spec.model_copy(update={"storage": storage})))
        deployment.result = automation.destroy(
            deployment.target, program(resolved), confirm=confirm, include_protected=unprotected, display=display
        )
    return deployment


def refresh_stack(
    path: str | Path,
    options: DeployOptions,
    *,
    preview_only: bool = False,
    expect_no_changes: bool = False,
    display: Display | None = None,
) -> Deployment:
    """Validate, then read the cloud into the stack's state (``preview_only``: show drift only)."""
    from clusterforge.engine import automation
    from clusterforge.modules import program

    deployment = _prepare(path, options)
    if deployment.target is not None and deployment.report.resolved is not None:
        deployment.result = automation.refresh(
            deployment.target,
            program(deployment.report.resolved),
            preview_only=preview_only,
            expect_no_changes=expect_no_changes,
            display=display,
        )
    return deployment


def stack_outputs(path: str | Path, options: DeployOptions, *, show_secrets: bool = False) -> Deployment:
    """The stack's outputs (secrets masked unless ``show_secrets``); the spec only has to load."""
    from clusterforge.engine import automation

    deployment = _prepare(path, options, validated=False)
    if deployment.target is not None:
        deployment.outputs = automation.outputs(deployment.target, show_secrets=show_secrets)
    return deployment
