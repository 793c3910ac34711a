"""AWS regions read from botocore's endpoint data file agree with botocore's own session."""

from __future__ import annotations

import botocore.session

from clusterforge.catalog.regions import aws_regions


def test_regions_match_botocore_get_available_regions() -> None:
    session = botocore.session.get_session()
    assert list(aws_regions("ec2")) == sorted(session.get_available_regions("ec2"))
    assert list(aws_regions("ec2", "aws-us-gov")) == sorted(
        session.get_available_regions("ec2", "aws-us-gov")
    )


def test_regions_are_real_region_names() -> None:
    regions = aws_regions("ec2")
    assert "us-east-1" in regions and "eu-west-1" in regions
    assert not any(r.startswith("fips-") or r == "aws-global" for r in regions)
    assert aws_regions("ec2", "no-such-partition") == ()
