"""The stack loader (spec/loader.py): YAML and Python stacks, source maps, load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterforge.errors import StackLoadError
from clusterforge.findings import Finding, Severity
from clusterforge.spec.loader import SCHEMA_RULE, load_stack
from clusterforge.spec.models import Cluster

GOOD_YAML = """\
name: train
cloud: aws
region: us-east-1
node_pools:
  - name: system
    instance_type: m7i.2xlarge
    nodes: 2
  - name: h100
    instance_type: p5.48xlarge
    nodes: 2
    zone: us-east-1a
"""

PYTHON_STACK = """\
from clusterforge.spec import Cluster, NodePool

cluster = Cluster(
    name="train",
    cloud="aws",
    region="us-east-1",
    node_pools=[
        NodePool(name="system", instance_type="m7i.2xlarge", nodes=2),
        NodePool(
            name="h100",
            instance_type="p5.48xlarge",
            nodes=2,
        ),
    ],
)
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> StackLoadError:
    with pytest.raises(StackLoadError) as caught:
        load_stack(path)
    return caught.value


def program_finding(path: Path) -> Finding:
    """The one finding of a Python stack that failed to run (no cluster, no exception)."""
    stack = load_stack(path)
    assert stack.cluster is None and len(stack.findings) == 1, stack.findings
    return stack.findings[0]


# ------------------------------------------------------------------ YAML


def test_yaml_stack_loads_with_a_source_map(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", GOOD_YAML)
    stack = load_stack(path)
    assert isinstance(stack.cluster, Cluster)
    assert stack.findings == []
    assert stack.cluster.node_pools[1].instance_type == "p5.48xlarge"
    assert stack.source.line_of("node_pools[1]") == 8
    assert stack.source.line_of("node_pools[1].zone") == 11
    # Paths the file does not declare fall back to their nearest declared ancestor.
    assert stack.source.location("node_pools[1].capacity.type") == f"{path}:8"


def test_directory_loads_its_cluster_yaml(tmp_path: Path) -> None:
    write(tmp_path, "cluster.yaml", GOOD_YAML)
    assert load_stack(tmp_path).cluster is not None


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        pytest.param(
            "name: a\ncloud: aws\nzone: a: b\n",
            ":3:8",
            "mapping values are not allowed here",
            id="mapping-in-scalar",
        ),
        pytest.param(
            "name: a\nnode_pools: [\n  {name: x}\n",
            ":4:1",
            "expected ',' or ']'",
            id="unclosed-flow-list",
        ),
        pytest.param("name: a\n\tcloud: aws\n", ":2:1", "invalid YAML", id="tab-indent"),
    ],
)
def test_yaml_syntax_error_names_file_and_line(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = write(tmp_path, "cluster.yaml", text)
    error = load_error(path)
    assert error.location == f"{path}{where}"
    assert problem in error.message
    assert str(error).startswith(f"{path}{where}: invalid YAML")


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        pytest.param("name: a\ncloud: aws\nname: b\n", 3, "name", id="top-level"),
        pytest.param(
            "name: a\ncloud: aws\nnode_pools:\n  - name: g\n    nodes: 1\n    nodes: 2\n",
            6,
            "nodes",
            id="inside-a-pool",
        ),
    ],
)
def test_duplicate_key_is_an_error_with_its_line(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    path = write(tmp_path, "cluster.yml", text)
    error = load_error(path)
    assert error.message == f"duplicate key {key!r}"
    assert error.location == f"{path}:{line}:5" if key == "nodes" else f"{path}:{line}:1"


def test_unknown_field_is_a_spec001_finding_with_path_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cluster.yaml",
        GOOD_YAML.replace("    instance_type: p5.48xlarge", "    instance_typ: p5.48xlarge"),
    )
    stack = load_stack(path)
    assert stack.cluster is None
    (finding,) = stack.findings
    assert finding.rule == SCHEMA_RULE == "SPEC001"
    assert finding.severity is Severity.ERROR
    assert finding.path == "node_pools[1].instance_typ"
    assert finding.message == "unknown field 'instance_typ'"
    assert finding.location == f"{path}:9"


def test_every_schema_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("cloud: aws", "cloud: azure").replace(
        "    nodes: 2\n  - name: h100", "    nodes: -1\n  - name: h100"
    )
    stack = load_stack(write(tmp_path, "cluster.yaml", text))
    assert {(f.path, f.location.rsplit(":", 1)[1]) for f in stack.findings} == {
        ("cloud", "2"),
        ("node_pools[0].nodes", "7"),
    }
    (cloud,) = [f for f in stack.findings if f.path == "cloud"]
    assert "'aws'" in cloud.hint


