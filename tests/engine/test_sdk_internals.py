"""The private Pulumi SDK names the offline engine and the offline policy runner use.

They are not public API and may change in any SDK release, so pyproject.toml pins ``pulumi`` and
``pulumi-policy`` to the range this suite ran against. When you widen that range, this test names
what to check in the new SDK: each internal must still exist and mean the same.
"""

from __future__ import annotations

import importlib
import importlib.metadata

import pytest
from packaging.requirements import Requirement

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
    declared = [
        Requirement(r)
        for r in importlib.metadata.requires("clusterforge") or []
        if Requirement(r).name == distribution
    ]
    assert declared, f"pyproject.toml declares no {distribution} range"
    installed = importlib.metadata.version(distribution)
    assert declared[0].specifier.contains(installed), (distribution, installed)
    assert any(s.operator in ("<", "<=", "~=", "==") for s in declared[0].specifier), (
        f"{distribution} needs an upper bound: the engine uses its private internals"
    )
