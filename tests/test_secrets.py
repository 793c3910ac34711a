"""The one secret rule (clusterforge.secrets): which keys hold secrets, URL credentials masked."""

import doctest
import types

import pytest

from clusterforge import secrets


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("adminPassword", True),
        ("grafana_admin_password", True),
        ("apiKey", True),
        ("api_key", True),
        ("secretKey", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("token", True),
        ("slackWebhookToken", True),
        ("clientSecret", True),
        ("privateKey", True),
        ("kubeconfig", True),
        ("key", False),
        ("keyspace", False),
        ("monkey", False),
        ("existingSecret", False),
        ("passwordSecretRef", False),
        ("secretName", False),
        ("tokenFile", False),
        ("secretKeyRef", False),  # the EnvVar reference to a Secret, not a secret
        ("HF_TOKEN", True),
        ("tolerations", False),
        ("", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert secrets.is_secret_key(key) is secret


def test_redact_walks_values_and_urls() -> None:
    values = {
        "grafana": {"adminPassword": "hunter2", "replicas": 1},
        "backend": "postgres://admin:pw123@db:5432/state",
        "list": [{"token": "abc"}, "s3://b?region=x&secret_key=zzz"],
        "existingSecret": "grafana-admin",
    }
    out = secrets.redact(values)
    text = repr(out)
    for planted in ("hunter2", "pw123", "abc", "zzz"):
        assert planted not in text
    assert out["grafana"]["replicas"] == 1
    assert out["existingSecret"] == "grafana-admin"
    assert out["backend"] == "postgres://admin:[secret]@db:5432/state"


def test_a_token_as_the_user_of_an_https_url_is_masked() -> None:
    """A Git token is passed as the URL's user (no password): masked; ssh users are kept."""
    assert secrets.redact_text("https://ghp_TOKEN@github.com/org/infra") == (
        "https://[secret]@github.com/org/infra"
    )
    assert secrets.redact_text("HTTP://x-token@host/r") == "HTTP://[secret]@host/r"
    assert secrets.redact_text("ssh://git@github.com/org/infra") == "ssh://git@github.com/org/infra"
    assert secrets.redact_text("https://github.com/org/infra") == "https://github.com/org/infra"
    assert secrets.redact({"repo": "https://glpat-x@gitlab.com/a/b"}) == {
        "repo": "https://[secret]@gitlab.com/a/b"
    }


def test_redact_survives_hostile_nesting() -> None:
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    secrets.redact(deep)
    assert secrets.secret_paths(deep) == []


def test_secret_paths() -> None:
    assert secrets.secret_paths({"a": {"password": "x", "user": "u"}, "token": ""}) == [
        ("a", "password")
    ]


ENV = {
    "env": [
        {"name": "HF_TOKEN", "value": "hf_SECRETVALUE"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        {"name": "EMPTY_TOKEN", "value": ""},
    ]
}


def test_an_env_value_named_like_a_secret_is_one() -> None:
    out = secrets.redact(ENV)["env"]
    assert out[0] == {"name": "HF_TOKEN", "value": "[secret]"}
    assert out[1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert out[2] == ENV["env"][2]  # a secretKeyRef is kept: it is how to pass a secret
    assert secrets.env_secret_paths(ENV) == [("env", "0", "value")]
    assert secrets.secret_paths(ENV) == []
    assert secrets.env_secret_paths({"password": {"name": "TOKEN", "value": "x"}}) == []


def test_doctests() -> None:
    assert doctest.testmod(secrets).failed == 0


ALERTMANAGER = {
    "global": {"slack_api_url": "https://hooks.slack.com/services/T0/B0/XSECRET", "resolve": "5m"},
    "receivers": [
        {
            "name": "oncall",
            "pagerduty_configs": [{"routing_key": "PDKEY-SECRET", "url": "https://events.pd"}],
            "webhook_configs": [{"url": "https://hook.example/t/SECRET"}],
        }
    ],
}


def test_alertmanager_secret_fields_count_in_their_place_only() -> None:
    out = secrets.redact({"alertmanager": {"config": ALERTMANAGER}})["alertmanager"]["config"]
    assert out["global"] == {"slack_api_url": "[secret]", "resolve": "5m"}
    receiver = out["receivers"][0]
    assert receiver["name"] == "oncall"
    # pagerduty's url is a plain URL; webhook's url is a SecretTemplateURL (Alertmanager's types)
    assert receiver["pagerduty_configs"] == [
        {"routing_key": "[secret]", "url": "https://events.pd"}
    ]
    assert receiver["webhook_configs"] == [{"url": "[secret]"}]
    assert secrets.secret_paths(ALERTMANAGER) == [
        ("global", "slack_api_url"),
        ("receivers", "0", "pagerduty_configs", "0", "routing_key"),
        ("receivers", "0", "webhook_configs", "0", "url"),
    ]
    assert secrets.env_secret_paths(ALERTMANAGER) == []
    # the same names elsewhere are not secrets
    plain = {"routing_key": "k", "url": "https://x", "other": [{"api_url": "https://y"}]}
    assert secrets.redact(plain) == plain and secrets.secret_paths(plain) == []


def test_every_alertmanager_secret_field_of_the_data_is_masked() -> None:
    fields = secrets._CONTEXT_SECRETS
    assert {"global", "slack_configs", "pagerduty_configs", "webhook_configs"} <= set(fields)
    for parent, names in fields.items():
        holder = {name: "SECRET" for name in names}
        value = {parent: holder if parent == "global" else [holder]}
        assert "SECRET" not in str(secrets.redact(value)), parent
        assert len(secrets.secret_paths(value)) == len(names), parent


def _frozen(value: object) -> object:
    """``value`` with every dict a read-only ``MappingProxyType`` and every list a tuple."""
    if isinstance(value, dict):
        return types.MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


# Every kind of secret this module knows, planted in nested lists and tuples.
PLANTED = {
    "grafana": {"adminPassword": "hunter2", "replicas": 1, "existingSecret": "grafana-admin"},
    "backend": "postgres://admin:pw123@db:5432/state",
    "repo": "https://ghp_TOKEN@github.com/org/infra",
    "ssh": "ssh://git@github.com/org/infra",
    "state": "s3://b?region=x&secret_key=zzz",
    "list": [{"token": "abc"}, ("nested", {"apiKey": "k3y"}), [{"privateKey": "pem"}]],
    **ENV,
    "empty": {"password": "", "token": None},
    7: "not a string key",
    "flags": [True, 2, 3.5, None],
}
SECRETS = ("hunter2", "pw123", "ghp_TOKEN", "zzz", "abc", "k3y", "pem", "hf_SECRETVALUE")


def test_a_mapping_that_is_not_a_dict_is_redacted_as_the_dict_is() -> None:
    as_dict = secrets.redact(PLANTED)
    assert secrets.redact(_frozen(PLANTED)) == as_dict
    text = repr(as_dict)
    assert not [planted for planted in SECRETS if planted in text]
    assert as_dict["grafana"] == {
        "adminPassword": "[secret]",
        "replicas": 1,
        "existingSecret": "grafana-admin",
    }
    assert as_dict["ssh"] == PLANTED["ssh"] and as_dict[7] == PLANTED[7]
    assert as_dict["empty"] == PLANTED["empty"] and as_dict["flags"] == PLANTED["flags"]
    assert as_dict["list"][1] == ["nested", {"apiKey": "[secret]"}]


def test_hostile_nesting_is_masked_at_the_same_depth_in_any_mapping() -> None:
    deep: dict = {"leaf": "x"}
    for _ in range(secrets._MAX_DEPTH + 5):
        deep = {"a": deep, "n": 1}
    as_dict = secrets.redact(deep)
    assert secrets.redact(_frozen(deep)) == as_dict
    node, depth = as_dict, 0
    while isinstance(node, dict):
        node, depth = node["a"], depth + 1
    assert node == secrets.MASK and depth == secrets._MAX_DEPTH + 1
