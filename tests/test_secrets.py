"""The one secret rule (clusterforge.secrets): which keys hold secrets, URL credentials masked."""

import doctest

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
