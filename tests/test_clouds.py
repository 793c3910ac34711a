"""Cloud profiles: one per cloud the spec accepts, read instead of `cloud ==` branches."""

from __future__ import annotations

import typing

import pytest

from clusterforge.clouds import names, profile
from clusterforge.spec.models import Cloud


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


@pytest.mark.parametrize("cloud", names())
def test_each_profile_names_every_hook_and_each_takes_what_its_caller_passes(cloud: str) -> None:
    """A profile without a hook, or one naming a function that is not there or takes other
    parameters, fails here rather than in `verify`, `ci` or a plan's cost table."""
    import inspect

    from clusterforge.clouds import HOOKS

    cloud_profile = profile(cloud)
    assert set(cloud_profile.hooks) == set(HOOKS)
    for name, parameters in HOOKS.items():
        module, _, function = cloud_profile.hooks[name].partition(":")
        assert module == f"clusterforge.clouds.{cloud}", "a cloud's hooks live in its own module"
        hook = cloud_profile.hook(name)
        assert hook.__name__ == function
        assert tuple(inspect.signature(hook).parameters) == parameters, name
