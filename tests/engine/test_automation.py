"""The Automation API engine without a Pulumi CLI: the workspace settings and the program the
deploy commands build, and the mapping of Pulumi failures to one-line engine errors."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation import CommandResult, InvalidVersionError, errors

from clusterforge import api
from clusterforge.engine import automation, offline, plan_offline
from clusterforge.engine import target as deploy_target
from clusterforge.engine.events import EventCollector
from clusterforge.engine.target import Target
from clusterforge.errors import EngineError

from helpers import EXAMPLES, cluster_from

TARGET = Target(project="llm-train", stack="dev", cloud="aws", backend="file:///state")


# ------------------------------------------------------------------------------ settings


def test_backend_flag_wins_over_the_environment() -> None:
    assert (
        deploy_target.backend_url("s3://bucket", {"PULUMI_BACKEND_URL": "gs://other"})
        == "s3://bucket"
    )
    assert deploy_target.backend_url(None, {"PULUMI_BACKEND_URL": "gs://other"}) == "gs://other"


def test_default_backend_is_a_local_directory_it_creates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    url = deploy_target.backend_url(None, {})
    assert url == (tmp_path / ".clusterforge" / "state").as_uri()
    assert (tmp_path / ".clusterforge" / "state").is_dir()


@pytest.mark.parametrize(
    ("backend", "provider", "needed"),
    [
        ("file:///state", None, True),
        ("s3://bucket/prefix", None, True),
        ("gs://bucket", "passphrase", True),
        ("s3://bucket", "awskms://alias/pulumi", False),
        ("https://api.pulumi.com", None, False),
    ],
)
def test_which_backends_need_a_passphrase(backend: str, provider: str | None, needed: bool) -> None:
    assert deploy_target.needs_passphrase(backend, provider) is needed


def test_a_missing_passphrase_is_one_line_with_what_to_do() -> None:
    with pytest.raises(EngineError) as caught:
        deploy_target.check_passphrase(TARGET, {})
    assert "PULUMI_CONFIG_PASSPHRASE" in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_code == 3
    deploy_target.check_passphrase(TARGET, {"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/pass"})
    deploy_target.check_passphrase(
        TARGET, {"PULUMI_CONFIG_PASSPHRASE": ""}
    )  # empty is a passphrase too


def test_provider_configuration_comes_from_the_spec() -> None:
    aws = cluster_from({"region": "us-west-2", "zone": None})
    assert deploy_target.provider_config(aws) == {
        "clusterforge:cloud": "aws",
        "aws:region": "us-west-2",
    }
    gcp = aws.model_copy(
        update={
            "cloud": "gcp",
            "region": "us-central1",
            "zone": "us-central1-a",
            "project": "ml-prod",
        }
    )
    assert deploy_target.provider_config(gcp) == {
        "clusterforge:cloud": "gcp", "gcp:project": "ml-prod", "gcp:region": "us-central1", "gcp:zone": "us-central1-a",
    }  # fmt: skip
    existing = aws.model_copy(
        update={"kubernetes": aws.kubernetes.model_copy(update={"context": "prod-admin"})}
    )
    assert deploy_target.provider_config(existing)["kubernetes:context"] == "prod-admin"


def test_plugins_are_the_providers_the_program_uses_at_the_sdk_versions() -> None:
    types = [
        "pulumi:pulumi:Stack",
        "clusterforge:aws:Cluster",
        "pulumi:providers:aws",
        "aws:ec2/vpc:Vpc",
        "kubernetes:core/v1:Namespace",
    ]
    assert deploy_target.packages_of(types) == {"aws", "kubernetes"}
    plugins = dict(deploy_target.plugins_for({"aws", "kubernetes", "no-such-provider"}))
    assert plugins == {
        "aws": "v" + importlib.metadata.version("pulumi-aws"),
        "kubernetes": "v" + importlib.metadata.version("pulumi-kubernetes"),
    }


def test_the_policy_pack_is_attached_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    monkeypatch.setattr(deploy_target.importlib.resources, "files", lambda name: tmp_path)
    target = deploy_target.make_target(cluster_from(), "dev", backend="file:///state")
    assert target.policy_pack == str(tmp_path)
    assert target.env[
        "PULUMI_PYTHON_CMD"
    ]  # the pack runs with this interpreter (pulumi_policy, clusterforge)
    assert (
        deploy_target.make_target(
            cluster_from(), "dev", backend="file:///state", policy=False
        ).policy_pack
        is None
    )


def test_the_attached_pack_runs_in_this_environment(tmp_path: Path) -> None:
    pack = tmp_path / "policies"
    (pack / "venv").mkdir(parents=True)
    (pack / "__main__.py").write_text("print('pack')\n")
    (pack / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options: {toolchain: pip, virtualenv: venv}\nversion: 0.1.0\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    copy = Path(deploy_target.runnable_policy_pack(str(pack), str(work)))
    settings = yaml.safe_load((copy / "PulumiPolicy.yaml").read_text())
    assert settings["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": sys.prefix},
    }
    assert (
        settings["version"] == "0.1.0"
        and (copy / "__main__.py").is_file()
        and not (copy / "venv").exists()
    )
    assert (pack / "PulumiPolicy.yaml").read_text().count(
        "virtualenv: venv"
    ) == 1  # the installed pack is untouched


def test_the_real_pack_when_it_is_installed() -> None:
    source = deploy_target.policy_pack_dir()
    if source is None:
        pytest.skip("clusterforge.policies is not installed")
    assert (Path(source) / "__main__.py").is_file()


def test_no_policy_pack_when_the_package_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> Any:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(deploy_target.importlib.resources, "files", absent)
    assert deploy_target.policy_pack_dir() is None


def test_the_target_of_an_example(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(deploy_target, "require_cli", lambda: None)
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file://" + str(tmp_path))
    deployment = api._prepare(
        EXAMPLES / "aws-trainium.yaml", api.DeployOptions("prod", policy=False)
    )
    target = deployment.target
    assert target is not None
    assert (target.project, target.stack, target.cloud, target.backend) == (
        "trn-train",
        "prod",
        "aws",
        "file://" + str(tmp_path),
    )
    assert target.config["aws:region"] == "us-west-2"
    assert dict(target.plugins)["aws"] == "v" + importlib.metadata.version("pulumi-aws")
    assert deployment.report.resolved is not None
    used = deploy_target.packages_of(
        r.type for r in plan_offline(deployment.report.resolved, stack="prod").resources
    )
    assert set(dict(target.plugins)) == used  # exactly the providers the program uses
    assert (
        target.env["PULUMI_BACKEND_URL"] == target.backend
    )  # the CLI prefers the variable to Pulumi.yaml


def test_validation_errors_stop_before_the_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_engine() -> None:
        raise AssertionError("the engine must not be reached")

    monkeypatch.setattr(deploy_target, "require_cli", no_engine)
    stack = tmp_path / "bad.yaml"
    stack.write_text(
        "name: bad\ncloud: aws\nregion: us-east-1\nnode_pools:\n  - {name: gpu, instance_type: p5.48xlarg, nodes: 1}\n"
    )
    deployment = api.preview_stack(stack, api.DeployOptions("dev"))
    assert deployment.target is None and deployment.result is None
    assert any(f.rule == "POOL001" for f in deployment.report.findings)


def test_the_preview_runs_the_program_plan_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inline program handed to the Automation API registers what `clusterforge plan` plans."""
    seen: dict[str, Any] = {}

    def fake_preview(target: Target, program: Any, **kwargs: Any) -> None:
        seen.update(target=target, program=program)

    monkeypatch.setattr(deploy_target, "require_cli", lambda: None)
    monkeypatch.setattr(automation, "preview", fake_preview)
    deployment = api.preview_stack(
        EXAMPLES / "aws-h100-training.py", api.DeployOptions("dev", backend="file:///state")
    )
    graph = offline.run(
        seen["program"], project=seen["target"].project, stack="dev", region="us-east-1"
    )
    expected = plan_offline(deployment.report.resolved)
    assert [(r.urn, r.inputs, r.options) for r in graph.resources] == [
        (r.urn, r.inputs, r.options) for r in expected.resources
    ]


