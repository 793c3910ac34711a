"""--out: replace only what clusterforge wrote, never an input, nothing partial, nothing left over."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterforge.cli import common
from clusterforge.cli.main import cli
from clusterforge.errors import ClusterforgeError

from helpers import EXAMPLES

STACK = EXAMPLES / "aws-inference.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_out_replaces_its_own_report_in_every_format(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    assert run("validate", str(STACK), "--format", fmt, "--out", str(target))[0] == 0
    first = target.read_text()
    assert common.written_by_clusterforge(target)
    code, _, err = run("validate", str(STACK), "--format", fmt, "--out", str(target))
    assert code == 0 and f"wrote {target}" in err and target.read_text() == first


def test_out_refuses_a_file_it_did_not_write_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes\n")
    code, _, err = run("validate", str(STACK), "--out", str(target))
    assert code == 2 and "was not written by clusterforge" in err and "--force" in err
    assert target.read_text() == "my notes\n"
    assert run("validate", str(STACK), "--out", str(target), "--force")[0] == 0
    assert "llm-serve" in target.read_text()


def test_out_never_replaces_an_input_file(tmp_path: Path) -> None:
    stack = tmp_path / "cluster.yaml"
    stack.write_text(STACK.read_text())
    link = tmp_path / "report.txt"
    link.symlink_to(stack)
    hard = tmp_path / "hard.yaml"
    os.link(stack, hard)
    for out in (stack, link, hard, tmp_path / "." / "cluster.yaml"):
        code, _, err = run("validate", str(stack), "--out", str(out), "--force")
        assert code == 2 and "is the input file" in err, err
    assert stack.read_text() == STACK.read_text()


def test_check_refuses_its_config_as_out(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("{}")
    stack = tmp_path / "cluster.yaml"  # a validation error: check reports it without planning
    stack.write_text(
        "name: x\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, instance_type: no.such, nodes: 1}]\n"
    )
    code, _, err = run("check", str(stack), "--config", str(config), "--out", str(config))
    assert code == 2 and "is the input file" in err and config.read_text() == "{}"


def test_bad_input_replaces_an_earlier_report_with_its_errors(tmp_path: Path) -> None:
    # A report left from an earlier good run would be read as this run's: --out gets the errors.
    target = tmp_path / "keep.json"
    assert run("validate", str(STACK), "--format", "json", "--out", str(target))[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("cloud: aws\n")  # no name: SPEC001, exit 2
    code, out, err = run("validate", str(bad), "--format", "json", "--out", str(target))
    assert code == 2 and out == "" and "input could not be loaded" in err
    assert '"SPEC001"' in target.read_text()


def test_bad_input_never_replaces_a_file_clusterforge_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "notes.sarif"
    target.write_text("mine\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("cloud: aws\n")
    code, out, err = run("check", str(bad), "--format", "sarif", "--out", str(target))
    assert code == 2 and out == "" and "was not written by clusterforge" in err
    assert target.read_text() == "mine\n"


def test_check_sarif_on_bad_input_writes_the_errors_to_out_not_stdout(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("name: a\ncloud: aws\nregoin: us-east-1\n")
    target = tmp_path / "x.sarif"
    code, out, _ = run("check", str(bad), "--format", "sarif", "--out", str(target))
    assert code == 2 and out == ""
    (result,) = json.loads(target.read_text())["runs"][0]["results"]
    assert result["ruleId"] == "SPEC001" and "regoin" in result["message"]["text"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_out_into_a_missing_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "plan.txt"
    code, _, err = run("validate", str(STACK), "--out", str(target))
    assert code == 2 and "does not exist" in err and "mkdir -p" in err
    assert not target.parent.exists()


def test_out_below_a_file_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run("validate", str(STACK), "--out", str(tmp_path / "file" / "r.txt"))
    assert code == 2 and err.startswith("error: ") and "is not a directory" in err


def test_out_with_a_name_too_long(tmp_path: Path) -> None:
    code, _, err = run("validate", str(STACK), "--out", str(tmp_path / ("x" * 300)))
    assert code == 2 and err.startswith("error: ") and "too long" in err


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EFBIG, "File too large"),
        OSError(errno.EROFS, "Read-only file system"),
    ],
    ids=["full-disk", "file-too-large", "read-only-mount"],
)
def test_os_write_errors_are_one_line_and_leave_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: OSError
) -> None:
    # standin_replace: the kernel's error at the final step, which a test cannot provoke here.
    def standin_replace(src: str, dst: object) -> None:
        raise failure

    target = tmp_path / "plan.txt"
    target.write_text("<!-- written by clusterforge: a later --out may replace this file -->\n")
    before = target.read_text()
    monkeypatch.setattr(common.os, "replace", standin_replace)
    code, _, err = run("validate", str(STACK), "--out", str(target))
    assert code == 2 and err.count("error:") == 1 and failure.strerror in err
    assert target.read_text() == before and leftovers(tmp_path) == []


def test_a_real_file_size_limit_is_efbig_not_a_killed_process(tmp_path: Path) -> None:
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, hard))
    try:
        with pytest.raises(ClusterforgeError, match="File too large"):
            common.emit("x" * 5000, tmp_path / "big.txt", report=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert leftovers(tmp_path) == [] and not (tmp_path / "big.txt").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_just_before_the_rename_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    real_replace = os.replace

    def signalled_replace(src: str, dst: object) -> None:
        os.kill(os.getpid(), signum)  # delivered before the rename happens
        real_replace(src, dst)  # pragma: no cover - the signal handler raised first

    monkeypatch.setattr(common.os, "replace", signalled_replace)
    expected = KeyboardInterrupt if signum == signal.SIGINT else SystemExit
    with pytest.raises(expected):
        common.emit("report\n", tmp_path / "plan.txt", report=True)
    assert leftovers(tmp_path) == [] and not (tmp_path / "plan.txt").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM)
    )


def test_schema_out_replaces_only_a_schema_it_wrote(tmp_path: Path) -> None:
    from clusterforge.spec import json_schema

    assert json_schema()["title"] == common.SCHEMA_TITLE  # how --out knows its own schema
    target = tmp_path / "stack.schema.json"
    assert run("schema", "--out", str(target))[0] == 0
    first = target.read_text()
    assert run("schema", "--out", str(target))[0] == 0 and target.read_text() == first
    mine = tmp_path / "settings.json"
    mine.write_text('{"editor.tabSize": 2}\n')
    code, _, err = run("schema", "--out", str(mine))
    assert code == 2 and "was not written by clusterforge" in err
    assert mine.read_text() == '{"editor.tabSize": 2}\n'
    assert run("schema", "--out", str(mine), "--force")[0] == 0 and mine.read_text() == first


@pytest.mark.parametrize(
    "document",
    [
        {"version": 1, "old": {}, "new": {}, "summary": {}},  # diff --format json
        {"version": 1, "stack_file": "a.yaml", "region": "us-east-1", "checks": []},  # preflight
    ],
)
def test_diff_and_preflight_json_count_as_their_own_output(tmp_path: Path, document: dict) -> None:
    import json

    target = tmp_path / "out.json"
    target.write_text(json.dumps(document))
    assert common.written_by_clusterforge(target)
    target.write_text(json.dumps({"version": 1, "summary": {}}))
    assert not common.written_by_clusterforge(target)
