"""Planted secrets: known values put everywhere a secret can enter — add-on values in YAML and
Python stacks, the environment, `--outputs`, backend URLs, plan documents, a Python stack's
exception — and every stdout, stderr and written file searched for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clusterforge.engine import target as deploy_target

from helpers import EXAMPLES
from tests.engine.standin_pulumi import install
from tests.fuzz.support import Run, invoke

VALUE = "planted-value-7f3a"  # add-on values under a secret key
URL = "planted-url-91c2"  # the password of a URL in add-on values
ENV = "planted-env-55d1"  # credentials in the environment
OUTPUTS = "planted-outputs-a8b0"  # a kubeconfig in a --outputs file
BACKEND = "planted-backend-3e9d"  # the password of a backend URL
PLAN = "planted-plan-c4e7"  # secrets inside a plan document
PLANTED = (VALUE, URL, ENV, OUTPUTS, BACKEND, PLAN)

ENVIRONMENT = {
    "AWS_SECRET_ACCESS_KEY": ENV,
    "PULUMI_ACCESS_TOKEN": ENV,
    "PULUMI_CONFIG_PASSPHRASE": ENV,
    "GOOGLE_OAUTH_ACCESS_TOKEN": ENV,
}
ADDON = (
    "addons:\n  - name: kube-prometheus-stack\n    values:\n"
    f"      grafana: {{adminPassword: {VALUE}, env: {{GF_URL: 'https://bob:{URL}@grafana.example'}}}}\n"
)


class Searched:
    """Every run and written file of this module, searched at the end of each test."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def run(self, *args: str) -> Run:
        result = invoke("planted-secrets", *args, env=ENVIRONMENT)
        assert "Traceback" not in result.text, result.text
        self.runs.append(result)
        return result

    def assert_clean(self, *directories: Path) -> None:
        texts = [r.text for r in self.runs]
        texts += [
            p.read_text(encoding="utf-8", errors="replace")
            for d in directories
            for p in d.rglob("*")
            if p.is_file()
        ]
        leaks = [
            (s, t[max(0, t.find(s) - 80) : t.find(s) + 40])
            for t in texts
            for s in PLANTED
            if s in t
        ]
        assert not leaks, leaks


@pytest.fixture
def searched() -> Searched:
    return Searched()


def _stack(tmp_path: Path) -> Path:
    stack = tmp_path / "cluster.yaml"
    stack.write_text((EXAMPLES / "aws-inference.yaml").read_text() + ADDON)
    return stack


def test_stack_values_in_every_format_and_file(tmp_path: Path, searched: Searched) -> None:
    stack = _stack(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("text", "markdown"):
        assert searched.run("validate", str(stack), "--format", fmt).code == 0
    plan = out / "plan.json"
    assert searched.run("plan", str(stack), "--format", "json", "--out", str(plan)).code == 0
    document = json.loads(plan.read_text())
    release = next(r for r in document["resources"] if r["name"].endswith("kube-prometheus-stack"))
    assert release["inputs"]["values"] == "[secret]"  # a Pulumi secret in the program
    for fmt in ("text", "json", "markdown", "sarif"):
        run = searched.run("check", str(plan), "--format", fmt, "--out", str(out / f"check.{fmt}"))
        assert run.code in (0, 1), run.text
    searched.assert_clean(out)


def _planted_plan(document: dict[str, Any]) -> dict[str, Any]:
    document = json.loads(json.dumps(document))
    for resource in document["resources"]:
        if resource["type"] == "pulumi:providers:kubernetes":
            resource["inputs"]["kubeconfig"] = f"users: [{{user: {{token: {PLAN}}}}}]"
        if resource["type"].startswith("aws:eks/cluster"):
            resource["inputs"]["tags"] = {
                "dbPassword": PLAN,
                "backend": f"s3://b?secret_key={PLAN}",
            }
    document["resources"].append(
        {"urn": "urn:pulumi:dev::x::kubernetes:helm.sh/v3:Release::extra", "type": "kubernetes:helm.sh/v3:Release",
         "name": "extra", "parent": None, "dependencies": [], "options": {},
         "inputs": {"values": {"auth": {"apiToken": PLAN}, "url": f"postgres://admin:{PLAN}@db:5432/x"}}}
    )  # fmt: skip
    return document


def test_plan_document_inputs_are_never_echoed(
    tmp_path: Path, searched: Searched, plan_document: dict[str, Any]
) -> None:
    plan = tmp_path / "planted.json"
    plan.write_text(json.dumps(_planted_plan(plan_document)))
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("text", "json", "markdown", "sarif"):
        searched.run("check", str(plan), "--format", fmt)
        searched.run("check", str(plan), "--format", fmt, "--out", str(out / f"check.{fmt}"))
    assert {p.name for p in out.iterdir()} == {
        "check.text",
        "check.json",
        "check.markdown",
        "check.sarif",
    }
    searched.assert_clean(out)


def test_outputs_file_and_environment(tmp_path: Path, searched: Searched) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"outputs": {"kubeconfig": OUTPUTS, "volumes": {}}}))
    searched.run(
        "render", str(EXAMPLES / "aws-inference.yaml"), "--outputs", str(outputs), "--out", str(tmp_path / "gitops")
    )  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"outputs": {"token": OUTPUTS}}))
    run = searched.run(
        "render",
        str(EXAMPLES / "aws-inference.yaml"),
        "--outputs",
        str(bad),
        "--out",
        str(tmp_path / "g2"),
    )
    assert run.code == 2
    searched.assert_clean(tmp_path / "gitops")


def test_python_stack_values_and_exceptions(tmp_path: Path, searched: Searched) -> None:
    good = tmp_path / "good.py"
    good.write_text(
        "from clusterforge.spec import Addon, Cluster, NodePool\n"
        "cluster = Cluster(name='a', cloud='aws', region='us-east-1',\n"
        "    node_pools=[NodePool(name='system', instance_type='m7i.large', nodes=2)],\n"
        f"    addons=[Addon(name='kube-prometheus-stack', values={{'grafana': {{'adminPassword': '{VALUE}'}}}})])\n"
    )
    run = searched.run("plan", str(good), "--format", "json")
    assert run.code == 0, run.text
    raising = tmp_path / "raising.py"
    raising.write_text(f"raise RuntimeError('cannot reach https://admin:{URL}@state.example')\n")
    run = searched.run("validate", str(raising))
    assert run.code == 2 and "admin:[secret]@state.example" in run.out
    searched.assert_clean()


@pytest.mark.parametrize(
    "backend",
    [
        f"postgres://admin:{BACKEND}@db.example:5432/state",
        f"https://user:{BACKEND}@state.example",
        f"s3://state-bucket?region=us-east-1&secret_key={BACKEND}",
    ],
    ids=["postgres", "https", "s3-query"],
)
def test_backend_urls_in_engine_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, searched: Searched, backend: str
) -> None:
    # The stand-in CLI (tests/engine/standin_pulumi.py, NOT Pulumi) refuses every backend but
    # file:// with an error line that quotes the URL, as the real CLI's login errors do.
    directory = install(tmp_path / "bin", {"plan": [], "version": "3.200.0"})
    monkeypatch.setenv("PATH", f"{directory}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(deploy_target, "policy_pack_dir", lambda: None)
    run = searched.run(
        "preview", str(EXAMPLES / "aws-inference.yaml"), "--stack", "dev", "--backend", backend
    )
    assert run.code == 3 and run.err.startswith("error: ") and "[secret]" in run.err, run.err
    searched.assert_clean()
