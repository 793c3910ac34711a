"""AWS region names, read from the endpoint data file botocore ships (offline, no session).

Building a botocore session to call ``get_available_regions("ec2")`` costs about a second of
imports; this reads the same file (``botocore/data/endpoints.json``) and applies the same
selection — the endpoints of the ``ec2`` service in the ``aws`` partition that are regions of
that partition (botocore ``EndpointResolver.get_available_endpoints``). It follows whatever
botocore version is installed; tests/catalog/test_regions.py compares it with botocore's own
answer.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any


def _endpoint_data() -> dict[str, Any]:
    spec = importlib.util.find_spec("botocore")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("botocore is not installed")
    data = Path(next(iter(spec.submodule_search_locations)), "data")
    plain = data / "endpoints.json"
    if plain.is_file():
        return json.loads(plain.read_text(encoding="utf-8"))
    with gzip.open(data / "endpoints.json.gz", "rt", encoding="utf-8") as packed:
        return json.load(packed)


@functools.cache
def aws_regions(service: str = "ec2", partition: str = "aws") -> tuple[str, ...]:
    """The regions of ``partition`` where ``service`` has an endpoint, sorted."""
    for entry in _endpoint_data()["partitions"]:
        if entry["partition"] != partition:
            continue
        endpoints = entry["services"].get(service, {}).get("endpoints", {})
        return tuple(sorted(name for name in endpoints if name in entry["regions"]))
    return ()
