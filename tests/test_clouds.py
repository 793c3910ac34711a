"""Cloud profiles: one per cloud the spec accepts, read instead of `cloud ==` branches."""

from __future__ import annotations

import dataclasses
import importlib
import typing
from pathlib import Path

import pytest

from clusterforge.clouds import HOOKS, OPTIONAL_HOOKS, CloudProfile, names, profile
from clusterforge.spec.models import Cloud, Cluster


def test_every_cloud_of_the_spec_has_a_profile() -> None:
    assert set(typing.get_args(Cloud)) == set(names())


@pytest.mark.parametrize(
    ("cloud", "zone", "region", "inside"),
    [
        ("aws", "us-east-1a", "us-east-1", True),
        ("aws", "us-east-1-a", "us-east-1", False),
        ("aws", "us-east-1ab", "us-east-1", False),
        ("aws", "us-west-2a", "us-east-1", False),
        ("gcp", "us-central1-a", "us-central1", True),
        ("gcp", "us-central1a", "us-central1", False),
        ("gcp", "europe-west4-a", "us-central1", False),
        ("kubernetes", "rack-7", "rack", True),
    ],
)
def test_zone_shapes(cloud: str, zone: str, region: str, inside: bool) -> None:
    assert profile(cloud).zone_in_region(zone, region) is inside


def test_profiles_say_what_the_core_asks() -> None:
    assert profile("aws").example_zone("eu-west-1") == "eu-west-1a"
    assert profile("gcp").example_zone("europe-west4") == "europe-west4-a"
    assert (profile("aws").placement, profile("gcp").placement) == ("cluster", "compact")
    gcp_regions = profile("gcp").region_pattern
    assert gcp_regions is not None
    assert gcp_regions.match("us-central1") and not gcp_regions.match("us-central")
    with pytest.raises(KeyError):
        profile("azure")


@pytest.mark.parametrize("cloud", names())
def test_each_profile_names_its_top_component(cloud: str) -> None:
    import importlib

    import pulumi

    module, _, name = profile(cloud).component.partition(":")
    component = getattr(importlib.import_module(module), name)
    assert issubclass(component, pulumi.ComponentResource)


@pytest.mark.parametrize("cloud", names())
def test_what_a_profile_offers_is_what_the_spec_can_say(cloud: str) -> None:
    from clusterforge.spec.models import CapacityType, Fabric, StorageType

    cloud_profile = profile(cloud)
    assert set(cloud_profile.fabrics) <= set(typing.get_args(Fabric))
    assert {"auto", "none"} <= set(cloud_profile.fabrics)  # EFA003 hints list them first
    assert set(cloud_profile.capacity_types) <= set(typing.get_args(CapacityType))
    assert set(cloud_profile.storage) <= set(typing.get_args(StorageType))


def test_every_spec_value_is_offered_somewhere() -> None:
    from clusterforge.spec.models import CapacityType, Fabric, StorageType

    offered = [profile(c) for c in names()]
    assert {f for p in offered for f in p.fabrics} == set(typing.get_args(Fabric))
    assert {t for p in offered for t in p.capacity_types} == set(typing.get_args(CapacityType))
    assert {s for p in offered for s in p.storage} == set(typing.get_args(StorageType))


@pytest.mark.parametrize("cloud", names())
def test_provider_settings_and_prices_exist(cloud: str) -> None:
    from clusterforge.catalog import load
    from clusterforge.clouds import cluster_clouds
    from clusterforge.spec.models import Cluster

    cloud_profile = profile(cloud)
    assert set(cloud_profile.provider_config.values()) <= set(Cluster.model_fields)
    assert all(key.startswith(f"{cloud}:") for key in cloud_profile.provider_config)
    # The catalog `new` points a stack at is one `clusterforge catalog --cloud` offers.
    assert cloud_profile.offerings_catalog in cluster_clouds()
    if not cloud_profile.creates_cluster:
        assert cloud_profile.price_regions == () and cloud_profile.storage == {}
        assert cloud_profile.network_cidr is None
        return
    assert cloud_profile.offerings_catalog == cloud
    assert cloud_profile.network_cidr  # NET001 says what network.cidr is there
    priced = {r for o in load(cloud).offerings.values() for r in o.price_usd_per_hour}
    assert set(cloud_profile.price_regions) <= priced
    assert cloud_profile.default_region in priced


