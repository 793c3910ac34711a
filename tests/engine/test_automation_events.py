"""Recorded engine event streams (``pulumi.automation.events`` types) through the collector, the
progress displays and the summary."""

from __future__ import annotations

import io
import json

import pytest
from pulumi.automation import (
    DiagnosticEvent,
    EngineEvent,
    OpType,
    PolicyEvent,
    PreludeEvent,
    ResOpFailedEvent,
    ResourcePreEvent,
    ResOutputsEvent,
    StepEventMetadata,
    StepEventStateMetadata,
    SummaryEvent,
)

from clusterforge.engine.events import EventCollector, RunResult, Step, render_summary
from clusterforge.engine.progress import LiveProgress, PlainProgress

STACK = "urn:pulumi:dev::llm-train::pulumi:pulumi:Stack::llm-train-dev"
FS_TYPE = "aws:fsx/lustreFileSystem:LustreFileSystem"
FS = f"urn:pulumi:dev::llm-train::clusterforge:aws:LustreFileSystem${FS_TYPE}::llm-train-scratch-fs"
VPC = "urn:pulumi:dev::llm-train::clusterforge:aws:Network$aws:ec2/vpc:Vpc::llm-train-vpc"
SG = "urn:pulumi:dev::llm-train::aws:ec2/securityGroup:SecurityGroup::llm-train-efa"


class Clock:
    """A clock the test moves: steps take exactly the seconds the stream says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def meta(op: OpType, urn: str, type_token: str, protect: bool = False) -> StepEventMetadata:
    state = StepEventStateMetadata(
        type=type_token, urn=urn, id="", parent=STACK, provider="", protect=protect
    )
    return StepEventMetadata(op=op, urn=urn, type=type_token, provider="", new=state)


class Stream:
    """Builds engine events with increasing sequence numbers."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, **kind: object) -> EngineEvent:
        self.sequence += 1
        return EngineEvent(self.sequence, 1_700_000_000, **kind)  # type: ignore[arg-type]

    def step(
        self, op: OpType, urn: str, type_token: str, *, planning: bool, protect: bool = False
    ) -> list[EngineEvent]:
        m = meta(op, urn, type_token, protect)
        return [
            self(resource_pre_event=ResourcePreEvent(m, planning)),
            self(res_outputs_event=ResOutputsEvent(m, planning)),
        ]


def feed(collector: EventCollector, events: list[EngineEvent]) -> RunResult:
    for event in events:
        collector(event)
    return collector.result()


def replacement_preview() -> list[EngineEvent]:
    """A preview that replaces the file system and creates a security group."""
    s = Stream()
    fs_meta = {
        op: meta(op, FS, FS_TYPE, protect=False)
        for op in (OpType.CREATE_REPLACEMENT, OpType.REPLACE, OpType.DELETE_REPLACED)
    }
    return [
        s(prelude_event=PreludeEvent({"aws:region": "us-east-1"})),
        *s.step(OpType.SAME, STACK, "pulumi:pulumi:Stack", planning=True),
        *s.step(OpType.SAME, VPC, "aws:ec2/vpc:Vpc", planning=True),
        s(resource_pre_event=ResourcePreEvent(fs_meta[OpType.CREATE_REPLACEMENT], True)),
        s(resource_pre_event=ResourcePreEvent(fs_meta[OpType.REPLACE], True)),
        s(resource_pre_event=ResourcePreEvent(fs_meta[OpType.DELETE_REPLACED], True)),
        *s.step(OpType.CREATE, SG, "aws:ec2/securityGroup:SecurityGroup", planning=True),
        s(
            diagnostic_event=DiagnosticEvent(
                "<{%fg 3%}>\x1b[33mdeprecated: use BucketV2<{%reset%}>\n", "raw", "warning", urn=SG
            )
        ),
        s(diagnostic_event=DiagnosticEvent("spinner", "raw", "info", ephemeral=True)),
        s(
            policy_event=PolicyEvent(
                "FSx must be protected",
                "raw",
                "fsx-protected",
                "clusterforge",
                "0.1.0",
                "",
                "advisory",
                FS,
            )
        ),
        s(
            summary_event=SummaryEvent(
                False, 3, {OpType.SAME: 2, OpType.REPLACE: 1, OpType.CREATE: 1}, {}
            )
        ),
    ]


