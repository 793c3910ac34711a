"""The rules of the pack, one module per domain; importing this package registers them all."""

from clusterforge.policies.rules import (  # noqa: F401 - registers the rules, in this order
    data,
    fabric_aws,
    fabric_gke,
    governance,
    kubernetes,
    security_aws,
    security_gke,
)
