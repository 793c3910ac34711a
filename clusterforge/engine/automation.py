"""The Automation API engine: preview, up, destroy, refresh and outputs through the real Pulumi CLI.

Each operation opens a :class:`~pulumi.automation.LocalWorkspace` in a fresh temporary directory
with the inline program built from the spec (``clusterforge.modules.program``), configured from a
:class:`~clusterforge.engine.target.Target` (backend, secrets, provider configuration, plugins,
policy pack), and reports what the engine did as a :class:`~clusterforge.engine.events.RunResult`.

Pulumi's exceptions are translated into :class:`~clusterforge.errors.EngineError` here, each as
one line that says what to do.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from clusterforge.engine.events import Display, EventCollector, RunResult, Step, plain_text
from clusterforge.engine.progress import NullDisplay
from clusterforge.engine.target import (
    INSTALL,
    Target,
    check_passphrase,
    require_cli,
    runnable_policy_pack,
)
from clusterforge.errors import EngineError

SECRET = "[secret]"

#: Failures recognised in the Pulumi CLI's output and diagnostics, first match wins: the pattern
#: and one line saying what is wrong and what to do ({stack}, {project}, {backend} filled in).
KNOWN_FAILURES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"no valid credential sources|NoCredentialProviders|failed to refresh cached credentials",
            re.I,
        ),
        "no AWS credentials: run `aws sso login` or `aws configure`, or set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (in CI: assume a role through OIDC)",
    ),
    (
        re.compile(
            r"ExpiredToken|security token included in the request is (expired|invalid)", re.I
        ),
        "the AWS credentials are expired or invalid: log in again (`aws sso login`) or renew the keys",
    ),
    (
        re.compile(r"could not find default credentials", re.I),
        "no Google Cloud credentials: run `gcloud auth application-default login` or set "
        "GOOGLE_APPLICATION_CREDENTIALS to a key file (in CI: workload identity federation)",
    ),
    (
        re.compile(r"incorrect passphrase|message authentication failed", re.I),
        "the passphrase does not decrypt the secrets of stack {stack}: set PULUMI_CONFIG_PASSPHRASE "
        "to the one the stack was created with",
    ),
    (
        re.compile(r"passphrase must be set", re.I),
        "stack {stack} encrypts its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or "
        "PULUMI_CONFIG_PASSPHRASE_FILE)",
    ),
    (
        re.compile(r"PULUMI_ACCESS_TOKEN must be set|No credentials provided", re.I),
        "not logged in to the Pulumi backend {backend}: set PULUMI_ACCESS_TOKEN (or run `pulumi login`), "
        "or use a self-managed backend with --backend file://... or s3://...",
    ),
)


# ------------------------------------------------------------------------------ workspace


@contextmanager
def _workspace(
    target: Target, program: Callable[[], None] | None, *, create: bool, configure: bool = True
) -> Iterator[tuple[Any, list[str] | None]]:
    """The Automation API stack for ``target`` in a temporary workspace directory, and the policy
    packs to attach (a runnable copy of the pack, in the same directory)."""
    from pulumi import automation as auto

    require_cli()
    check_passphrase(target)
    with tempfile.TemporaryDirectory(prefix="clusterforge-") as work_dir:
        opts = auto.LocalWorkspaceOptions(
            work_dir=work_dir,
            project_settings=auto.ProjectSettings(
                name=target.project,
                runtime="python",
                main=work_dir,
                backend=auto.ProjectBackend(target.backend),
            ),
            env_vars=target.env,
            secrets_provider=target.secrets_provider,
        )
        if program is None:
            stack = auto.select_stack(target.stack, work_dir=work_dir, opts=opts)
        else:
            open_stack = auto.create_or_select_stack if create else auto.select_stack
            stack = open_stack(
                target.stack, project_name=target.project, program=program, opts=opts
            )
        if configure:
            stack.set_all_config(
                {key: auto.ConfigValue(value) for key, value in target.config.items()}
            )
            for name, version in target.plugins:
                stack.workspace.install_plugin(name, version)
        yield (
            stack,
            [runnable_policy_pack(target.policy_pack, work_dir)] if target.policy_pack else None,
        )


def _pack_configs(target: Target) -> list[str] | None:
    """``policy_pack_configs`` for the one pack: its ``--policy-pack-config`` file, if any."""
    return [target.policy_config] if target.policy_pack and target.policy_config else None


def _streams(exc: BaseException) -> tuple[int | None, str]:
    """Exit code and output (stderr, then stdout; colour removed) of a failed CLI command.

    The SDK's CommandError only keeps ``str(CommandResult)``: ``code: N / stdout: ... / stderr: ...``.
    """
    text = str(exc)
    parsed = re.fullmatch(r"\s*code: (-?\d+)\n stdout: (.*)\n stderr: (.*)", text, re.S)
    if parsed is None:
        return None, plain_text(text)
    return int(parsed.group(1)), plain_text(parsed.group(3) + "\n" + parsed.group(2))


def _first_error(output: str, collectors: Sequence[EventCollector]) -> str:
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("error:") and len(line) > len("error:"):
            return line[len("error:") :].strip()
    for collector in reversed(collectors):
        errors = collector.result().errors
        if errors:
            return errors[0].message.splitlines()[0]
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[0] if lines else "no output"


def translate(
    exc: BaseException, target: Target, collectors: Sequence[EventCollector] = ()
) -> EngineError:
    """One :class:`EngineError` line for a Pulumi failure, credentials in URLs masked (a backend
    ``postgres://admin:PW@host`` or ``s3://...?secret_key=...`` echoed by the CLI)."""
    from clusterforge.secrets import redact_text

    error = _translate(exc, target, collectors)
    error.message = redact_text(error.message)
    error.hint = redact_text(error.hint) if error.hint else error.hint
    return error


def _translate(
    exc: BaseException, target: Target, collectors: Sequence[EventCollector] = ()
) -> EngineError:
    from pulumi.automation import errors as auto_errors

    where = {"stack": target.stack, "project": target.project, "backend": target.backend}
    if isinstance(exc, FileNotFoundError):
        return EngineError(f"the Pulumi CLI is needed and there is no `pulumi` on PATH: {INSTALL}")
    if isinstance(exc, auto_errors.InvalidVersionError):
        return EngineError(
            f"this Pulumi CLI cannot be used ({exc}): upgrade it with `curl -fsSL https://get.pulumi.com | sh`"
        )
    if isinstance(exc, auto_errors.StackNotFoundError):
        return EngineError(
            "no stack {stack} of project {project} in backend {backend}: create it with `clusterforge up`, "
            "or point --backend / PULUMI_BACKEND_URL at the backend that holds it".format(**where)
        )
    if isinstance(exc, auto_errors.ConcurrentUpdateError):
        return EngineError(
            "stack {stack} of {project} is locked by another update in progress: wait for it to finish; if it "
            "was interrupted, release the lock with `pulumi cancel --stack {stack}` against {backend}".format(
                **where
            )
        )
    code, output = _streams(exc)
    diagnostics = " ".join(d.message for c in collectors for d in c.result().diagnostics)
    for pattern, message in KNOWN_FAILURES:
        if pattern.search(output) or pattern.search(diagnostics):
            return EngineError(message.format(**where))
    if isinstance(exc, auto_errors.InlineSourceRuntimeError):
        return EngineError(
            f"the Pulumi program failed: {_first_error(output, collectors)}",
            hint="rerun with --debug for the traceback",
        )
    failed = f"exit {code}: " if code is not None else ""
    return EngineError(
        f"the Pulumi engine failed ({failed}{_first_error(output, collectors)})",
        hint="rerun with --debug for the full Pulumi output",
    )


@contextmanager
def _translated(target: Target, collectors: list[EventCollector]) -> Iterator[None]:
    from pulumi.automation import errors as auto_errors

    from clusterforge.secrets import redact_text

    try:
        yield
    except (auto_errors.CommandError, auto_errors.InvalidVersionError, FileNotFoundError) as exc:
        raise translate(exc, target, collectors) from exc
    except RuntimeError as exc:
        if "summary event" not in str(exc):
            raise
        # The SDK's own check: the CLI exited 0 but sent no summary event.
        raise EngineError(
            redact_text(f"the Pulumi CLI ended without a result ({exc})"), hint="rerun with --debug"
        ) from exc


def _attempt(
    call: Callable[[], Any], collector: EventCollector, *, drift_check: bool = False
) -> tuple[str, Any]:
    """Run one CLI operation; a failure that is a finding (drift, mandatory policy) is an outcome."""
    from pulumi.automation import errors as auto_errors

    try:
        return "ok", call()
    except auto_errors.CommandError as exc:
        code, output = _streams(exc)
        if drift_check and ("no changes were expected" in output or code == 7):
            return "drift", None
        if any(v.mandatory for v in collector.result().policy_violations):
            return "policy", None
        raise


def _masked(outputs: Mapping[str, Any], show_secrets: bool) -> dict[str, Any]:
    return {
        key: value.value if show_secrets or not value.secret else SECRET
        for key, value in outputs.items()
    }


# ------------------------------------------------------------------------------ operations


def preview(
    target: Target,
    program: Callable[[], None],
    *,
    expect_no_changes: bool = False,
    display: Display | None = None,
) -> RunResult:
    """What ``up`` would change (creates the stack when it does not exist yet)."""
    collector = EventCollector("preview", display)
    with (
        _translated(target, [collector]),
        _workspace(target, program, create=True) as (stack, packs),
        display or NullDisplay(),
    ):
        outcome, _ = _attempt(
            lambda: stack.preview(
                on_event=collector,
                policy_packs=packs,
                policy_pack_configs=_pack_configs(target),
                expect_no_changes=expect_no_changes or None,
                color="never",
            ),
            collector,
            drift_check=expect_no_changes,
        )
    result = collector.result(outcome=outcome)
    if outcome == "ok" and expect_no_changes and result.changed:
        result.outcome = "drift"
    return result


def up(
    target: Target,
    program: Callable[[], None],
    *,
    confirm: Callable[[RunResult], bool],
    allow_data_loss: bool = False,
    display: Display | None = None,
) -> RunResult:
    """Preview, refuse on data loss (unless allowed), ask ``confirm``, then apply.

    Returns the preview's result when nothing was applied (outcome ``no-changes``, ``data-loss``,
    ``policy`` or ``declined``), else the update's result with the stack outputs (secrets masked).
    """
    planned_events = EventCollector("preview", display)
    collectors = [planned_events]
    with (
        _translated(target, collectors),
        _workspace(target, program, create=True) as (stack, packs),
    ):
        with display or NullDisplay():
            outcome, _ = _attempt(
                lambda: stack.preview(
                    on_event=planned_events,
                    policy_packs=packs,
                    policy_pack_configs=_pack_configs(target),
                    color="never",
                ),
                planned_events,
            )
        planned = planned_events.result(outcome=outcome)
        if outcome != "ok":
            return planned
        if planned.data_loss and not allow_data_loss:
            planned.outcome = "data-loss"
            return planned
        if not planned.changed:
            planned.outcome = "no-changes"
            planned.outputs = _masked(stack.outputs(), False)
            return planned
        if not confirm(planned):
            planned.outcome = "declined"
            return planned
        applied_events = EventCollector("up", display)
        collectors.append(applied_events)
        with display or NullDisplay():
            outcome, applied = _attempt(
                lambda: stack.up(
                    on_event=applied_events,
                    policy_packs=packs,
                    policy_pack_configs=_pack_configs(target),
                    color="never",
                ),
                applied_events,
            )
        return applied_events.result(
            outcome=outcome, outputs=_masked(applied.outputs, False) if applied else {}
        )


def _protected(stack: Any) -> list[tuple[str, str]]:
    """``(urn, type)`` of the protected resources in the stack's state."""
    deployment = stack.export_stack().deployment or {}
    return [(r["urn"], r["type"]) for r in deployment.get("resources") or [] if r.get("protect")]


def destroy(
    target: Target,
    program: Callable[[], None],
    *,
    confirm: Callable[[RunResult], bool],
    include_protected: Callable[[], None] | None = None,
    display: Display | None = None,
) -> RunResult:
    """Destroy the stack's resources, keeping protected ones (and what they depend on).

    ``include_protected`` is the program with storage protection turned off: when given, the
    protected resources are first updated through it (``up --target`` those resources only, which
    turns off ``protect`` and ``retainOnDelete``), then everything is destroyed — data included.
    """
    planned_events = EventCollector("preview-destroy", display)
    collectors = [planned_events]
    with _translated(target, collectors), _workspace(target, program, create=False) as (stack, _):
        protected = _protected(stack)
        with display or NullDisplay():
            _attempt(
                lambda: stack.preview_destroy(
                    on_event=planned_events, exclude_protected=True, color="never"
                ),
                planned_events,
            )
        planned = planned_events.result()
        if include_protected is None:
            planned.kept = [(type_token, urn.rsplit("::", 1)[-1]) for urn, type_token in protected]
        elif protected:
            planned.steps.extend(
                Step(urn, type_token, "delete", protected=True) for urn, type_token in protected
            )
            planned.changes["delete"] = planned.changes.get("delete", 0) + len(protected)
        if not planned.changed:
            planned.outcome = "no-changes"
            return planned
        if not confirm(planned):
            planned.outcome = "declined"
            return planned
        with display or NullDisplay():
            if include_protected is not None and protected:
                unprotect = EventCollector("up", display)
                collectors.append(unprotect)
                stack.up(
                    program=include_protected,
                    target=[urn for urn, _ in protected],
                    on_event=unprotect,
                    color="never",
                )
            events = EventCollector("destroy", display)
            collectors.append(events)
            stack.destroy(
                on_event=events, exclude_protected=include_protected is None, color="never"
            )
        return events.result(kept=planned.kept)


def refresh(
    target: Target,
    program: Callable[[], None],
    *,
    preview_only: bool = False,
    expect_no_changes: bool = False,
    display: Display | None = None,
) -> RunResult:
    """Read the cloud and update the stack's state (``preview_only``: only show the drift)."""
    collector = EventCollector("preview-refresh" if preview_only else "refresh", display)
    with (
        _translated(target, [collector]),
        _workspace(target, program, create=False) as (stack, _),
        display or NullDisplay(),
    ):
        operation = stack.preview_refresh if preview_only else stack.refresh
        outcome, _ = _attempt(
            lambda: operation(
                on_event=collector, expect_no_changes=expect_no_changes or None, color="never"
            ),
            collector,
            drift_check=expect_no_changes,
        )
    result = collector.result(outcome=outcome)
    if outcome == "ok" and expect_no_changes and result.changed:
        result.outcome = "drift"
    return result


def outputs(target: Target, *, show_secrets: bool = False) -> dict[str, Any]:
    """The stack's outputs (secrets masked unless ``show_secrets``)."""
    with (
        _translated(target, []),
        _workspace(target, None, create=False, configure=False) as (stack, _),
    ):
        return _masked(stack.outputs(), show_secrets)
