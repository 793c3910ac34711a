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
