"""The private Pulumi SDK names the offline engine and the offline policy runner use.

They are not public API and may change in any SDK release, so pyproject.toml pins ``pulumi`` and
``pulumi-policy`` to the range this suite ran against. When you widen that range, this test names
what to check in the new SDK: each internal must still exist and mean the same.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]

# module -> the private (or undocumented) names clusterforge reads from it
INTERNALS = {
    "pulumi.runtime.rpc": [
        "_special_sig_key",
        "_special_secret_sig",
        "UNKNOWN",
        "deserialize_properties",
        "serialize_properties",
        "_get_list_element_type",
        "declare_dependency",
    ],
    "pulumi.runtime.resource_cycle_breaker": ["declare_dependency", "_DEPENDENCIES_PROPERTY"],
    "pulumi.runtime.resource": ["_get_stack_trace"],
    "pulumi.runtime.proto.source_pb2": ["StackTrace"],
    "pulumi._types": ["unwrap_type", "unwrap_optional_type", "_is_union_type", "_is_optional_type"],
    "pulumi.runtime.mocks": ["MockMonitor"],
    "pulumi.runtime.sync_await": ["_ensure_event_loop", "_sync_await"],
    "pulumi.runtime.settings": ["SETTINGS", "get_root_resource"],
    "pulumi.runtime.stack": ["run_pulumi_func"],
    "pulumi.runtime.proto.resource_pb2": ["RegisterResourceResponse"],
    "pulumi_policy.policy": ["_NotApplicableError"],
    "pulumi_policy.proxy": ["UNKNOWN_STRING_VALUE", "UnknownValueError", "unknown_checking_proxy"],
}


@pytest.mark.parametrize("module", sorted(INTERNALS))
def test_the_internals_exist(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in INTERNALS[module] if not hasattr(loaded, name)]
    assert not missing, f"{module} no longer has {missing}"


def test_mock_monitor_internals() -> None:
    from pulumi.runtime.mocks import MockMonitor

    assert hasattr(MockMonitor, "ResourceRegistration") and hasattr(MockMonitor, "make_urn")
    from pulumi.runtime.stack import Stack

    # The offline engine re-finishes the root stack to register the program's exports.
    assert hasattr(Stack, "_finish")
    assert "_outputs_registered" in Stack.__init__.__code__.co_names


@pytest.mark.parametrize("distribution", ["pulumi", "pulumi-policy"])
def test_the_installed_sdk_is_in_the_pinned_range(distribution: str) -> None:
    """pyproject.toml is where the range is written (the installed metadata of an editable install
    may predate an edit of it): the SDK this suite runs against must be inside it, and so must the
    installed metadata's copy of it."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the suite's interpreter
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    written = [
        Requirement(r) for r in project["dependencies"] if Requirement(r).name == distribution
    ]
    assert written, f"pyproject.toml declares no {distribution} range"
    installed = importlib.metadata.version(distribution)
    assert written[0].specifier.contains(installed), (
        f"{distribution} {installed} is installed but pyproject.toml pins {written[0].specifier}: "
        "run the suite against the pinned SDK, or check the internals above and move the pin"
    )
    assert any(s.operator in ("<", "<=", "~=", "==") for s in written[0].specifier), (
        f"{distribution} needs an upper bound: the engine uses its private internals"
    )
    metadata = [
        Requirement(r)
        for r in importlib.metadata.requires("clusterforge") or []
        if Requirement(r).name == distribution
    ]
    assert [r.specifier for r in metadata] == [written[0].specifier], (
        "the installed clusterforge metadata has another range than pyproject.toml: reinstall"
    )