def test_unquoted_float_version_is_explained(tmp_path: Path) -> None:
    stack = load_stack(
        write(tmp_path, "cluster.yaml", GOOD_YAML + "kubernetes:\n  version: 1.30\n")
    )
    (finding,) = stack.findings
    assert finding.path == "kubernetes.version"
    assert "YAML reads 1.30 as the number 1.3" in finding.message
    assert finding.location.endswith(":13")


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# nothing yet\n"], ids=["empty", "blank-lines", "only-a-comment"]
)
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "cluster.yaml", text)
    error = load_error(path)
    assert error.message == "the file is empty"
    assert error.location == str(path)
    assert error.hint


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", "- name: a\n")
    assert load_error(path).message == "the top level must be a mapping of cluster fields"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    error = load_error(path)
    assert error.message == "no such file"
    assert error.location == str(path)


def test_directory_without_a_stack(tmp_path: Path) -> None:
    assert "no cluster.yaml" in load_error(tmp_path).message


def test_unknown_suffix(tmp_path: Path) -> None:
    error = load_error(write(tmp_path, "cluster.toml", "name = 'a'\n"))
    assert "unknown stack file type '.toml'" in error.message
    assert ".yaml" in (error.hint or "")


def test_json_stack_has_lines_too(tmp_path: Path) -> None:
    text = '{\n  "name": "train",\n  "cloud": "aws",\n  "node_pools": [\n    {"name": "system", "instance_typ": "m7i.2xlarge"}\n  ]\n}\n'
    (finding,) = load_stack(write(tmp_path, "cluster.json", text)).findings
    assert finding.path == "node_pools[0].instance_typ"
    assert finding.location.endswith(":5")


# ------------------------------------------------------------------ Python


def test_python_stack_loads_with_a_source_map(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.py", PYTHON_STACK)
    stack = load_stack(path)
    assert isinstance(stack.cluster, Cluster)
    assert [p.name for p in stack.cluster.node_pools] == ["system", "h100"]
    assert stack.source.line_of("node_pools") == 7
    assert stack.source.line_of("node_pools[0]") == 8
    assert stack.source.line_of("node_pools[1]") == 9
    assert stack.source.line_of("node_pools[1].instance_type") == 11
    assert stack.source.location("node_pools[1].capacity") == f"{path}:9"


def test_python_stack_that_raises_names_the_line_without_a_traceback(tmp_path: Path) -> None:
    text = 'from clusterforge.spec import Cluster\n\nsize = {"small": 1}["large"]\ncluster = Cluster(name="a", cloud="aws")\n'
    path = write(tmp_path, "cluster.py", text)
    finding = program_finding(path)
    assert (finding.rule, finding.message) == ("SPEC002", "the stack raised KeyError: 'large'")
    assert finding.location == f"{path}:3"


def test_python_stack_raising_inside_a_function_names_the_line_in_the_stack(tmp_path: Path) -> None:
    text = 'def pools():\n    raise ValueError("no quota")\n\n\nPOOLS = pools()\n'
    path = write(tmp_path, "cluster.py", text)
    finding = program_finding(path)
    assert finding.message == "the stack raised ValueError: no quota"
    assert finding.location == f"{path}:2"


def test_python_stack_with_a_schema_error_names_the_line(tmp_path: Path) -> None:
    text = PYTHON_STACK.replace("nodes=2,\n        ),", "nodes=-1,\n        ),")
    path = write(tmp_path, "cluster.py", text)
    finding = program_finding(path)
    assert finding.message.startswith("invalid NodePool: nodes:")
    assert finding.location == f"{path}:9"


def test_python_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cluster.py",
        "from clusterforge.spec import Cluster\n\ncluster = Cluster(name='a'\n",
    )
    error = load_error(path)
    assert error.message.startswith("Python syntax error")
    assert error.location == f"{path}:3:18"


@pytest.mark.parametrize(
    "text",
    ["", "cluster = {'name': 'a', 'cloud': 'aws'}\n"],
    ids=["empty", "dict-instead-of-cluster"],
)
def test_python_stack_without_a_cluster(tmp_path: Path, text: str) -> None:
    error = load_error(write(tmp_path, "cluster.py", text))
    expected = (
        "`cluster` is a dict, not a Cluster" if text else "no module-level `cluster = Cluster(...)`"
    )
    assert expected in error.message
    assert "Cluster(name=" in (error.hint or "")


