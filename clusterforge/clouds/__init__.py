"""One profile per cloud: what the core asks of a cloud, as data, instead of ``cloud ==`` branches.

A :class:`CloudProfile` says what a cloud is called, where a stack without a region is planned,
what its zones look like and what it calls a tight placement (AWS ``cluster`` placement groups,
GCP ``COMPACT`` placement policies). The values live in
``clusterforge/catalog/data/common/clouds.json``; :func:`profile` and :data:`CLOUDS` are what
resolve, validation, the engine, the CLI and the report read.

Adding a cloud: a profile entry in ``clouds.json``, the cloud's name in the spec's ``Cloud``
literal, its catalog folder under ``catalog/data/<cloud>/`` and its ``modules/<cloud>/`` folder
with a ``build`` for ``modules.program`` (README, "Architecture").
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class CloudProfile:
    """What the core needs to know about one cloud."""

    name: str
    title: str
    #: The region a stack without one is planned in (None: the cloud has no regions here).
    default_region: str | None
    #: Between the region and the zone letter (``us-east-1a``: ""; ``us-central1-a``: "-");
    #: None when the cloud's zones are not checked.
    zone_separator: str | None
    #: The shape region names must have, when no offline list of them exists.
    region_pattern: re.Pattern[str] | None
    #: What a tight placement of one pool is called on this cloud (None: not managed here).
    placement: str | None
    #: ``module:Class`` of the cluster's top Pulumi component (built by ``modules.build``).
    component: str

    def example_zone(self, region: str) -> str:
        """A zone of ``region``, for hints (``us-east-1a``, ``us-central1-a``)."""
        return f"{region}{self.zone_separator or ''}a"

    def zone_in_region(self, zone: str, region: str) -> bool:
        """Whether ``zone`` has the shape of a zone of ``region`` (only its prefix when the
        cloud's zone shape is not known)."""
        if self.zone_separator is None:
            return zone.startswith(region)
        letter = zone[len(region) + len(self.zone_separator) :]
        return (
            zone.startswith(region + self.zone_separator)
            and len(letter) == 1
            and "a" <= letter <= "z"
        )


@functools.cache
def _profiles() -> dict[str, CloudProfile]:
    text = resources.files("clusterforge.catalog").joinpath("data/common/clouds.json").read_text()
    data = json.loads(text)
    return {
        name: CloudProfile(
            name=name,
            title=entry["title"],
            default_region=entry["default_region"],
            zone_separator=entry["zone_separator"],
            region_pattern=re.compile(entry["region_pattern"]) if entry["region_pattern"] else None,
            placement=entry["placement"],
            component=entry["component"],
        )
        for name, entry in data.items()
        if not name.startswith("_")
    }


def profile(cloud: str) -> CloudProfile:
    """The profile of ``cloud`` (``aws``, ``gcp``, ``kubernetes``); KeyError for another name."""
    return _profiles()[cloud]


def default_region(cloud: str) -> str:
    """The region a stack of ``cloud`` without one is planned in (clouds.json). A cloud with no
    regions of its own (an existing cluster) plans its few cloud-shaped values as AWS does."""
    return profile(cloud).default_region or profile("aws").default_region or ""


def names() -> tuple[str, ...]:
    """Every cloud with a profile, in the data file's order."""
    return tuple(_profiles())
