"""CF-FAB-001/002 against the catalog's per-card EFA facts: every layout AWS documents passes, fewer
EFA interfaces than the type has or EFA on a card without it fails — and a saved plan edited to
another documented layout still passes `clusterforge check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clusterforge.catalog import load
from clusterforge.catalog.efa import efa_layout
from clusterforge.cli.main import cli
from clusterforge.policies.rules._tokens import LAUNCH_TEMPLATE

from helpers import EXAMPLES
from tests.policies.support import res, violations

Interface = tuple[int, int, str]


def lt(instance_type: str, layout: list[Interface]) -> Any:
    interfaces = [
        {
            "networkCardIndex": card,
            "deviceIndex": device,
            "interfaceType": kind,
            "securityGroups": ["sg-efa"],
            "associatePublicIpAddress": "false",
        }
        for card, device, kind in layout
    ]
    return res(
        LAUNCH_TEMPLATE, "gpu-lt", {"instanceType": instance_type, "networkInterfaces": interfaces}
    )


def built(instance_type: str) -> list[Interface]:
    """The layout the component builds (AWS's current recommendation)."""
    offering = load("aws").get(instance_type)
    assert offering is not None
    return [(n.network_card_index, n.device_index, n.interface_type) for n in efa_layout(offering)]


def legacy(cards: range) -> list[Interface]:
    """The older pattern: `efa` at card 0 / device 0, `efa-only` at device 1 of the other cards."""
    return [(c, 0, "efa") if c == 0 else (c, 1, "efa-only") for c in cards]


def with_ena_on_device_1(layout: list[Interface]) -> list[Interface]:
    """AWS's recommendation with an ENA interface at device 1 of every further card (for ENA
    bandwidth), which the EC2 guide also documents."""
    return layout + [(c, 1, "interface") for c, d, _ in layout if c != 0 and d == 0]


GOOD = [
    pytest.param("p6-b300.48xlarge", built("p6-b300.48xlarge"), id="b300-aws-documented"),
    pytest.param("p5.48xlarge", built("p5.48xlarge"), id="p5-aws-documented"),
    pytest.param("p5.48xlarge", legacy(range(32)), id="p5-legacy-efa-on-card-0"),
    pytest.param("p5en.48xlarge", with_ena_on_device_1(built("p5en.48xlarge")), id="p5en-plus-ena"),
    pytest.param("trn2.48xlarge", legacy(range(16)), id="trn2-legacy"),
    pytest.param("g4dn.12xlarge", built("g4dn.12xlarge"), id="g4dn-single-card"),
]


@pytest.mark.parametrize(("instance_type", "layout"), GOOD)
@pytest.mark.parametrize("rule_id", ["CF-FAB-001", "CF-FAB-002"])
def test_documented_layouts_pass(rule_id: str, instance_type: str, layout: list[Interface]) -> None:
    found = violations(rule_id, [lt(instance_type, layout)])
    assert found == [], [f.message for f in found]


BAD = [
    pytest.param(
        "CF-FAB-001",
        "p6-b300.48xlarge",
        built("p6-b300.48xlarge")[:-1],
        "15 EFA interface(s) on p6-b300.48xlarge, which supports 16 on network cards 1-16",
        id="b300-one-missing",
    ),
    pytest.param(
        "CF-FAB-001",
        "p5.48xlarge",
        legacy(range(8)),
        "8 EFA interface(s) on p5.48xlarge, which supports 32",
        id="p5-count-from-an-old-table",
    ),
    pytest.param(
        "CF-FAB-002",
        "p6-b300.48xlarge",
        legacy(range(16)),
        "does not support EFA on network card(s) 0 (EFA-capable: 1-16)",
        id="b300-efa-on-ena-only-card-0",
    ),
    pytest.param(
        "CF-FAB-002",
        "p5.48xlarge",
        [(0, 0, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 32)],
        "the primary interface (card 0, device 0) is `efa-only`",
        id="p5-efa-only-primary",
    ),
    pytest.param(
        "CF-FAB-002",
        "p5.48xlarge",
        [(0, 0, "interface"), (0, 1, "efa-only")] + [(1, 0, "efa-only"), (1, 1, "efa")],
        "network card(s) 1 carry more than one EFA interface",
        id="p5-two-efa-on-one-card",
    ),
    pytest.param(
        "CF-FAB-002",
        "p5.48xlarge",
        [(0, 0, "interface"), (0, 1, "efa")],
        "card 0 / device 1 must be `efa-only`",
        id="p5-efa-with-ena-behind-the-primary",
    ),
]


@pytest.mark.parametrize(("rule_id", "instance_type", "layout", "message"), BAD)
def test_wrong_layouts_fail(
    rule_id: str, instance_type: str, layout: list[Interface], message: str
) -> None:
    (finding,) = violations(rule_id, [lt(instance_type, layout)])
    assert message in finding.message


def test_more_efa_than_the_type_has_fails() -> None:
    layout = built("p6-b300.48xlarge") + [(17, 0, "efa-only")]
    messages = [f.message for f in violations("CF-FAB-001", [lt("p6-b300.48xlarge", layout)])]
    assert messages and "at most 16" in messages[0]


def test_a_saved_plan_edited_to_another_documented_layout_passes_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    spec = EXAMPLES / "aws-capacity-block.yaml"
    result = runner.invoke(cli, ["plan", str(spec), "--format", "json", "--out", "plan.json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(Path("plan.json").read_text())
    (template,) = [
        r
        for r in plan["resources"]
        if r["type"] == LAUNCH_TEMPLATE and r["inputs"].get("instanceType") == "p5.48xlarge"
    ]
    groups = template["inputs"]["networkInterfaces"][0]["securityGroups"]
    template["inputs"]["networkInterfaces"] = [
        {
            "networkCardIndex": card,
            "deviceIndex": device,
            "interfaceType": kind,
            "securityGroups": groups,
            "deleteOnTermination": "true",
            "associatePublicIpAddress": "false",
        }
        for card, device, kind in legacy(range(32))
    ]
    Path("edited.json").write_text(json.dumps(plan))

    result = runner.invoke(cli, ["check", "edited.json", "--format", "json"])
    assert result.exit_code == 0, result.output
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not rules & {"CF-FAB-001", "CF-FAB-002", "CF-FAB-003"}

    # The same plan with an interface dropped is what CF-FAB-001 exists for.
    template["inputs"]["networkInterfaces"].pop()
    Path("short.json").write_text(json.dumps(plan))
    result = runner.invoke(cli, ["check", "short.json", "--format", "json"])
    assert result.exit_code == 1
    assert "CF-FAB-001" in {f["rule"] for f in json.loads(result.stdout)["findings"]}
