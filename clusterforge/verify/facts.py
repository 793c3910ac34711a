"""The catalog facts `verify` uses: how each fabric's NCCL test is launched, and what a pool of an
instance type should reach (``catalog/data/common/fabric_tests.json``, each fact with its source)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from clusterforge.catalog.model import Offering


@cache
def data() -> dict[str, Any]:
    text = resources.files("clusterforge.catalog").joinpath("data/common/fabric_tests.json")
    return json.loads(text.read_text(encoding="utf-8"))


def launcher(fabric: str) -> dict[str, Any] | None:
    """How the test is launched on ``fabric`` (efa, gpudirect-tcpxo, rdma, infiniband), or None."""
    found = data()["launchers"].get(fabric)
    if found is None:
        return None
    recipe = dict(found)
    if recipe.get("images_from") == "gpudirect":  # one matched set with the installer's pins
        from clusterforge.catalog.gpudirect import gpudirect_set

        pins = gpudirect_set(fabric)
        if pins is not None:
            if pins.rxdm_image:  # TCPX/TCPXO run the rxdm daemon beside the test; RDMA has none
                recipe["sidecar_image"] = pins.rxdm_image
            recipe["image"] = pins.nccl_test_image
    return recipe


def large_message_bytes() -> int:
    """Message sizes from which the bus bandwidth is compared with the expected figure."""
    return int(data()["large_message_bytes"])


def pass_fraction() -> float:
    return float(data()["pass_fraction"])


@dataclass(frozen=True)
class Expectation:
    """The all_reduce bus bandwidth a healthy pool reaches with large messages."""

    busbw_gb_per_s: float
    #: Published (a vendor document or benchmark) or derived from the fabric bandwidth.
    derived: bool
    source: str
    message_bytes: int

    @property
    def floor_gb_per_s(self) -> float:
        """Below this the pool fails: the expected figure times the pass fraction."""
        return round(self.busbw_gb_per_s * pass_fraction(), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "busbw_gb_per_s": self.busbw_gb_per_s,
            "floor_gb_per_s": self.floor_gb_per_s,
            "derived": self.derived,
            "source": self.source,
            "message_bytes": self.message_bytes,
        }


def expectation(offering: Offering | None, override: float | None = None) -> Expectation | None:
    """The expected all_reduce bus bandwidth of a pool of ``offering``: ``override`` (the user's
    figure), else the published one, else derived from the fabric bandwidth; None when the type's
    bandwidth is unknown (an existing cluster's pool declared without an instance type)."""
    facts = data()
    large = large_message_bytes()
    if override is not None:
        return Expectation(override, False, "--expect-busbw (the user's figure)", large)
    if offering is None:
        return None
    published = facts["published"].get(f"{offering.cloud}/{offering.instance_type}")
    if published is not None:
        return Expectation(
            float(published["busbw_gb_per_s"]),
            False,
            published["source"],
            int(published["message_bytes"]),
        )
    if offering.network_bandwidth_gbps <= 0:
        return None
    # Trainium (nccom-test) has its own stated efficiency: see neuron_derived_rule.
    key, rule = "derived_efficiency", ""
    if offering.is_neuron:
        key, rule = (
            "neuron_derived_efficiency",
            "; the Trainium rule: fabric_tests.json neuron_derived_rule",
        )
    elif offering.fabric == "gpudirect-tcpx":
        key, rule = (
            "tcpx_derived_efficiency",
            "; the TCPX rule: fabric_tests.json tcpx_derived_rule",
        )
    efficiency = float(facts[key])
    value = round(offering.network_bandwidth_gbps / 8 * efficiency, 1)
    return Expectation(
        value,
        True,
        f"derived: {efficiency:g} x {offering.network_bandwidth_gbps:g} Gbps / 8 "
        f"({offering.instance_type}'s network bandwidth in the catalog{rule})",
        large,
    )