def test_a_replacement_counts_once_and_is_data_loss() -> None:
    result = feed(EventCollector("preview"), replacement_preview())
    assert result.changes == {
        "same": 2,
        "replace": 1,
        "create": 1,
    }  # OpType keys → plain op strings
    assert result.changed
    steps = {s.name: s.op for s in result.steps}
    assert steps == {
        "llm-train-dev": "same",
        "llm-train-vpc": "same",
        "llm-train-scratch-fs": "replace",
        "llm-train-efa": "create",
    }
    assert [(d.type, d.name, d.op) for d in result.data_loss] == [
        (FS_TYPE, "llm-train-scratch-fs", "replace")
    ]
    assert result.duration_seconds == 3


def test_diagnostics_lose_their_colour_and_ephemeral_ones_are_dropped() -> None:
    result = feed(EventCollector("preview"), replacement_preview())
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        ("warning", "deprecated: use BucketV2")
    ]
    assert [(v.policy, v.level, v.mandatory) for v in result.policy_violations] == [
        ("fsx-protected", "advisory", False)
    ]


def test_the_events_parse_from_the_json_the_cli_writes() -> None:
    """The collector sees what ``EngineEvent.from_json`` builds from an event log line."""
    line = {
        "sequence": 3,
        "timestamp": 1700000000,
        "resourcePreEvent": {"metadata": {"op": "delete", "urn": FS, "type": FS_TYPE, "provider": "", "old": {"type": FS_TYPE, "urn": FS, "id": "fs-1", "parent": "", "provider": "", "protect": True}}, "planning": True},
    }  # fmt: skip
    summary = {
        "sequence": 4,
        "timestamp": 1700000000,
        "summaryEvent": {
            "maybeCorrupt": False,
            "durationSeconds": 7,
            "resourceChanges": {"delete": 1},
            "PolicyPacks": {},
        },
    }
    result = feed(
        EventCollector("preview"),
        [EngineEvent.from_json(json.loads(json.dumps(e))) for e in (line, summary)],
    )
    assert result.steps[0].protected and result.changes == {"delete": 1}
    assert [d.op for d in result.data_loss] == ["delete"]


def test_without_a_summary_event_the_steps_are_counted() -> None:
    s = Stream()
    events = [
        *s.step(OpType.CREATE, VPC, "aws:ec2/vpc:Vpc", planning=True),
        *s.step(OpType.SAME, STACK, "pulumi:pulumi:Stack", planning=True),
    ]
    assert feed(EventCollector("preview"), events).changes == {"create": 1, "same": 1}


@pytest.mark.parametrize(
    ("outputs_op", "drift"), [(OpType.REFRESH, False), (OpType.UPDATE, True), (OpType.DELETE, True)]
)
def test_a_refresh_step_is_drift_only_when_the_engine_says_update_or_delete(
    outputs_op: OpType, drift: bool
) -> None:
    s = Stream()
    events = [
        s(resource_pre_event=ResourcePreEvent(meta(OpType.REFRESH, VPC, "aws:ec2/vpc:Vpc"), True)),
        s(res_outputs_event=ResOutputsEvent(meta(outputs_op, VPC, "aws:ec2/vpc:Vpc"), True)),
    ]
    result = feed(EventCollector("preview-refresh"), events)
    assert result.changed is drift
    assert result.steps[0].op == outputs_op.value


def test_a_failed_step_is_recorded_and_shown() -> None:
    s = Stream()
    stream = io.StringIO()
    events = [
        s(resource_pre_event=ResourcePreEvent(meta(OpType.CREATE, VPC, "aws:ec2/vpc:Vpc"), False)),
        s(
            diagnostic_event=DiagnosticEvent(
                "error: creating EC2 VPC: VpcLimitExceeded", "raw", "error", urn=VPC
            )
        ),
        s(res_op_failed_event=ResOpFailedEvent(meta(OpType.CREATE, VPC, "aws:ec2/vpc:Vpc"), 1, 1)),
    ]
    result = feed(EventCollector("up", PlainProgress(stream)), events)
    assert (
        result.steps[0].failed
        and result.errors[0].message == "error: creating EC2 VPC: VpcLimitExceeded"
    )
    assert stream.getvalue().splitlines() == [
        "  + creating aws:ec2:Vpc llm-train-vpc...",
        "  error (llm-train-vpc): error: creating EC2 VPC: VpcLimitExceeded",
        "  x create failed aws:ec2:Vpc llm-train-vpc (0s)",
    ]