def test_destroy_with_protected_storage_builds_an_unprotected_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_destroy(
        target: Target, program: Any, *, include_protected: Any, **kwargs: Any
    ) -> None:
        seen.update(program=program, unprotected=include_protected)

    monkeypatch.setattr(deploy_target, "require_cli", lambda: None)
    monkeypatch.setattr(automation, "destroy", fake_destroy)
    options = api.DeployOptions("dev", backend="file:///state")
    api.destroy_stack(
        EXAMPLES / "aws-h100-training.py",
        options,
        confirm=lambda _: True,
        include_protected_storage=True,
    )

    def file_system(program: Any) -> Any:
        graph = offline.run(program, project="llm-train", stack="dev", region="us-east-1")
        return graph.of_type("aws:fsx/lustreFileSystem:LustreFileSystem")[0]

    assert file_system(seen["program"]).options["protect"] is True
    unprotected = file_system(seen["unprotected"])
    assert (
        unprotected.options["protect"] is False and unprotected.options["retainOnDelete"] is False
    )
    api.destroy_stack(EXAMPLES / "aws-h100-training.py", options, confirm=lambda _: True)
    assert seen["unprotected"] is None


# ------------------------------------------------------------------------------ errors


def command_error(stderr: str = "", stdout: str = "", code: int = 255) -> errors.CommandError:
    """The exception the SDK raises for a failed CLI command, classified as the SDK does."""
    return errors.create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=code))