def test_the_cli_offers_the_clouds_of_the_profiles() -> None:
    from clusterforge.cli.plan import cloud_option
    from clusterforge.clouds import cluster_clouds

    assert cluster_clouds() == ("aws", "gcp")

    @cloud_option
    def command(cloud: str) -> None: ...

    [option] = command.__click_params__  # type: ignore[attr-defined]
    assert tuple(option.type.choices) == cluster_clouds()


def _hook_problems(cloud_profile: CloudProfile) -> list[str]:
    """What is wrong with a profile's hooks: a required one left out, one no caller asks for, one
    outside the cloud's own module, or a function that is not there or takes other parameters."""
    import inspect

    problems = [f"{name}: required" for name in HOOKS if name not in cloud_profile.hooks]
    for name, target in cloud_profile.hooks.items():
        parameters = HOOKS.get(name, OPTIONAL_HOOKS.get(name))
        module, _, function = target.partition(":")
        if parameters is None:
            problems.append(f"{name}: no such hook")
        elif module != f"clusterforge.clouds.{cloud_profile.name}":
            problems.append(f"{name}: not in the cloud's own module")
        elif not callable(hook := getattr(importlib.import_module(module), function, None)):
            problems.append(f"{name}: {target} is not there")
        elif tuple(inspect.signature(hook).parameters) != parameters:
            problems.append(f"{name}: takes {tuple(inspect.signature(hook).parameters)}")
    return problems


@pytest.mark.parametrize("cloud", names())
def test_each_profile_names_every_hook_and_each_takes_what_its_caller_passes(cloud: str) -> None:
    """A profile's hooks are checked here rather than failing in `verify`, `ci` or a plan's cost
    table. An optional hook may be left out (its caller's default holds)."""
    assert _hook_problems(profile(cloud)) == []


def test_the_hook_check_sees_a_missing_function_and_other_parameters() -> None:
    aws = profile("aws")
    hooks = {**aws.hooks, "credentials_command": "clusterforge.clouds.aws:no_such_function"}
    assert _hook_problems(dataclasses.replace(aws, hooks=hooks)) == [
        "credentials_command: clusterforge.clouds.aws:no_such_function is not there"
    ]
    hooks = {**aws.hooks, "service_costs": "clusterforge.clouds.aws:github_login"}
    assert _hook_problems(dataclasses.replace(aws, hooks=hooks)) == [
        "service_costs: takes ('region', 'step')"
    ]
    hooks = {k: v for k, v in aws.hooks.items() if k != "gitlab_login"}
    assert _hook_problems(dataclasses.replace(aws, hooks={**hooks, "login": "x:y"})) == [
        "gitlab_login: required",
        "login: no such hook",
    ]


def test_a_hook_a_profile_leaves_out_is_its_callers_default() -> None:
    """An existing cluster names no credentials command and no service prices: verify asks for
    --kubeconfig and the estimate has only what the node pools cost (nothing here)."""
    from clusterforge.catalog.resolve import resolve
    from clusterforge.cost import estimate
    from clusterforge.spec.loader import load_stack
    from clusterforge.verify.access import credentials_command

    assert profile("kubernetes").optional_hook("service_costs") is None
    cluster = load_stack(Path(__file__).parent.parent / "examples" / "byo-infiniband.yaml").cluster
    assert cluster is not None
    resolved = resolve(cluster)
    assert credentials_command(resolved) is None
    assert estimate(resolved).items == []


def test_a_stack_without_a_region_is_planned_in_its_clouds_default() -> None:
    from clusterforge.clouds import region_of

    assert region_of("gcp", "europe-west4") == "europe-west4"
    assert region_of("gcp", None) == profile("gcp").default_region
    assert region_of("kubernetes", None) == profile("aws").default_region  # no regions of its own


@pytest.mark.parametrize(("nat", "gateways"), [("per_zone", 3), ("single", 1)])
def test_nat_gateways_priced_are_the_ones_the_network_builds(nat: str, gateways: int) -> None:
    from clusterforge.catalog.resolve import resolve
    from clusterforge.cost import estimate

    zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]  # NET002: at most 3 built
    spec = Cluster(
        name="demo",
        cloud="aws",
        region="us-east-1",
        zone="us-east-1a",
        network={"zones": zones, "nat": nat},
        node_pools=[{"name": "cpu", "instance_type": "m7i.2xlarge", "nodes": 1}],
    )
    (item,) = [i for i in estimate(resolve(spec)).items if i.name == "NAT gateway"]
    assert item.quantity == gateways