def test_plain_progress_shows_planned_steps_once_and_hides_unchanged_ones() -> None:
    stream = io.StringIO()
    feed(EventCollector("preview", PlainProgress(stream)), replacement_preview())
    assert stream.getvalue().splitlines() == [
        "  +- replace aws:fsx:LustreFileSystem llm-train-scratch-fs",
        "  + create  aws:ec2:SecurityGroup llm-train-efa",
        "  warning (llm-train-efa): deprecated: use BucketV2",
    ]


def test_plain_progress_of_an_update_shows_start_and_end_with_the_time() -> None:
    clock, stream, s = Clock(), io.StringIO(), Stream()
    collector = EventCollector("up", PlainProgress(stream), clock=clock)
    pre, done = s.step(OpType.CREATE, VPC, "aws:ec2/vpc:Vpc", planning=False)
    collector(pre)
    clock.now = 75.0
    collector(done)
    assert stream.getvalue().splitlines() == [
        "  + creating aws:ec2:Vpc llm-train-vpc...",
        "  + created aws:ec2:Vpc llm-train-vpc (1m15s)",
    ]


def test_the_live_display_prints_finished_steps_above_the_running_ones() -> None:
    from rich.console import Console

    out = io.StringIO()
    display = LiveProgress(Console(file=out, force_terminal=True, no_color=True, width=120))
    s = Stream()
    with display:
        collector = EventCollector("up", display)
        pre, done = s.step(OpType.CREATE, VPC, "aws:ec2/vpc:Vpc", planning=False)
        collector(pre)
        running = Console(file=io.StringIO(), width=120)
        running.print(display._render())
        assert "create aws:ec2:Vpc llm-train-vpc" in running.file.getvalue()  # type: ignore[attr-defined]
        collector(done)
    assert "+ created aws:ec2:Vpc llm-train-vpc" in out.getvalue()
    assert not display._active


def test_the_summary_text() -> None:
    result = feed(EventCollector("preview"), replacement_preview())
    text = render_summary(result, title="preview llm-train/dev")
    assert (
        text.splitlines()[0] == "preview llm-train/dev: + 1 to create, +- 1 to replace, 2 unchanged"
    )
    assert f"DATA LOSS: {FS_TYPE} llm-train-scratch-fs would be replaced" in text
    assert "policy advisory: fsx-protected: FSx must be protected" in text
    done = RunResult(
        "destroy",
        [Step(VPC, "aws:ec2/vpc:Vpc", "delete")],
        {"delete": 1},
        kept=[(FS_TYPE, "llm-train-scratch-fs")],
    )
    text = render_summary(done, title="destroy")
    assert (
        text.startswith("destroy: - 1 deleted\n")
        and f"kept (protected): {FS_TYPE} llm-train-scratch-fs" in text
    )
    assert "no changes" in render_summary(
        RunResult("preview", changes={"same": 4}), title="preview"
    )


def test_the_machine_summary() -> None:
    result = feed(EventCollector("preview"), replacement_preview())
    result.outputs = {"kubeconfig": "[secret]"}
    data = json.loads(json.dumps(result.to_dict()))
    assert data["changes"] == {"same": 2, "replace": 1, "create": 1} and data["changed"] is True
    assert [s["name"] for s in data["steps"]] == [
        "llm-train-scratch-fs",
        "llm-train-efa",
    ]  # changes only
    assert data["data_loss"] == [
        {"urn": FS, "type": FS_TYPE, "name": "llm-train-scratch-fs", "op": "replace"}
    ]
    assert data["outputs"] == {"kubeconfig": "[secret]"} and data["duration_seconds"] == 3
