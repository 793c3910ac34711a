"""Network facts shared by validation and the policies: which CIDR lists reach the whole internet.

One function decides whether an allow-list is "the internet" so that the spec rule (K8S002), the
EKS endpoint policy (CF-AWS-001), the master-authorized-networks policy (CF-GKE-006) and the
ingress policies give the same answer. A list covers the internet when its networks, collapsed,
contain every address of the family: ``0.0.0.0/0``, but equally ``0.0.0.0/1`` + ``128.0.0.0/1``
(Python's :func:`ipaddress.collapse_addresses` merges adjacent networks).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPv4Network = ipaddress.IPv4Network
IPv6Network = ipaddress.IPv6Network

#: Every IPv4 / IPv6 address.
INTERNET_V4 = ipaddress.ip_network("0.0.0.0/0")
INTERNET_V6 = ipaddress.ip_network("::/0")


def parse_cidrs(cidrs: Iterable[object]) -> tuple[list[IPv4Network | IPv6Network], list[str]]:
    """The networks in ``cidrs`` (host bits allowed, as AWS and Google accept), and the entries
    that are not CIDRs."""
    networks: list[IPv4Network | IPv6Network] = []
    invalid: list[str] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            invalid.append(str(cidr))
    return networks, invalid


def covers_internet(cidrs: Iterable[object]) -> bool:
    """Whether the CIDRs together contain every IPv4 or every IPv6 address."""
    networks, _ = parse_cidrs(cidrs)
    for family, whole in ((4, INTERNET_V4), (6, INTERNET_V6)):
        same = [n for n in networks if n.version == family]
        if any(n == whole for n in ipaddress.collapse_addresses(same)):  # type: ignore[type-var]
            return True
    return False


def internet_open_endpoint(cloud: str, public: bool, cidrs: Iterable[object]) -> bool:
    """Whether a cluster's public API endpoint accepts connections from the whole internet.

    EKS: a public endpoint with no ``publicAccessCidrs`` is open to 0.0.0.0/0 (the EKS default).
    GKE: clusterforge always sends ``masterAuthorizedNetworksConfig``; an empty list there means
    *closed* to every external network (the API: "Enabled master authorized networks will disallow
    all external traffic ... except traffic from the given CIDR blocks, Google Compute Engine
    Public IPs and Google Prod IPs").
    """
    listed = list(cidrs)
    if not public:
        return False
    if not listed:
        return cloud == "aws"
    return covers_internet(listed)
