"""The rules of the pack, one module per domain; importing this package registers them all.

The import order is the registration order, which is the order of ``RULES``, the Pulumi pack and
every rule table: fabric, data safety, security, cost and governance, Kubernetes.
"""

from clusterforge.policies.rules import (  # noqa: F401, I001 - registers the rules, in this order
    fabric_aws,
    fabric_gke,
    data,
    security_aws,
    security_gke,
    governance,
    kubernetes,
)
