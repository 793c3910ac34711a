"""Every bad-input class of issue 10 as a regression: a report or one `error:` line, exit 2 for
what cannot be loaded (with file:line[:column]), 1 for findings — never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import EXAMPLES
from tests.fuzz.support import assert_kept_promises, invoke

STACK = (EXAMPLES / "aws-inference.yaml").read_text(encoding="utf-8")
MINIMAL = "name: x\ncloud: aws\nregion: us-east-1\n"
DEEP = "[" * 500 + "]" * 500


# (file name, content, exit code, text expected in stderr (error line) or stdout (report))
LOAD_CASES = [
    ("nul.yaml", "name: a\x00b\ncloud: aws\n", 2, "nul.yaml:1:8: a NUL byte"),
    ("nul.json", '{"name": "a\x00"}', 2, "nul.json:1:12: a NUL byte"),
    ("control.yaml", "name: a\x07b\ncloud: aws\n", 2, "control.yaml:1:8: invalid YAML: character"),
    ("control.json", '{"name": "a\x07"}', 2, "control.json:1:12: invalid JSON: Invalid control"),
    ("deep.yaml", MINIMAL + f"tags: {DEEP}\n", 2, "nests more than 100 levels"),
    ("deep-block.yaml", MINIMAL + "".join(f"{' ' * i}a{i}:\n" for i in range(300)), 2, "nests"),
    ("deep.json", '{"name": "x", "tags": ' + DEEP + "}", 2, "deep.json: the document nests"),
    ("very-deep.json", '{"tags": ' + "[" * 5000 + "]" * 5000 + "}", 2, "nests more than"),
    ("bad-int.yaml", MINIMAL + "node_pools:\n  - {name: a, nodes: !!int abc}\n", 2,
     "bad-int.yaml:5:22: invalid value for 'int'"),
    ("bad-float.yaml", MINIMAL + "x-a: !!float nope\n", 2, "invalid value for 'float'"),
    ("bad-binary.yaml", MINIMAL + "x-a: !!binary abc\n", 2, "bad-binary.yaml:4:6"),
    ("bad-timestamp.yaml", MINIMAL + "x-a: !!timestamp 2024-13-45\n", 2, "invalid value"),
    ("custom-tag-map.yaml", MINIMAL + "tags: !x {a: b}\n", 2, "custom-tag-map.yaml:4:7: unsupported tag '!x'"),
    ("custom-tag-seq.yaml", MINIMAL + "node_pools: !x []\n", 2, "unsupported tag '!x' on a collection"),
    ("set-tag.yaml", MINIMAL + "tags: !!set {a, b}\n", 2, "unsupported tag 'tag:yaml.org,2002:set'"),
    ("custom-tag-scalar.yaml", MINIMAL + "zone: !x a\n", 2, "invalid YAML value"),
    ("python-tag.yaml", MINIMAL + "zone: !!python/object/apply:os.system [true]\n", 2, "unsupported tag"),
    ("latin1.yaml", "name: caf\xe9\n".encode("latin-1"), 2, "latin1.yaml:1:10: not UTF-8 text"),
    ("bom.yaml", "\ufeff" + STACK, 0, "llm-serve"),
    ("u2028-key.json", '{"name": "x", "cloud": "aws", "region": "us-east-1", "tags": {"a\u2028b": "c"}}', 0, "Findings"),
    ("long-key.json", '{"name": "x", "cloud": "aws", "region": "us-east-1", "tags": {"' + "k" * 1100 + '": "c"}}', 0, "Findings"),
    ("dup-key.json", '{"name": "x", "name": "y", "cloud": "aws"}', 2, "duplicate key 'name'"),
    ("surrogate.json", '{"name": "x\\ud800", "cloud": "aws", "region": "us-east-1"}', 1, "x\\ud800"),
    ("markup.yaml", MINIMAL + "zone: '[/]'\nnode_pools:\n  - {name: '[bold]x[/]', instance_type: m7i.large, nodes: 1}\n", 1, "[bold]x[/]"),
    ("missing.yaml", "cloud: aws\nregion: us-east-1\n", 2, "missing.yaml:1)"),
    ("dates.yaml", MINIMAL + "addons:\n  - name: kueue\n    values: {when: 2024-01-01}\n", 2, "values.when: a date"),
    ("binary-value.yaml", MINIMAL + "addons:\n  - name: kueue\n    values: {b: !!binary aGk=}\n", 2, "values.b: a bytes"),
    ("nan-value.yaml", MINIMAL + "addons:\n  - name: kueue\n    values: {b: .nan}\n", 2, "values.b: nan"),
    ("list-top.json", "[1, 2]", 2, "the top level must be a mapping"),
    # Found by the property suite: a key holding "]" crashed the source map's parent lookup.
    ("bracket-key.json", '{"\U00010000]": null}', 2, "unknown field"),
    ("dotted-key.yaml", MINIMAL + "'a.b]': 1\n", 2, "unknown field"),
    ("empty.yaml", "", 2, "the file is empty"),
]  # fmt: skip

PYTHON_CASES = [
    ("str-raises.py", "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()\n",
     "SPEC002", "the stack raised E: (its message cannot be printed)", 4),
    ("generator-exit.py", "raise GeneratorExit\n", "SPEC002", "the stack raised GeneratorExit", 1),
    ("base-exception.py", "class B(BaseException):\n    pass\n\nraise B('x')\n", "SPEC002", "raised B: x", 4),
    ("keyboard.py", "x = 1\nraise KeyboardInterrupt\n", "SPEC002", "raised KeyboardInterrupt", 2),
    ("exit.py", "import sys\nsys.exit(0)\n", "SPEC002", "the stack called sys.exit()", 2),
    ("construct.py", "from clusterforge import Cluster\ncluster = Cluster.model_construct(name='x')\n",
     "SPEC001", "required field is missing", None),
    ("import.py", "import not_a_module_xyz\n", "SPEC002", "ModuleNotFoundError", 1),
    ("forever.py", "print('working')\nwhile True:\n    pass\n", "SPEC002", "ran longer than 0.2 s", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "code", "expected"), LOAD_CASES, ids=[c[0] for c in LOAD_CASES]
)
def test_bad_stack_files(
    tmp_path: Path, name: str, content: str | bytes, code: int, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(
        content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    )
    run = invoke("bad-input", "validate", str(path))
    assert_kept_promises(run)
    assert run.code == code, run.text
    assert expected in run.text, run.text


@pytest.mark.parametrize(
    ("name", "source", "rule", "message", "line"), PYTHON_CASES, ids=[c[0] for c in PYTHON_CASES]
)
def test_hostile_python_stacks_are_findings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    source: str,
    rule: str,
    message: str,
    line: int | None,
) -> None:
    monkeypatch.setenv("CLUSTERFORGE_STACK_TIMEOUT", "0.2")
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    run = invoke("bad-input", "validate", str(path), "--format", "json")
    assert_kept_promises(run)
    assert run.code == 2
    (finding,) = json.loads(run.out)[
        "findings"
    ]  # stdout is the JSON report, the stack's prints are not on it
    assert finding["rule"] == rule and message in finding["message"], finding
    if line is not None:
        assert finding["location"] == f"{path}:{line}"


def test_python_nul_byte_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.py"
    path.write_bytes(b"x = 1\ncluster = \x00\n")
    run = invoke("bad-input", "validate", str(path))
    assert_kept_promises(run)
    assert run.code == 2 and f"{path}:2:11: a NUL byte" in run.err


@pytest.mark.parametrize("name", ["/dev/zero", "x" * 300 + ".yaml", "missing-dir/", "no-such.yaml"])
def test_unreadable_paths(tmp_path: Path, name: str) -> None:
    target = name if name.startswith("/") else str(tmp_path / name)
    run = invoke("bad-input", "validate", target)
    assert_kept_promises(run)
    assert run.code == 2


def _mutations() -> list[tuple[str, object, str]]:
    return [
        ("cluster-string", lambda d: d.__setitem__("cluster", "x"), "cluster is a string"),
        ("parent-list", lambda d: d["resources"][1].__setitem__("parent", [1]), "resources[1].parent is a list"),
        ("unknown-severity", lambda d: d.__setitem__("findings", [{"rule": "X", "severity": "fatal"}]), "'fatal'"),
        ("resource-number", lambda d: d.__setitem__("resources", [1]), "resources[0] is a number"),
        ("inputs-list", lambda d: d["resources"][2].__setitem__("inputs", []), "resources[2].inputs is a list"),
        ("deps-numbers", lambda d: d["resources"][2].__setitem__("dependencies", [3]), "dependencies[0] is a number"),
        ("summary-list", lambda d: d.__setitem__("summary", []), "summary is a list"),
        ("version", lambda d: d.__setitem__("version", 99), "plan format version"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "mutate", "expected"), _mutations(), ids=[m[0] for m in _mutations()]
)
def test_malformed_plan_documents(
    tmp_path: Path, plan_document: dict, label: str, mutate, expected: str
) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(json.dumps(plan_document))
    mutate(document)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    run = invoke("bad-input", "check", str(path))
    assert_kept_promises(run)
    assert run.code == 2 and expected in run.err, run.err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"a": ' + "[" * 3000 + "]" * 3000 + "}", "nests more than 100 levels"),
        ('{"policies": ' + "[" * 500 + "]" * 500 + "}", "nests more than 100 levels"),
        ('{"x": "\x00"}', "a NUL byte"),
        ("[1]", "policy config"),
    ],
    ids=["very-deep", "deep", "nul", "list"],
)
def test_bad_policy_configs(
    tmp_path: Path, plan_document: dict, content: str, expected: str
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_document))
    config = tmp_path / "config.json"
    config.write_text(content)
    run = invoke("bad-input", "check", str(plan), "--config", str(config))
    assert_kept_promises(run)
    assert run.code == 2 and expected in run.err, run.err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"outputs": "x"}', "has no `volumes` output"),
        ('{"outputs": {"volumes": ' + "[" * 3000 + "]" * 3000 + "}}", "nests more than 100 levels"),
        ('{"outputs": {"volumes": ' + "[" * 500 + "]" * 500 + "}}", "nests more than 100 levels"),
        ("not json", "invalid JSON"),
    ],
    ids=["outputs-string", "very-deep", "deep", "not-json"],
)
def test_bad_outputs_files(tmp_path: Path, content: str, expected: str) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(content)
    run = invoke(
        "bad-input", "render", str(EXAMPLES / "aws-inference.yaml"), "--outputs", str(outputs),
        "--out", str(tmp_path / "gitops"),
    )  # fmt: skip
    assert_kept_promises(run)
    assert run.code == 2 and expected in run.err, run.err
    assert not (tmp_path / "gitops").exists()


def test_a_real_ctrl_c_during_a_python_stack_stops_the_tool(tmp_path: Path) -> None:
    """A KeyboardInterrupt the code raises is a finding; a SIGINT from outside is the user's."""
    from clusterforge.spec.loader import load_stack

    path = tmp_path / "interrupted.py"
    path.write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nwhile True:\n    pass\n"
    )
    with pytest.raises(KeyboardInterrupt):
        load_stack(path)
