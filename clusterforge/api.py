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

from clusterforge.findings import Finding, Severity
from clusterforge.report.model import Report
from clusterforge.spec.loader import LoadedStack, load_stack

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedCluster
    from clusterforge.engine.automation import Target
    from clusterforge.engine.events import Display, RunResult
    from clusterforge.graph import ResourceGraph
    from clusterforge.render import Rendered
    from clusterforge.report.compare import Comparison


def validate_stack(
    path: str | Path, *, skip: Iterable[str] = (), cloud: str | None = None
) -> tuple[LoadedStack, Report]:
    """Load and validate a stack (on ``cloud`` when given: a portable stack's per-cloud
    override applied). Raises StackLoadError when the file cannot be read."""
    from clusterforge.validate import validate

    stack = load_stack(path)
    if stack.cluster is None:
        return stack, Report(
            stack_file=str(stack.path), findings=stack.findings, source=stack.source
        )
    cluster = stack.cluster.for_cloud(cloud) if cloud else stack.cluster
    resolved, findings = validate(cluster, skip)
    return stack, Report(
        stack_file=str(stack.path), findings=findings, resolved=resolved, source=stack.source
    )


def plan_stack(
    path: str | Path, *, stack_name: str = "dev", skip: Iterable[str] = (), cloud: str | None = None
) -> tuple[LoadedStack, Report]:
    """Validate, then (when no error was found) plan offline, estimate the cost and run the policy
    pack at its default levels (``skip`` names validation rules and policies to leave out)."""
    from clusterforge.policies.merge import one_per_problem
    from clusterforge.policies.offline import run_policies
    from clusterforge.policies.pack_config import PackConfig

    stack, report = _plan(path, stack_name=stack_name, skip=skip, cloud=cloud)
    if report.graph is not None:
        report.add_findings(run_policies(report.graph, PackConfig().skipping(skip)))
        report.findings = one_per_problem(report.findings)
    return stack, report


