"""EKS AMI types: what each one is, read from its name against the EKS API's list.

The list (``services.json`` ``eks_ami_types``) is the EKS API's ``AMITypes`` enum; names are
``<FAMILY>_<ARCH>[_<VARIANT>]`` (AL2023_x86_64_NVIDIA, BOTTLEROCKET_ARM_64_NVIDIA_FIPS, ...). The
validation rules AWS001/AWS002/AWS004, the node pool component and the add-on resolution read
these traits, so a pool's AMI means one thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AmiTraits:
    ami_type: str
    #: AL2, AL2023, BOTTLEROCKET, WINDOWS or CUSTOM.
    family: str
    #: x86_64 or arm64 (None for CUSTOM).
    architecture: str | None
    #: The AMI ships the NVIDIA driver (and, on Bottlerocket, the Kubernetes device plugin).
    nvidia: bool
    #: The AMI ships the Neuron driver.
    neuron: bool

    @property
    def ships_nvidia_device_plugin(self) -> bool:
        """Bottlerocket NVIDIA variants run NVIDIA's device plugin themselves; the AL2023 NVIDIA
        AMI does not (a second plugin would fight over the GPUs)."""
        return self.nvidia and self.family == "BOTTLEROCKET"


def traits(ami_type: str) -> AmiTraits:
    family = next(
        (f for f in ("AL2023", "AL2", "BOTTLEROCKET", "WINDOWS") if ami_type.startswith(f + "_")),
        "CUSTOM",
    )
    architecture = None if family == "CUSTOM" else "arm64" if "_ARM_64" in ami_type else "x86_64"
    nvidia = "_NVIDIA" in ami_type or ami_type == "AL2_x86_64_GPU"
    return AmiTraits(ami_type, family, architecture, nvidia, "_NEURON" in ami_type)


def known_ami_types(extra: dict[str, Any]) -> list[str]:
    """The EKS API's AMI types from the catalog's services data (``CloudCatalog.extra``)."""
    return list((extra.get("eks_ami_types") or {}).get("values", []))


def al2_last_kubernetes(extra: dict[str, Any]) -> str | None:
    return (extra.get("eks_ami_types") or {}).get("al2_last_kubernetes")
