"""Fill us-east-1 On-Demand prices in clusterforge/catalog/data/aws/prices.json from
aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go (machine-generated
from the AWS Price List API), for catalog types that have no us-east-1 price yet. Existing values
are compared, never silently overwritten. Run by a developer:

    git --git-dir=<mirror> show <commit>:pkg/providers/pricing/zz_generated.pricing_aws.go > p.go
    python tools/aws_prices_from_karpenter.py p.go <commit>
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "clusterforge" / "catalog" / "data" / "aws"


def main(go_file: str, commit: str) -> None:
    source = Path(go_file).read_text()
    block = source.split('"us-east-1": {', 1)[1].split("\n\t},", 1)[0]
    listed = {k: float(v) for k, v in re.findall(r'"([a-z0-9-]+\.[a-z0-9]+)": ([0-9.]+)', block)}
    instances = json.loads((DATA / "instances.json").read_text())["instances"]
    prices_path = DATA / "prices.json"
    prices = json.loads(prices_path.read_text())
    east = prices["on_demand_usd_per_hour"]["us-east-1"]
    for row in instances:
        name = row["instance_type"]
        if (
            name in east
            and east[name] is not None
            and name in listed
            and east[name] != listed[name]
        ):
            print(f"differs: {name} {east[name]} (kept) vs {listed[name]} ({commit})")
        elif east.get(name) is None and name in listed:
            east[name] = listed[name]
            print(f"added: {name} {listed[name]}")
        for table in prices["on_demand_usd_per_hour"].values():
            table.setdefault(name, None)
    prices_path.write_text(json.dumps(prices, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