def _plan(
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


def check_stack(
    path: str | Path,
    *,
    config: str | Path | None = None,
    stack_name: str = "dev",
    skip: Iterable[str] = (),
    fail_on: Severity = Severity.ERROR,
) -> Report:
    """Check a stack file, or a plan JSON written by ``plan --format json``, against the policy pack
    offline. ``config`` is a ``--policy-pack-config`` file (levels and settings; a bad one raises
    UsageError before anything runs); ``skip`` names validation rules and policies to leave out.
    The report holds the policy findings and the validation findings at or above ``fail_on`` (one
    finding per problem, as in ``plan``).
    """
    from clusterforge.policies.merge import one_per_problem
    from clusterforge.policies.offline import run_policies
    from clusterforge.policies.pack_config import PackConfig, load

    skip = list(skip)
    settings = (load(config) if config is not None else PackConfig()).skipping(skip)
    document = _plan_document(Path(path))
    if document is not None:
        report = _report_from_plan(Path(path), document, stack_name)
        validation = [
            _finding(f)
            for f in document.get("findings") or []
            if isinstance(f, dict) and f.get("source", "validate") == "validate"
        ]
        if report.graph is not None:
            report.add_findings([f for f in validation if f.rule not in skip])
    else:
        _, report = _plan(path, stack_name=stack_name, skip=skip)
    if report.graph is not None:
        report.add_findings(run_policies(report.graph, settings))
        report.policies_run = (settings.enabled_count(), len(report.graph.custom_resources))
        report.findings = one_per_problem(report.findings)
    report.findings = [
        f for f in report.findings if f.source == "policy" or f.severity.rank >= fail_on.rank
    ]
    return report


def _plan_document(path: Path) -> dict[str, Any] | None:
    """The plan JSON document in ``path``, or None when it is not one (a stack file).

    A plan document's shape is checked here, before any of it is used: a malformed one is a
    UsageError naming the first bad field (``resources[3].parent``), never a crash further on.
    """
    import json

    from clusterforge.errors import StackLoadError, UsageError
    from clusterforge.report.model import PLAN_FORMAT_VERSION
    from clusterforge.spec.files import is_plan_document, load_json_file

    try:
        if path.suffix.lower() != ".json" or not path.is_file():
            return None
        data = load_json_file(path, "plan")
    except (OSError, StackLoadError):
        return None  # the stack loader reports it
    if not is_plan_document(data):
        return None
    version = data["version"]
    if not (type(version) is int and version == PLAN_FORMAT_VERSION):
        shown = json.dumps(version)
        shown = shown if len(shown) <= 40 else _kind(version)
        raise UsageError(
            f"{path}: plan format version {shown} is not supported "
            f"(this clusterforge reads {PLAN_FORMAT_VERSION})",
            hint="write the plan again with this clusterforge: clusterforge plan STACK --format json",
        )
    problem = plan_shape_problem(data)
    if problem:
        raise UsageError(
            f"{path}: not a clusterforge plan: {problem}",
            hint="write the plan again: clusterforge plan STACK --format json",
        )
    return data


_OPTIONAL_STR = (str, type(None))


def plan_shape_problem(document: dict[str, Any]) -> str | None:
    """The first field of a plan document that has the wrong type, or None (a well-formed plan)."""
    checks: list[tuple[str, Any, tuple[type, ...]]] = [
        ("stack", document.get("stack"), _OPTIONAL_STR),
        ("stack_file", document.get("stack_file"), _OPTIONAL_STR),
        ("cluster", document.get("cluster"), (dict, type(None))),
        ("summary", document.get("summary"), (dict, type(None))),
        ("findings", document.get("findings"), (list, type(None))),
        ("resources", document.get("resources"), (list,)),
    ]
    cluster, summary = document.get("cluster"), document.get("summary")
    findings, resources = document.get("findings"), document.get("resources")
    for key in ("name", "cloud", "region"):
        value = cluster.get(key) if isinstance(cluster, dict) else None
        checks.append((f"cluster.{key}", value, _OPTIONAL_STR))
    skipped = summary.get("skipped") if isinstance(summary, dict) else None
    checks.append(("summary.skipped", skipped, _OPTIONAL_STR))
    findings = findings if isinstance(findings, list) else []
    for index, row in enumerate(findings):
        checks.append((f"findings[{index}]", row, (dict,)))
    for index, row in enumerate(resources if isinstance(resources, list) else []):
        where = f"resources[{index}]"
        checks.append((where, row, (dict,)))
        if not isinstance(row, dict):
            continue
        for key in ("urn", "type", "name"):
            checks.append((f"{where}.{key}", row.get(key), (str,)))
        checks += [
            (f"{where}.parent", row.get("parent"), _OPTIONAL_STR),
            (f"{where}.dependencies", row.get("dependencies"), (list, type(None))),
            (f"{where}.inputs", row.get("inputs"), (dict, type(None))),
            (f"{where}.options", row.get("options"), (dict, type(None))),
        ]
        checks += [
            (f"{where}.dependencies[{i}]", dep, (str,))
            for i, dep in enumerate(row.get("dependencies") or [])
        ]
    for where, value, types in checks:
        if not isinstance(value, types):
            expected = " or ".join("null" if t is type(None) else _TYPE_WORDS[t] for t in types)
            return f"{where} is {_kind(value)}, expected {expected}"
    for index, row in enumerate(findings):
        severity = row.get("severity", "error")
        if not isinstance(severity, str) or severity.lower() not in ("error", "warning", "info"):
            return f"findings[{index}].severity {severity!r} is not error, warning or info"
    return None


_TYPE_WORDS: dict[type, str] = {str: "a string", dict: "an object", list: "a list"}


def _kind(value: Any) -> str:
    if value is None:
        return "missing or null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _report_from_plan(path: Path, document: dict[str, Any], stack_name: str) -> Report:
    """A report over a plan document's resources. When the stack file it names is still there and
    valid, its source map, pools and cost come with it, and the stack is planned again only to learn
    which spec element each component was built from (the plan JSON does not record it)."""
    from clusterforge.errors import ClusterforgeError, UsageError
    from clusterforge.graph import ResourceGraph
    from clusterforge.report.model import PLAN_FORMAT_VERSION

    if document.get("version") != PLAN_FORMAT_VERSION:
        raise UsageError(f"{path}: plan format version {document.get('version')!r}, expected {PLAN_FORMAT_VERSION}",
                         hint="write the plan again with this clusterforge: clusterforge plan STACK --format json")  # fmt: skip
    stack = document.get("stack") or stack_name
    cloud = (document.get("cluster") or {}).get("cloud")
    named = Path(str(document.get("stack_file") or ""))
    stack_file = next((p for p in (path.parent / named, named) if named.name and p.is_file()), None)
    planned: Report | None = None
    recorded = any(
        "spec_path" in row for row in document.get("resources") or [] if isinstance(row, dict)
    )
    if stack_file is not None and recorded:
        # The plan carries spec paths: read the stack file only for its source map (file:line).
        try:
            loaded = load_stack(stack_file)
        except ClusterforgeError:
            loaded = None
        name = (document.get("cluster") or {}).get("name")
        if loaded is None or loaded.cluster is None or loaded.cluster.name != name:
            stack_file = None
        else:
            planned = Report(stack_file=str(stack_file), source=loaded.source)
    elif stack_file is not None:
        try:
            _, planned = _plan(stack_file, stack_name=stack, cloud=cloud)
        except ClusterforgeError:
            planned = None
        name = (document.get("cluster") or {}).get("name")
        if planned is not None and (planned.resolved is None or planned.resolved.spec.name != name):
            planned, stack_file = None, None  # another stack now sits at that path: do not mix them
    spec_paths: dict[str, str] = {}
    if planned is not None and planned.graph is not None:
        spec_paths = {
            r.urn: p
            for r in planned.graph.resources
            if not r.custom and isinstance(p := r.outputs.get("specPath"), str)
        }
    from clusterforge.secrets import redact

    # A plan document is the user's file: a provider kubeconfig or a password in its inputs must
    # not be echoed by any output of `check`.
    document = {**document, "resources": redact(document["resources"])}
    try:
        graph = ResourceGraph.from_plan_document(document, spec_paths)
    except ValueError as exc:
        raise UsageError(f"{path}: not a clusterforge plan: {exc}") from None
    report = Report(
        stack_file=str(stack_file or path),
        resolved=planned.resolved if planned else None,
        cost=planned.cost if planned else None,
        source=planned.source if planned else None,
        graph=graph,
        stack=stack,
    )
    skipped = (document.get("summary") or {}).get("skipped")
    if skipped or not graph.custom_resources:
        # The plan never ran (schema or validation errors): its findings are the result, and a
        # plan with nothing in it must not pass a review.
        report.skipped = str(skipped or "the plan holds no resources")
        report.graph = None
        findings = [_finding(f) for f in document.get("findings") or [] if isinstance(f, dict)]
        if not any(f.severity is Severity.ERROR for f in findings):
            raise UsageError(
                f"{path}: the plan holds no resources",
                hint="plan the stack again: clusterforge plan STACK --format json",
            )
        report.add_findings(findings)
    return report


def _finding(data: dict[str, Any]) -> Finding:
    """A finding of a plan document back as a :class:`Finding`."""
    return Finding(
        str(data.get("rule", "")), Severity.parse(str(data.get("severity", "error"))), str(data.get("path", "")),
        str(data.get("message", "")), str(data.get("hint", "")), data.get("location"), str(data.get("source", "validate")),
    )  # fmt: skip


def render_stack(
    path: str | Path,
    out: Path,
    *,
    flavor: str,
    outputs_file: Path | None = None,
    cloud: str | None = None,
    skip: Iterable[str] = (),
    repo_url: str | None = None,
    repo_path: str | None = None,
    repo_branch: str = "main",
) -> tuple[LoadedStack, Report, Rendered | None]:
    """Validate, plan offline, then write the plan's Kubernetes side for GitOps (nothing on
    errors). The stack and outputs files are inputs: render never overwrites or removes them."""
    from clusterforge import render
    from clusterforge.engine import plan_offline

    stack, report = validate_stack(path, skip=skip, cloud=cloud)
    if report.resolved is None or report.count(Severity.ERROR):
        return stack, report, None
    volumes = render.volumes_from_outputs(outputs_file) if outputs_file else None
    git = render.git_target(out, repo_url, repo_path, repo_branch)
    render.check_target(flavor, git)
    graph = plan_offline(report.resolved)
    rendered = render.render(report.resolved, flavor, graph, volumes=volumes, git=git)
    inputs = tuple(Path(p) for p in (path, outputs_file) if p is not None)
    render.write(rendered, out, inputs=inputs)
    return stack, report, rendered


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


#: Version of the deploy commands' ``--json`` summary.
DEPLOY_FORMAT_VERSION = 1


@dataclass(frozen=True)
class DeployOptions:
    """Where a deploy command works: the Pulumi stack, a cloud override, backend, secrets, policy."""

    stack: str
    cloud: str | None = None
    backend: str | None = None
    secrets_provider: str | None = None
    policy: bool = True
    skip: tuple[str, ...] = ()
    #: A ``--policy-pack-config`` file (levels and settings), as `check --config` reads it.
    policy_config: str | Path | None = None


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
    #: The offline plan of the same stack: maps the engine's URNs back to spec paths.
    graph: ResourceGraph | None = None

    def to_dict(self) -> dict[str, Any]:
        """The machine summary (``--json``): secrets and URL credentials masked, except in the
        stack outputs, which the engine masked unless ``--show-secrets`` asked for them."""
        from clusterforge.secrets import redact

        data: dict[str, Any] = {
            "version": DEPLOY_FORMAT_VERSION,
            "stack_file": str(self.loaded.path),
            "cluster": self.report.cluster_info,
            "target": self.target.to_dict() if self.target else None,
            "findings": [f.to_dict() for f in self.report.findings],
        }
        if self.result is not None:
            data.update(self.result.to_dict())
        data = redact(data)
        if self.outputs is not None:
            data["outputs"] = self.outputs
        return data


def _prepare(path: str | Path, options: DeployOptions, *, validated: bool = True) -> Deployment:
    """Validate, then build the engine target. Stops (``target`` None) on validation errors
    unless ``validated`` is False (reading outputs needs only a loadable spec)."""
    from clusterforge.engine import plan_offline, target

    policy_config = None
    if options.policy and options.policy_config is not None:
        from clusterforge.policies.pack_config import load

        load(options.policy_config)  # a bad file is one error line before anything runs
        policy_config = str(Path(options.policy_config).resolve())
    loaded, report = validate_stack(path, skip=options.skip, cloud=options.cloud)
    report.stack = options.stack
    deployment = Deployment(loaded, report)
    if report.resolved is None or (validated and report.count(Severity.ERROR)):
        return deployment
    target.require_cli()
    packages: set[str] = set()
    if validated:
        graph = plan_offline(report.resolved, stack=options.stack)
        packages = target.packages_of(r.type for r in graph.resources)
        deployment.graph = graph
    deployment.target = target.make_target(
        report.resolved.spec,
        options.stack,
        packages=packages,
        backend=options.backend,
        secrets_provider=options.secrets_provider,
        policy=options.policy,
        policy_config=policy_config,
    )
    return deployment


def _deploy(
    path: str | Path,
    options: DeployOptions,
    operation: Callable[[Target, ResolvedCluster], RunResult],
) -> Deployment:
    """Validate and prepare, then (when the stack validated) run one engine ``operation``."""
    from clusterforge.policies.merge import engine_findings

    deployment = _prepare(path, options)
    if deployment.target is not None and deployment.report.resolved is not None:
        deployment.result = operation(deployment.target, deployment.report.resolved)
        violations = getattr(deployment.result, "policy_violations", None) or []
        deployment.report.add_findings(engine_findings(violations, deployment.graph))
    return deployment


def preview_stack(
    path: str | Path,
    options: DeployOptions,
    *,
    expect_no_changes: bool = False,
    display: Display | None = None,
) -> Deployment:
    """Validate, then preview through the Pulumi engine (creates the stack on first use)."""
    from clusterforge.engine import automation
    from clusterforge.modules import program

    return _deploy(
        path,
        options,
        lambda target, resolved: automation.preview(
            target, program(resolved), expect_no_changes=expect_no_changes, display=display
        ),
    )


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

    return _deploy(
        path,
        options,
        lambda target, resolved: automation.up(
            target,
            program(resolved),
            confirm=confirm,
            allow_data_loss=allow_data_loss,
            display=display,
        ),
    )


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

    def destroy(target: Target, resolved: ResolvedCluster) -> RunResult:
        unprotected = None
        if include_protected_storage:
            spec = resolved.spec
            storage = [s.model_copy(update={"protect": False}) for s in spec.storage]
            unprotected = program(resolve(spec.model_copy(update={"storage": storage})))
        return automation.destroy(
            target,
            program(resolved),
            confirm=confirm,
            include_protected=unprotected,
            display=display,
        )

    return _deploy(path, options, destroy)


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

    return _deploy(
        path,
        options,
        lambda target, resolved: automation.refresh(
            target,
            program(resolved),
            preview_only=preview_only,
            expect_no_changes=expect_no_changes,
            display=display,
        ),
    )


def stack_outputs(
    path: str | Path, options: DeployOptions, *, show_secrets: bool = False
) -> Deployment:
    """The stack's outputs (secrets masked unless ``show_secrets``); the spec only has to load."""
    from clusterforge.engine import automation

    deployment = _prepare(path, options, validated=False)
    if deployment.target is not None:
        deployment.outputs = automation.outputs(deployment.target, show_secrets=show_secrets)
    return deployment


def run_project(spec_path: Path) -> object:
    """The program of a Pulumi stack project (its ``__main__.py`` calls this, for ``pulumi up`` in
    a terminal): load and validate ``spec_path`` as ``clusterforge up`` does, on the cloud in the
    stack setting ``clusterforge:cloud`` when set (like --cloud); validation errors stop the
    program with the report; then build it (:func:`clusterforge.modules.build`)."""
    import pulumi

    from clusterforge.modules import build
    from clusterforge.report import render

    _, report = validate_stack(spec_path, cloud=pulumi.Config("clusterforge").get("cloud"))
    if report.resolved is None or report.count(Severity.ERROR):
        raise pulumi.RunError(f"{spec_path.name} has validation errors\n" + render(report, "text"))
    return build(report.resolved)
