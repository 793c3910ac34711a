"""The `--policy-pack-config` file: levels, settings, and clear errors for what does not fit the pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi_policy import EnforcementLevel

from clusterforge.errors import UsageError
from clusterforge.policies import RULES
from clusterforge.policies.pack_config import (
    SUPPORTED_KEYWORDS,
    PackConfig,
    PolicyConfigError,
    check_value,
    load,
    parse,
)


def test_levels_and_settings() -> None:
    config = parse(
        {
            "all": "advisory",
            "CF-AWS-003": "disabled",
            "CF-GOV-001": {"enforcementLevel": "mandatory", "maxHourlyUsd": 150},
            "CF-GOV-004": {"requiredTags": ["team"]},
        }
    )
    assert config.level(RULES["CF-AWS-003"]) == EnforcementLevel.DISABLED
    assert config.level(RULES["CF-GOV-001"]) == EnforcementLevel.MANDATORY
    assert config.level(RULES["CF-AWS-001"]) == EnforcementLevel.ADVISORY  # from "all"
    assert config.settings_for(RULES["CF-GOV-001"]) == {"maxHourlyUsd": 150}
    assert config.settings_for(RULES["CF-AWS-001"]) is None
    assert (
        parse({"all": {"enforcementLevel": "mandatory"}}).level(RULES["CF-AWS-009"])
        == EnforcementLevel.MANDATORY
    )


def test_defaults_and_skipping() -> None:
    assert PackConfig().level(RULES["CF-AWS-009"]) == EnforcementLevel.ADVISORY
    assert (
        PackConfig().skipping(["cf-aws-001"]).level(RULES["CF-AWS-001"])
        == EnforcementLevel.DISABLED
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "top level must be an object"),
        ({"CF-AWS-0001": "disabled"}, "unknown policy 'CF-AWS-0001' (did you mean 'CF-AWS-001'?)"),
        (
            {"CF-AWS-001": "warn"},
            "enforcement level 'warn' is not one of advisory, mandatory, remediate, disabled",
        ),
        ({"CF-AWS-001": {"x": 1}}, "CF-AWS-001 takes no settings"),
        (
            {"CF-GOV-001": {"maxHourlyUsd": "lots"}},
            "CF-GOV-001.maxHourlyUsd: 'lots' is not a number",
        ),
        ({"CF-GOV-001": {"maxHourlyUsd": -5}}, "CF-GOV-001.maxHourlyUsd: -5 is less than 0"),
        (
            {"CF-GOV-001": {"maxHourlyUSD": 5}},
            "unknown setting 'maxHourlyUSD' (did you mean 'maxHourlyUsd'?)",
        ),
        (
            {"CF-GOV-001": {"scale": "peak"}},
            "CF-GOV-001.scale: 'peak' is not one of 'desired', 'max'",
        ),
        ({"CF-GOV-002": {"allowedRegions": []}}, "needs at least 1 item(s)"),
        (
            {"CF-GOV-005": {"spotAllowed": {"training": "no"}}},
            "CF-GOV-005.spotAllowed.training: 'no' is not a boolean",
        ),
    ],
)
def test_what_does_not_fit_the_pack_is_named(data: Any, message: str) -> None:
    with pytest.raises(PolicyConfigError) as error:
        parse(data)
    assert message in str(error.value)


def test_files_fail_with_one_line_and_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"all": }')
    with pytest.raises(UsageError, match=r"broken.json:1:9: invalid JSON"):
        load(broken)
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"CF-GOV-001": {"maxHourlyUsd": "lots"}}))
    with pytest.raises(UsageError, match="policy config .*typo.json: CF-GOV-001.maxHourlyUsd"):
        load(typo)


def test_schemas_use_the_supported_json_schema_subset() -> None:
    def keywords(schema: dict[str, Any]) -> set[str]:
        found = set(schema)
        for nested in [
            schema.get("items"),
            schema.get("additionalProperties"),
            *schema.get("properties", {}).values(),
        ]:
            if isinstance(nested, dict):
                found |= keywords(nested)
        return found

    for rule in RULES.values():
        for schema in rule.config_properties.values():
            assert keywords(dict(schema)) <= SUPPORTED_KEYWORDS, rule.id


@pytest.mark.parametrize(
    "values",
    [
        {"maxHourlyUsd": 100, "scale": "max", "region": "us-east-1"},
        {"maxHourlyUsd": -1},
        {"maxHourlyUsd": True},
        {"scale": 3},
        {"region": ["us-east-1"]},
    ],
)
def test_the_subset_validator_agrees_with_jsonschema(values: dict[str, Any]) -> None:
    schema = {
        "type": "object",
        "properties": dict(RULES["CF-GOV-001"].config_properties),
        "additionalProperties": False,
    }
    ours = check_value(values, schema, "x") is None
    theirs = jsonschema.Draft7Validator(schema).is_valid(values)
    assert ours == theirs