def one_line(error: EngineError) -> str:
    text = str(error)
    assert "\n" not in text and error.exit_code == 3
    return text


def test_no_pulumi_on_path_says_how_to_install_and_that_plan_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError) as caught:
        deploy_target.require_cli()
    text = one_line(caught.value)
    assert "get.pulumi.com" in text and "clusterforge plan" in text
    assert "get.pulumi.com" in one_line(
        automation.translate(FileNotFoundError(2, "No such file", "pulumi"), TARGET)
    )


def test_unknown_stack() -> None:
    error = command_error("error: no stack named 'prod' found")
    assert isinstance(error, errors.StackNotFoundError)
    text = one_line(automation.translate(error, TARGET))
    assert (
        "no stack dev of project llm-train in backend file:///state" in text
        and "clusterforge up" in text
    )


@pytest.mark.parametrize(
    "stderr",
    [
        "error: [409] Conflict: Another update is currently in progress.",
        "error: the stack is currently locked by 1 lock(s). Either wait for the other processes to end or delete the lock file with `pulumi cancel`.",
    ],
)
def test_concurrent_update(stderr: str) -> None:
    error = command_error(stderr)
    assert isinstance(error, errors.ConcurrentUpdateError)
    text = one_line(automation.translate(error, TARGET))
    assert "locked by another update" in text and "pulumi cancel" in text


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "error: pulumi:providers:aws resource 'default' has a problem: No valid credential sources found.",
            "no AWS credentials",
        ),
        ("error: NoCredentialProviders: no valid providers in chain", "no AWS credentials"),
        ("failed to refresh cached credentials, no EC2 IMDS role found", "no AWS credentials"),
        ("error: ExpiredToken: The security token included in the request is expired", "expired"),
        (
            "google: could not find default credentials. See https://cloud.google.com/docs/authentication",
            "gcloud auth application-default login",
        ),
        (
            "error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
            "PULUMI_CONFIG_PASSPHRASE",
        ),
        ("error: incorrect passphrase", "does not decrypt"),
        (
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
            "PULUMI_ACCESS_TOKEN",
        ),
    ],
)
def test_credential_failures_say_what_to_do(output: str, expected: str) -> None:
    assert expected in one_line(automation.translate(command_error(output), TARGET))


def test_credential_failure_seen_only_in_a_diagnostic_event() -> None:
    from pulumi.automation import DiagnosticEvent, EngineEvent

    collector = EventCollector("up")
    message = "\x1b[31merror:\x1b[0m could not find default credentials. See https://cloud.google.com/docs"
    collector(EngineEvent(1, 0, diagnostic_event=DiagnosticEvent(message, "never", "error")))
    error = command_error("error: update failed")
    assert "no Google Cloud credentials" in one_line(
        automation.translate(error, TARGET, [collector])
    )


def test_other_failures_show_the_first_error_line() -> None:
    error = command_error(
        "warning: something\nerror: preview failed: 1 error occurred\nmore detail", code=4
    )
    engine_error = automation.translate(error, TARGET)
    assert (
        one_line(engine_error)
        == "the Pulumi engine failed (exit 4: preview failed: 1 error occurred)"
    )
    assert engine_error.hint and "--debug" in engine_error.hint


def test_an_old_cli_asks_for_an_upgrade() -> None:
    text = one_line(
        automation.translate(InvalidVersionError("Minimum version requirement failed"), TARGET)
    )
    assert "upgrade" in text and "Minimum version" in text


