"""`clusterforge preview|up|destroy|refresh|outputs` end to end, against a STAND-IN `pulumi`.

There is no Pulumi CLI on the test machine. ``tests/engine/standin_pulumi.py`` (named a stand-in
in its docstring: it is not Pulumi) is put first on PATH; the real Automation API SDK drives it as
it drives the CLI. It answers from a recorded plan — the offline plan of the example — and keeps
stack state in the backend directory the tool chose. What it cannot show (the program running
under the real engine) is covered in tests/engine/test_automation.py and tests/stacks/.

Two tests (marked "spawned") run the stand-in as a process, as the SDK runs the real CLI, with
the inline program served to it over gRPC. The others call the same stand-in in this process
(``install_in_process``: the SDK's ``PulumiCommand`` runs it as a function), which spares a
Python start per CLI call; everything from the command line down to the SDK's errors and event
log is the same code. The engine's error mapping itself is unit-tested in
tests/engine/test_automation.py.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from clusterforge import api
from clusterforge.cli import deploy
from clusterforge.cli.main import cli
from clusterforge.engine import target

from helpers import EXAMPLES
from tests.engine.standin_pulumi import calls, deployed, install, install_in_process, plan_of

EXAMPLE = str(EXAMPLES / "aws-h100-training.py")
FS_TYPE = "aws:fsx/lustreFileSystem:LustreFileSystem"
#: The file system's S3 link, protected like the file system.
DRA_TYPE = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
OUTPUTS = {
    "clusterName": {"value": "llm-train", "secret": False},
    "kubeconfig": {"value": "apiVersion: v1\nkind: Config", "secret": True},
}


@pytest.fixture(scope="module", autouse=True)
def plan_each_spec_once() -> Iterator[None]:
    """Every deploy command plans its stack offline (plugins, URN → spec path): the same spec
    gives the same plan, so this module computes it once per spec and stack — the real
    ``plan_offline``, memoised — instead of once per command. Planning is most of a deploy
    test's time."""
    from clusterforge import engine

    real = engine.plan_offline
    planned: dict[tuple[str, str], Any] = {}

    def memo_plan_offline(resolved: Any, stack: str = engine.DEFAULT_STACK) -> Any:
        key = (resolved.spec.model_dump_json(), stack)
        if key not in planned:
            planned[key] = real(resolved, stack)
        return planned[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "plan_offline", memo_plan_offline)
        yield


@pytest.fixture(scope="module")
def plan(plan_each_spec_once: None) -> list[dict[str, Any]]:
    _, report = api.plan_stack(EXAMPLE, stack_name="dev")
    assert report.graph is not None
    return plan_of(report.graph)


class Pulumi:
    """The installed stand-in: its scenario, its call log and the stack state it keeps."""

    def __init__(self, directory: Path, scenario: dict[str, Any], home: Path) -> None:
        self.directory, self.scenario, self.home = directory, scenario, home

    def update(self, **changes: Any) -> None:
        self.scenario.update(changes)
        install(self.directory, self.scenario)

    def calls(self, command: str | None = None) -> list[list[str]]:
        argvs = [c["argv"] for c in calls(self.directory)]
        return [a for a in argvs if command is None or a[0] == command]

    def state(self, stack: str = "dev") -> dict[str, Any]:
        path = self.home / ".clusterforge" / "state" / ".standin" / "llm-train" / f"{stack}.json"
        return json.loads(path.read_text())

    def urn(self, type_token: str) -> str:
        return next(r["urn"] for r in self.scenario["plan"] if r["type"] == type_token)

    def deployed(self) -> None:
        """Start from a stack where the example is up (as `up` leaves it; tested on its own below)."""
        config = {"clusterforge:cloud": "aws", "aws:region": "us-east-1"}
        deployed(
            self.home / ".clusterforge" / "state",
            "llm-train",
            "dev",
            self.scenario["plan"],
            OUTPUTS,
            config,
        )


