"""Small plain-value checks shared by several rule modules."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import TYPE_CHECKING

from clusterforge.catalog.releases import DNS_LABEL_MAX

if TYPE_CHECKING:
    from clusterforge.catalog.resolve import ResolvedPool

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: Names end up in AWS resource names (IAM roles, node groups, launch templates) together with a
#: suffix: 40 characters keeps every derived name inside the AWS limits.
MAX_NAME = 40

# Kubernetes label syntax, as kubernetes/apimachinery@eed236ceee2c19c2753a3d93ac0631dc20750454
# checks it: pkg/api/validate/content/kube.go IsLabelKey (alias IsQualifiedName) and
# IsLabelValue, pkg/api/validate/content/dns.go IsDNS1123Subdomain for a key's prefix (the copy
# IsLabelKey calls; pkg/util/validation has the same regex and limit). Taint
# keys and values use the same two checks (kubernetes pkg/apis/core/validation validateNodeTaints:
# ValidateLabelName, IsValidLabelValue). Matched with fullmatch: Go's `$` never matches before a
# trailing newline, Python's does.
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: IsDNS1123Subdomain's limit (DNS1123SubdomainMaxLength).
DNS_SUBDOMAIN_MAX = 253
_LABEL_CHARS = "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric"


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Kubernetes label (or taint) key, ``[prefix/]name``, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and "/" in prefix:
        return "has more than one '/' (a key is an optional DNS-subdomain prefix, '/' and a name)"
    if slash:
        if not prefix:
            return "has an empty prefix before '/'"
        if len(prefix) > DNS_SUBDOMAIN_MAX:
            return f"has a {len(prefix)}-character prefix (at most {DNS_SUBDOMAIN_MAX})"
        if not DNS_SUBDOMAIN.fullmatch(prefix):
            return (
                f"has prefix {prefix!r}, which is not a DNS subdomain "
                "(lowercase letters, digits, '-' and '.', e.g. example.com)"
            )
    if not name:
        return "has an empty name" + (" after '/'" if slash else "")
    if len(name) > DNS_LABEL_MAX:
        return f"has a {len(name)}-character name (at most {DNS_LABEL_MAX})"
    if not LABEL_NAME.fullmatch(name):
        return (
            f"has name {name!r}, which must be {_LABEL_CHARS}"
            if slash
            else f"must be {_LABEL_CHARS}"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a Kubernetes label (or taint) value, or None (empty is valid)."""
    if len(value) > DNS_LABEL_MAX:
        return f"is {len(value)} characters long (at most {DNS_LABEL_MAX})"
    if value and not LABEL_NAME.fullmatch(value):
        return f"must be empty or {_LABEL_CHARS}"
    return None


#: Amazon S3 User Guide, "General purpose bucket naming rules"
#: (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 characters;
#: lowercase letters, digits, '.' and '-'; beginning and ending with a letter or digit; no two
#: adjacent periods; not formatted as an IP address.
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
S3_BUCKET_MIN, S3_BUCKET_MAX = 3, 63


def s3_bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` is not a valid S3 general purpose bucket name, or None."""
    if not S3_BUCKET_MIN <= len(bucket) <= S3_BUCKET_MAX:
        return (
            f"bucket name {bucket!r} is {len(bucket)} characters long "
            f"(S3 takes {S3_BUCKET_MIN} to {S3_BUCKET_MAX})"
        )
    if not S3_BUCKET.fullmatch(bucket):
        return (
            f"bucket name {bucket!r} must be lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in bucket:
        return f"bucket name {bucket!r} has two adjacent periods"
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return None
    return f"bucket name {bucket!r} is formatted as an IP address"


def name_problem(name: str, limit: int = MAX_NAME) -> str | None:
    """Why ``name`` is not a valid DNS-1123 label of at most ``limit`` characters, or None."""
    if not name:
        return "is empty"
    if len(name) > limit:
        return f"is {len(name)} characters long (at most {limit})"
    if not DNS_LABEL.match(name):
        return (
            "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
        )
    return None


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def today() -> dt.date:
    """The date support windows are judged against (tests pin it with monkeypatch)."""
    return dt.date.today()


def size_path(pool: ResolvedPool) -> str:
    """The spec path of the field that sets how large ``pool`` may grow: its ``max_nodes`` when
    given, else its ``nodes`` (for findings about the pool's maximum size)."""
    return f"{pool.path}.{'max_nodes' if pool.spec.max_nodes is not None else 'nodes'}"