# ------------------------------------------------------------------------------ the rest of the mapping
# Each branch of automation.translate / _translated / _attempt, called directly with the error the
# SDK raises (errors.create_command_error classifies a CommandResult as the SDK does).


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("error: InvalidClientTokenId: The security token included in the request is invalid", "expired or invalid"),
        ("error: failed to decrypt: message authentication failed", "does not decrypt"),
        ("error: No credentials provided", "PULUMI_ACCESS_TOKEN"),
    ],
)  # fmt: skip
def test_the_other_spellings_of_credential_failures(output: str, expected: str) -> None:
    assert expected in one_line(automation.translate(command_error(output), TARGET))


def test_a_failing_inline_program_says_so_and_where_to_look() -> None:
    error = command_error(
        stdout="error: python inline source runtime error: KeyError: 'subnet'\nmore", code=1
    )
    assert isinstance(error, errors.InlineSourceRuntimeError)
    engine_error = automation.translate(error, TARGET)
    assert one_line(engine_error) == (
        "the Pulumi program failed: python inline source runtime error: KeyError: 'subnet'"
    )
    assert engine_error.hint and "traceback" in engine_error.hint


def test_the_first_error_comes_from_the_events_when_the_output_has_none() -> None:
    from pulumi.automation import DiagnosticEvent, EngineEvent

    collector = EventCollector("up")
    message = "creating EKS cluster: AccessDeniedException: not authorized\ndetail"
    collector(EngineEvent(1, 0, diagnostic_event=DiagnosticEvent(message, "never", "error")))
    error = command_error("warning: slow\n", code=1)
    assert one_line(automation.translate(error, TARGET, [collector])) == (
        "the Pulumi engine failed (exit 1: creating EKS cluster: AccessDeniedException: not authorized)"
    )
    assert automation._first_error("", []) == "no output"
    assert automation._first_error("  \nfirst line\nsecond", []) == "first line"


def test_credentials_in_urls_never_reach_the_error_line() -> None:
    error = command_error("error: could not open backend postgres://admin:hunter2@db:5432/state")
    text = one_line(automation.translate(error, TARGET))
    assert "hunter2" not in text and "postgres://" in text


def test_a_cli_that_ends_without_a_summary_is_one_engine_error() -> None:
    with pytest.raises(EngineError) as caught, automation._translated(TARGET, []):
        raise RuntimeError("summary event never arrived")
    assert "ended without a result" in one_line(caught.value) and caught.value.hint
    with pytest.raises(RuntimeError, match="something else"), automation._translated(TARGET, []):
        raise RuntimeError("something else")  # not the SDK's check: a bug, not an engine error
    with (
        pytest.raises(EngineError, match="locked by another update"),
        automation._translated(TARGET, []),
    ):
        raise command_error("error: [409] Conflict: Another update is currently in progress.")


def test_drift_and_mandatory_policies_are_outcomes_not_errors() -> None:
    from pulumi.automation import EngineEvent, PolicyEvent

    def fails(error: errors.CommandError) -> Any:
        def call() -> Any:
            raise error

        return call

    drift = command_error("error: no changes were expected but changes were proposed", code=255)
    assert automation._attempt(fails(drift), EventCollector("preview"), drift_check=True) == (
        "drift",
        None,
    )
    assert automation._attempt(
        fails(command_error("error: update failed", code=7)), EventCollector("preview"),
        drift_check=True,
    ) == ("drift", None)  # fmt: skip
    with pytest.raises(errors.CommandError):  # without --expect-no-changes it is a failure
        automation._attempt(fails(drift), EventCollector("preview"))
    collector = EventCollector("preview")
    policy = PolicyEvent("not protected", "raw", "CF-DATA-001", "clusterforge", "0.1.0", "", "mandatory", "urn")  # fmt: skip
    collector(EngineEvent(1, 0, policy_event=policy))
    assert automation._attempt(fails(command_error("error: preview failed")), collector) == (
        "policy",
        None,
    )
    advisory = EventCollector("preview")
    advisory(EngineEvent(1, 0, policy_event=PolicyEvent("x", "raw", "CF-GOV-004", "clusterforge", "0.1.0", "", "advisory", "urn")))  # fmt: skip
    with pytest.raises(errors.CommandError):
        automation._attempt(fails(command_error("error: preview failed")), advisory)
    assert automation._attempt(lambda: "result", EventCollector("preview")) == ("ok", "result")
