"""The policy config file: enforcement levels and settings, in Pulumi's ``--policy-pack-config`` format.

One JSON file serves ``pulumi preview --policy-pack policies --policy-pack-config FILE`` and
``clusterforge check --config FILE``::

    {
      "all": "advisory",
      "CF-AWS-003": "disabled",
      "CF-GOV-001": {"enforcementLevel": "mandatory", "maxHourlyUsd": 150},
      "CF-GOV-004": {"requiredTags": ["team", "cost-center"]}
    }

``all`` sets the level of every policy; an entry per policy id sets its level (a string) or its
level and settings (an object). Settings are checked against each policy's config schema — unknown
policies and unknown or mistyped settings are errors here (Pulumi would silently ignore a typo).
The schemas use a small JSON Schema subset (type, enum, minimum, items, minItems, properties,
required, additionalProperties — the same in every JSON Schema draft), which :func:`check_value`
implements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from clusterforge.errors import UsageError
from clusterforge.policies.registry import RULES, PolicyRule
from clusterforge.spelling import close_names, did_you_mean

LEVELS = {level.value: level for level in EnforcementLevel}
#: JSON Schema keywords the config schemas may use (a test keeps them to this subset).
SUPPORTED_KEYWORDS = frozenset(
    {"type", "enum", "minimum", "items", "minItems", "properties", "required", "additionalProperties", "default",
     "description"}
)  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class PackConfig:
    """Enforcement levels and settings per policy id (empty: every policy at its default level)."""

    all_level: EnforcementLevel | None = None
    levels: Mapping[str, EnforcementLevel] = field(default_factory=dict)
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def level(self, rule: PolicyRule) -> EnforcementLevel:
        return self.levels.get(rule.id) or self.all_level or rule.level

    def settings_for(self, rule: PolicyRule) -> dict[str, Any] | None:
        values = self.settings.get(rule.id)
        return dict(values) if values else None

    def enabled_count(self) -> int:
        """How many policies of the pack run under this config."""
        return sum(1 for rule in RULES.values() if self.level(rule) != EnforcementLevel.DISABLED)

    def skipping(self, rule_ids: Iterable[str]) -> PackConfig:
        """This config with ``rule_ids`` disabled (``--skip``)."""
        skipped = {r.upper() for r in rule_ids}
        levels = dict(self.levels)
        levels.update(
            {rule_id: EnforcementLevel.DISABLED for rule_id in RULES if rule_id in skipped}
        )
        return PackConfig(self.all_level, levels, self.settings)


class PolicyConfigError(ValueError):
    """The config does not fit the pack: unknown policy, bad level, setting the schema rejects."""


def parse(data: Any) -> PackConfig:
    """Validate ``--policy-pack-config`` data against the pack; raise :class:`PolicyConfigError`."""
    if not isinstance(data, dict):
        raise PolicyConfigError("the top level must be an object of policy ids")
    all_level: EnforcementLevel | None = None
    levels: dict[str, EnforcementLevel] = {}
    settings: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key == "all":
            all_level = _level(
                key, value.get("enforcementLevel") if isinstance(value, dict) else value
            )
            continue
        rule = RULES.get(key)
        if rule is None:
            close = did_you_mean(close_names(key, RULES))
            raise PolicyConfigError(f"unknown policy {key!r}" + (f" ({close})" if close else ""))
        if isinstance(value, dict):
            values = dict(value)
            if "enforcementLevel" in values:
                levels[key] = _level(key, values.pop("enforcementLevel"))
            if values:
                _check_settings(rule, values)
                settings[key] = values
        else:
            levels[key] = _level(key, value)
    return PackConfig(all_level, levels, settings)


def load(path: str | Path) -> PackConfig:
    """Read and validate a config file; a problem is a :class:`UsageError` (exit 2) naming the file."""
    from clusterforge.errors import StackLoadError
    from clusterforge.spec.files import load_json_file

    try:  # bounded, decoded and depth-limited like every input file
        data = load_json_file(Path(path), "policy config")
    except StackLoadError as exc:
        raise UsageError(f"policy config {exc}", hint=exc.hint) from None
    try:
        return parse(data)
    except PolicyConfigError as exc:
        raise UsageError(f"policy config {path}: {exc}") from None


def _level(key: str, value: Any) -> EnforcementLevel:
    if isinstance(value, str) and value in LEVELS:
        return LEVELS[value]
    raise PolicyConfigError(f"{key}: enforcement level {value!r} is not one of {', '.join(LEVELS)}")


def _check_settings(rule: PolicyRule, values: Mapping[str, Any]) -> None:
    properties = rule.config_properties
    if not properties:
        raise PolicyConfigError(f"{rule.id} takes no settings, only an enforcementLevel")
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    problem = check_value(dict(values), schema, rule.id)
    if problem:
        raise PolicyConfigError(problem)


def check_value(value: Any, schema: Mapping[str, Any], path: str) -> str | None:
    """The first way ``value`` breaks ``schema`` (the supported JSON Schema subset), or None."""
    kind = schema.get("type")
    if kind and not _is_type(value, kind):
        return f"{path}: {value!r} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{path}: {value!r} is not one of {', '.join(map(repr, schema['enum']))}"
    if "minimum" in schema and value < schema["minimum"]:
        return f"{path}: {value!r} is less than {schema['minimum']}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{path}: needs at least {schema['minItems']} item(s)"
        for index, item in enumerate(value):
            problem = check_value(item, schema.get("items", {}), f"{path}[{index}]")
            if problem:
                return problem
    if isinstance(value, dict):
        return _check_object(value, schema, path)
    return None


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> str | None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            return f"{path}: {name} is required"
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            problem = check_value(item, properties[name], f"{path}.{name}")
        elif extra is False:
            close = did_you_mean(close_names(name, properties))
            hint = f" ({close})" if close else f" (settings: {', '.join(properties)})"
            return f"{path}: unknown setting {name!r}{hint}"
        else:
            problem = (
                check_value(item, extra, f"{path}.{name}") if isinstance(extra, Mapping) else None
            )
        if problem:
            return problem
    return None


def _is_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("number", "integer"):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))