@pytest.fixture
def spawned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan: list[dict[str, Any]]) -> Pulumi:
    """The stand-in as a process on PATH, as the SDK runs the real CLI."""
    scenario = {
        "plan": plan,
        "outputs": OUTPUTS,
        "version": "3.200.0",
    }  # file event log; gRPC in one test below
    directory = install(tmp_path / "bin", scenario)
    monkeypatch.setenv("PATH", f"{directory}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path))  # the default backend: file://~/.clusterforge/state
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setattr(target, "policy_pack_dir", lambda: None)
    return Pulumi(directory, scenario, tmp_path)


@pytest.fixture
def pulumi(spawned: Pulumi, monkeypatch: pytest.MonkeyPatch) -> Pulumi:
    """The same stand-in, called in this process (the SDK's PulumiCommand runs it)."""
    install_in_process(monkeypatch, spawned.directory)
    return spawned


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def up(*extra: str) -> tuple[int, str, str]:
    return run("up", EXAMPLE, "--stack", "dev", "--yes", *extra)


# ------------------------------------------------------------------------------ a new user


def test_without_pulumi_preview_says_to_install_it_and_that_plan_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 3 and out == ""
    [line] = err.splitlines()
    assert (
        "Pulumi CLI is needed" in line
        and "get.pulumi.com" in line
        and "`clusterforge plan` works without it" in line
    )


def test_a_missing_passphrase_stops_before_the_cli_runs(
    pulumi: Pulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    code, _, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 3 and "set PULUMI_CONFIG_PASSPHRASE" in err and len(err.splitlines()) == 1
    assert pulumi.calls() == []


def test_validation_errors_are_findings_before_any_engine_call(
    pulumi: Pulumi, tmp_path: Path
) -> None:
    stack = tmp_path / "bad.yaml"
    stack.write_text(
        "name: bad\ncloud: aws\nregion: us-east-1\nnode_pools:\n  - {name: gpu, instance_type: p5.48xlarg, nodes: 1}\n"
    )
    code, out, _ = run("preview", str(stack), "--stack", "dev")
    assert code == 1 and "POOL001" in out and "did you mean" in out.lower()
    assert pulumi.calls() == []
    code, _, _ = run("preview", str(tmp_path / "missing.yaml"), "--stack", "dev")
    assert code == 2


# ------------------------------------------------------------------------------ preview


def test_first_preview_creates_the_stack_configures_it_and_previews_every_resource(
    spawned: Pulumi,
) -> None:
    """Spawned: the CLI as a process, the inline program run through the SDK's language server."""
    pulumi = spawned
    code, out, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 0, err
    assert "+ create  aws:fsx:LustreFileSystem llm-train-scratch-fs" in out
    assert (
        f"preview llm-train/dev ({(pulumi.home / '.clusterforge' / 'state').as_uri()}): + {len(pulumi.scenario['plan'])} to create"
        in out
    )
    argvs = pulumi.calls()
    assert ["stack", "init", "dev"] in argvs  # after `stack select` found none
    assert [
        "plugin",
        "install",
        "resource",
        "aws",
        dict(target.plugins_for(["aws"]))["aws"],
    ] in argvs
    assert pulumi.state()["config"] == {"clusterforge:cloud": "aws", "aws:region": "us-east-1"}
    [preview] = pulumi.calls("preview")
    assert "--policy-pack" not in preview and "--event-log" in preview and "--exec-kind" in preview
    env = calls(pulumi.directory)[-1]["env"]
    assert env["PULUMI_BACKEND_URL"] == (pulumi.home / ".clusterforge" / "state").as_uri()
    # The stand-in ran the inline program through the SDK's language server (--client): the
    # program registers through the SDK what `plan` plans.
    registered = json.loads((pulumi.directory / "registered.json").read_text())
    key = lambda r: (r["urn"], r["type"], r["protect"])  # noqa: E731 - registration order is concurrent
    assert sorted(map(key, registered)) == sorted(map(key, pulumi.scenario["plan"]))


def test_the_policy_pack_is_attached_unless_no_policy(
    pulumi: Pulumi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options: {virtualenv: venv}\n"
    )
    monkeypatch.setattr(target, "policy_pack_dir", lambda: str(pack))
    assert run("preview", EXAMPLE, "--stack", "dev")[0] == 0
    assert run("preview", EXAMPLE, "--stack", "dev", "--no-policy")[0] == 0
    with_pack, without = [c for c in calls(pulumi.directory) if c["argv"][0] == "preview"]
    [(path, settings)] = with_pack["policy_packs"].items()
    assert path in with_pack["argv"] and path != str(pack)  # a runnable copy in the workspace ...
    assert (
        yaml.safe_load(settings)["runtime"]["options"]["virtualenv"] == sys.prefix
    )  # ... on this environment
    assert "--policy-pack" not in without["argv"]


def test_backend_flag_and_json_summary(pulumi: Pulumi, tmp_path: Path) -> None:
    backend = (tmp_path / "team-state").as_uri()
    code, out, err = run("preview", EXAMPLE, "--stack", "dev", "--backend", backend, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["target"]["backend"] == backend and summary["target"]["project"] == "llm-train"
    assert summary["command"] == "preview" and summary["changes"] == {
        "create": len(pulumi.scenario["plan"])
    }
    assert "+ create" in err  # progress goes to stderr with --json
    assert (tmp_path / "team-state" / ".standin" / "llm-train" / "dev.json").exists()


def test_the_event_log_also_arrives_over_grpc(pulumi: Pulumi) -> None:
    pulumi.update(version="3.272.0")  # CLIs after 3.205 stream events over gRPC
    code, out, _ = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 0 and "llm-train-scratch-fs" in out
    assert pulumi.calls("preview")[0][
        pulumi.calls("preview")[0].index("--event-log") + 1
    ].startswith("tcp://")


# ------------------------------------------------------------------------------ up


def test_up_needs_yes_without_a_terminal(pulumi: Pulumi) -> None:
    code, _, err = run("up", EXAMPLE, "--stack", "dev")
    assert code == 2 and "pass --yes" in err
    assert pulumi.calls() == []


def test_up_previews_applies_and_reports_masked_outputs(spawned: Pulumi) -> None:
    """Spawned: up through the CLI process (the update applies what the preview's program
    registered)."""
    pulumi = spawned
    code, out, err = up("--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["command"] == "up" and summary["outcome"] == "ok"
    assert summary["outputs"] == {"clusterName": "llm-train", "kubeconfig": "[secret]"}
    assert [a[0] for a in pulumi.calls() if a[0] in ("preview", "up")] == ["preview", "up"]
    assert len(pulumi.state()["resources"]) == len(pulumi.scenario["plan"])
    # nothing left to do: the second up only previews
    code, out, _ = up()
    assert code == 0 and "no changes" in out
    assert len(pulumi.calls("up")) == 1


def test_up_on_a_terminal_asks_first(pulumi: Pulumi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "_interactive", lambda: True)
    code, out, err = run("up", EXAMPLE, "--stack", "dev", stdin="n\n")
    assert code == 1 and "Apply these changes to stack dev?" in out and "cancelled" in err
    assert pulumi.calls("up") == []
    code, out, _ = run("up", EXAMPLE, "--stack", "dev", stdin="y\n")
    assert code == 0 and len(pulumi.calls("up")) == 1


def test_up_refuses_to_replace_a_file_system_unless_allowed(pulumi: Pulumi) -> None:
    pulumi.deployed()
    pulumi.update(changes={pulumi.urn(FS_TYPE): "replace"})
    code, out, err = up()
    assert code == 1
    assert f"DATA LOSS: {FS_TYPE} llm-train-scratch-fs would be replaced" in out
    assert "--allow-data-loss" in err
    assert pulumi.calls("up") == []  # the refused update never ran
    code, out, _ = up("--allow-data-loss")
    assert code == 0 and f"data lost: {FS_TYPE} llm-train-scratch-fs replaced" in out
    assert len(pulumi.calls("up")) == 1


# ------------------------------------------------------------------------------ drift


def test_preview_expect_no_changes_is_the_code_drift_check(pulumi: Pulumi) -> None:
    pulumi.deployed()
    assert run("preview", EXAMPLE, "--stack", "dev", "--expect-no-changes")[0] == 0
    pulumi.update(changes={pulumi.urn("aws:eks/cluster:Cluster"): "update"})
    code, out, err = run("preview", EXAMPLE, "--stack", "dev", "--expect-no-changes")
    assert code == 1 and "~ 1 to update" in out and "drift" in err


def test_refresh_preview_only_expect_no_changes_is_the_cloud_drift_check(pulumi: Pulumi) -> None:
    pulumi.deployed()
    assert (
        run("refresh", EXAMPLE, "--stack", "dev", "--preview-only", "--expect-no-changes")[0] == 0
    )
    pulumi.update(drift={pulumi.urn("aws:eks/nodeGroup:NodeGroup"): "update"})
    code, out, err = run(
        "refresh", EXAMPLE, "--stack", "dev", "--preview-only", "--expect-no-changes"
    )
    assert code == 1 and "drift" in err
    assert all("--preview-only" in a for a in pulumi.calls("refresh"))
    assert (
        run("refresh", EXAMPLE, "--stack", "dev")[0] == 0
    )  # without --expect-no-changes drift is fine
    assert "--skip-preview" in pulumi.calls("refresh")[-1]  # and the state is written


# ------------------------------------------------------------------------------ destroy and outputs


def test_destroy_keeps_protected_storage(pulumi: Pulumi) -> None:
    pulumi.deployed()
    code, out, err = run("destroy", EXAMPLE, "--stack", "dev")
    assert code == 2 and "pass --yes" in err
    code, out, err = run("destroy", EXAMPLE, "--stack", "dev", "--yes")
    assert code == 0, err
    assert "kept (protected): " in out and f"{FS_TYPE} llm-train-scratch-fs" in out
    assert f"{DRA_TYPE} llm-train-scratch-s3" in out
    assert all("--exclude-protected" in a for a in pulumi.calls("destroy"))
    assert sorted(r["type"] for r in pulumi.state()["resources"]) == [DRA_TYPE, FS_TYPE]


def test_destroy_include_protected_storage_unprotects_then_deletes_everything(
    pulumi: Pulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    pulumi.deployed()
    monkeypatch.setattr(deploy, "_interactive", lambda: True)
    code, out, _ = run(
        "destroy", EXAMPLE, "--stack", "dev", "--include-protected-storage", stdin="n\n"
    )
    assert code == 1 and "its protected storage WITH ITS DATA" in out
    assert f"DATA LOSS: {FS_TYPE} llm-train-scratch-fs would be deleted" in out
    assert pulumi.state()["resources"]  # nothing happened
    code, out, err = run(
        "destroy", EXAMPLE, "--stack", "dev", "--include-protected-storage", "--yes"
    )
    assert code == 0, err
    targeted = [a for a in pulumi.calls("up") if "--target" in a]
    targets = [a[i + 1] for a in targeted for i, word in enumerate(a) if word == "--target"]
    assert sorted(targets) == sorted([pulumi.urn(DRA_TYPE), pulumi.urn(FS_TYPE)])
    assert "--exclude-protected" not in pulumi.calls("destroy")[-1]
    assert pulumi.state()["resources"] == []


def test_outputs_are_masked_unless_asked(pulumi: Pulumi) -> None:
    pulumi.deployed()
    code, out, _ = run("outputs", EXAMPLE, "--stack", "dev")
    assert code == 0 and out.splitlines() == ["clusterName: llm-train", "kubeconfig: [secret]"]
    code, out, _ = run("outputs", EXAMPLE, "--stack", "dev", "--show-secrets", "--json")
    assert json.loads(out)["outputs"]["kubeconfig"] == "apiVersion: v1\nkind: Config"


# ------------------------------------------------------------------------------ engine errors


@pytest.mark.parametrize("command", ["outputs", "refresh", "destroy"])
def test_an_unknown_stack_is_one_line(pulumi: Pulumi, command: str) -> None:
    extra = ["--yes"] if command == "destroy" else []
    code, _, err = run(command, EXAMPLE, "--stack", "prod", *extra)
    assert code == 3 and err.splitlines() == [
        f"error: no stack prod of project llm-train in backend {(pulumi.home / '.clusterforge' / 'state').as_uri()}: "
        "create it with `clusterforge up`, or point --backend / PULUMI_BACKEND_URL at the backend that holds it"
    ]


def test_a_concurrent_update(pulumi: Pulumi) -> None:
    lock = "error: the stack is currently locked by 1 lock(s). Either wait for the other processes to end or delete the lock file with `pulumi cancel`."
    pulumi.update(fail={"preview": {"stderr": lock}})
    code, _, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 3 and "locked by another update" in err and "Traceback" not in err


def test_missing_cloud_credentials(pulumi: Pulumi) -> None:
    diagnostic = {
        "diagnosticEvent": {
            "message": "error: pulumi:providers:aws resource 'llm-train-aws' has a problem: No valid credential sources found.",
            "color": "never",
            "severity": "error",
        }
    }
    pulumi.update(fail={"preview": {"stderr": "error: preview failed", "events": [diagnostic]}})
    code, out, err = up()
    assert code == 3 and err.startswith("error: no AWS credentials: run `aws sso login`")
    assert pulumi.calls("up") == []


def test_an_engine_failure_shows_its_first_error(pulumi: Pulumi) -> None:
    pulumi.update(fail={"preview": {"stderr": "error: Running program failed: boom", "code": 4}})
    code, _, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 3 and err.splitlines() == [
        "error: the Pulumi engine failed (exit 4: Running program failed: boom)",
        "hint: rerun with --debug for the full Pulumi output",
    ]


def test_cloud_override_reaches_the_engine(pulumi: Pulumi) -> None:
    portable = str(EXAMPLES / "portable-h100.yaml")
    code, out, err = run("preview", portable, "--stack", "gcp-dev", "--cloud", "gcp", "--json")
    assert code == 0, err + out
    target = json.loads(out)["target"]
    assert target["cloud"] == "gcp" and target["config"]["gcp:project"] == "my-ml-project"
    assert "gcp" in target["plugins"]


def test_the_policy_config_reaches_the_engine_with_the_pack(
    pulumi: Pulumi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`preview`/`up --policy-config FILE` hand the engine the file `check --config` reads
    (`policy_pack_configs` in the Automation API → `--policy-pack-config` on the CLI)."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n")
    monkeypatch.setattr(target, "policy_pack_dir", lambda: str(pack))
    monkeypatch.chdir(tmp_path)
    Path("policy.json").write_text(json.dumps({"CF-GOV-001": {"maxHourlyUsd": 10000}}))
    assert run("preview", EXAMPLE, "--stack", "dev", "--policy-config", "policy.json")[0] == 0
    assert up("--policy-config", "policy.json")[0] == 0
    for argv in pulumi.calls("preview") + pulumi.calls("up"):
        config = argv[argv.index("--policy-pack-config") + 1]
        assert config == str(tmp_path / "policy.json")
        assert argv[argv.index("--policy-pack") + 1] != str(pack)  # the runnable copy, as before


def test_a_bad_policy_config_stops_before_the_engine(pulumi: Pulumi, tmp_path: Path) -> None:
    bad = tmp_path / "policy.json"
    bad.write_text('{"CF-GOV-01": {"maxHourlyUsd": 5}}')
    code, out, err = run("preview", EXAMPLE, "--stack", "dev", "--policy-config", str(bad))
    assert code == 2 and "did you mean 'CF-GOV-001'" in err and len(err.splitlines()) == 1
    assert pulumi.calls() == []


def test_engine_policy_violations_are_findings_like_check(pulumi: Pulumi) -> None:
    """A mandatory violation from the engine's analyzer is a finding at the spec path, with the
    rule's hint, in the `check` layout (and in --json), and preview refuses."""
    violation = {
        "policyEvent": {
            "message": "llm-train-scratch-fs (FSx for Lustre) is not protected",
            "color": "raw",
            "policyName": "CF-DATA-001",
            "policyPackName": "clusterforge-ai-cluster",
            "policyPackVersion": "0.1.0",
            "enforcementLevel": "mandatory",
            "resourceUrn": pulumi.urn(FS_TYPE),
        }
    }
    pulumi.update(fail={"preview": {"stderr": "error: preview failed", "events": [violation]}})
    code, out, err = run("preview", EXAMPLE, "--stack", "dev")
    assert code == 1 and "Traceback" not in out + err
    assert "Policy findings (the engine ran the pack)" in out
    assert "ERROR   CF-DATA-001 storage[0].protect" in out and "hint: Set `protect: true`" in out
    # file:line of the stack element the resource was built from, as `check` shows it
    assert re.search(r"CF-DATA-001 storage\[0\]\.protect  \(\S+aws-h100-training\.py:\d+\)", out)
    code, out, _ = run("preview", EXAMPLE, "--stack", "dev", "--json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "CF-DATA-001"]
    assert code == 1 and [(f["path"], f["source"], f["severity"]) for f in found] == [
        ("storage[0].protect", "policy", "error")
    ]