def test_python_stack_calling_exit(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.py", "import sys\nsys.exit(3)\n")
    finding = program_finding(path)
    assert (finding.message, finding.location) == ("the stack called sys.exit()", f"{path}:2")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("import os\nos._exit(0)\n", 2),
        ("from os import _exit\n\n_exit(0)\n", 3),
        ("import posix\nposix._exit(0)\n", 2),
        ("import os\ntry:\n    os._exit(0)\nexcept BaseException:\n    pass\n", None),
    ],
    ids=["os", "from-import", "posix", "caught"],
)
def test_python_stack_calling_os_exit_is_an_error_not_a_silent_exit(
    tmp_path: Path, text: str, line: int | None
) -> None:
    import os

    original = os._exit
    path = write(tmp_path, "cluster.py", text)
    finding = program_finding(path)  # the test process is still here: os._exit did not run
    assert finding.message.startswith("the stack called os._exit()")
    assert finding.location == (f"{path}:{line}" if line else str(path))
    assert os._exit is original


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\ncloud: aws\nzone:\n", None),
        ("name: !custom t\ncloud: aws\n", "invalid YAML value"),
        ("x: &x [*x]\n", "recursive alias"),
        ("? [a, b] : 1\n", "mapping keys must be plain strings"),
    ],
    ids=["empty-value", "custom-tag", "recursive-alias", "complex-key"],
)
def test_awkward_yaml_is_an_error_with_a_line_or_a_value(
    tmp_path: Path, text: str, message: str | None
) -> None:
    path = write(tmp_path, "stack.yaml", text)
    if message is None:
        stack = load_stack(path)
        assert (
            stack.cluster is not None and stack.cluster.zone is None
        )  # `zone:` is null, not a crash
        return
    error = load_error(path)
    assert message in error.message and error.location and error.location.startswith(str(path))


def test_alias_bombs_stop_early(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    error = load_error(write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n"))
    assert "alias expansion" in error.message


def test_merge_keys_and_x_anchor_keys(tmp_path: Path) -> None:
    text = (
        "x-gpu: &gpu {instance_type: p5.48xlarge, nodes: 2}\n"
        "name: a\ncloud: aws\nregion: us-east-1\nzone: us-east-1a\n"
        "node_pools:\n  - {name: system, instance_type: m7i.large, nodes: 2}\n  - {<<: *gpu, name: h100, nodes: 4}\n"
    )
    stack = load_stack(write(tmp_path, "stack.yaml", text))
    assert stack.findings == []
    pool = stack.cluster.node_pools[1]  # type: ignore[union-attr]
    assert (pool.instance_type, pool.nodes) == (
        "p5.48xlarge",
        4,
    )  # explicit keys win over merged ones


def test_print_in_a_python_stack_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "from clusterforge import Cluster\nprint('hello')\ncluster = Cluster(name='a', cloud='aws', region='us-east-1')\n"
    load_stack(write(tmp_path, "cluster.py", text))
    captured = capsys.readouterr()
    assert "hello" in captured.err and "hello" not in captured.out


@pytest.mark.parametrize(
    ("typo", "where", "suggestion"),
    [
        ("    nodes: 2\n", "    nodes_count: 2\n", "'nodes'"),
        ("name: train\n", "name: train\ncolud: aws\n", "'cloud'"),
        ("    nodes: 2\n", "    nodes: 2\n    capacity: {typ: spot}\n", "'type'"),
        ("name: train\n", "name: train\nxyzzy: 1\n", None),
    ],
)
def test_an_unknown_field_suggests_the_closest_field_of_its_model(
    tmp_path: Path, typo: str, where: str, suggestion: str | None
) -> None:
    assert typo in GOOD_YAML
    stack = load_stack(write(tmp_path, "cluster.yaml", GOOD_YAML.replace(typo, where, 1)))
    (finding,) = stack.findings
    assert finding.message.startswith("unknown field")
    if suggestion:
        assert finding.hint.startswith(f"did you mean {suggestion}?"), finding.hint
    else:
        assert finding.hint.startswith("check the spelling"), finding.hint


def test_a_python_stack_with_an_unknown_keyword_gets_the_closest_field(tmp_path: Path) -> None:
    text = PYTHON_STACK.replace('instance_type="m7i.2xlarge", nodes=2', "nodes_count=2", 1)
    assert text != PYTHON_STACK
    (finding,) = load_stack(write(tmp_path, "cluster.py", text)).findings
    assert finding.message == "invalid NodePool: nodes_count: Extra inputs are not permitted"
    assert finding.hint.startswith("did you mean 'nodes'?"), finding.hint
