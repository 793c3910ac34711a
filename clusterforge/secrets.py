"""What counts as a secret, and how it is shown: the one place every output path asks.

A value is secret when the key that holds it names a credential (``password``, ``token``,
``secret``, ``apiKey``, ``privateKey``, ...; matched on word parts, so ``adminPassword`` and
``slack_webhook_token`` count while ``keyspace`` or ``monkey`` do not), or when it is a URL that
carries credentials (``https://user:PW@host``, ``s3://bucket?secret_key=...``). Renderers, error
messages, the plan JSON and GitOps output all call these functions, so one rule decides.

This module imports nothing heavy: validation and the CLI use it before Pulumi is loaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: How every output shows a secret value.
MASK = "[secret]"

# Word parts that name a credential. ``key`` alone is too broad (``key: app`` in a label
# selector), so it counts only with a qualifier that makes it one (apiKey, accessKey, ...).
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "credentials",
        "kubeconfig",
        "pwd",
    }
)
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("client", "secret"),
        ("auth", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("ssh", "key"),
    }
)
# Keys that contain a secret word but name a reference to a secret, not the secret itself:
# ``existingSecret: my-secret`` or ``passwordSecretRef`` point at a Kubernetes Secret by name.
_REFERENCE_TAILS = frozenset({"ref", "name", "names", "file", "path", "existing", "key", "keys"})
_REFERENCE_HEADS = frozenset({"existing", "use", "create"})

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _words(key: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(key)]


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential whose value must never be printed.

    >>> [is_secret_key(k) for k in ("adminPassword", "api_key", "token", "keyspace", "existingSecret")]
    [True, True, True, False, False]
    """
    words = _words(key)
    if not words:
        return False
    pairs = set(zip(words, words[1:], strict=False))
    tail = words[-1] if len(words) > 1 and words[-1] in _REFERENCE_TAILS else None
    # A reference by name (existingSecret, passwordSecretRef, tokenFile, a Kubernetes EnvVar's
    # secretKeyRef) is not the value; "secretKey" / "accessKey" / "apiKey" end in "key" but are
    # credential pairs.
    if words[0] in _REFERENCE_HEADS or (tail is not None and tail not in ("key", "keys")):
        return False
    if tail is not None and not pairs & _SECRET_PAIRS:
        return False
    if any(word in _SECRET_WORDS for word in words):
        return True
    return bool(pairs & _SECRET_PAIRS)


def is_secret_entry(mapping: Mapping[Any, Any], key: Any) -> bool:
    """Whether ``mapping[key]`` is a secret: its key names a credential, or it is the ``value``
    of a name/value pair whose ``name`` does (a Kubernetes EnvVar ``{name: HF_TOKEN, value: ...}``
    hides the credential's name in ``name``). Empty values are not secrets.

    >>> is_secret_entry({"name": "HF_TOKEN", "value": "hf_x"}, "value")
    True
    >>> is_secret_entry({"name": "LOG_LEVEL", "value": "debug"}, "value")
    False
    """
    return isinstance(key, str) and _is_secret_item(mapping, key, mapping[key])


def _is_secret_item(mapping: Mapping[Any, Any], key: str, item: Any) -> bool:
    """:func:`is_secret_entry` with the value already read (the redaction walk has it)."""
    if item is None or item == "":
        return False
    if is_secret_key(key):
        return True
    if key != "value":
        return False
    name = mapping.get("name")
    return isinstance(name, str) and is_secret_key(name)


def env_secret_paths(value: Any) -> list[tuple[str, ...]]:
    """The key paths of literal secrets in name/value pairs (``env[0].value`` of ``HF_TOKEN``):
    :func:`secret_paths` without the values under secret keys."""
    under_keys = set(secret_paths(value))
    return [path for path in _paths(value, (), is_secret_entry) if path not in under_keys]


def _under_secret_key(mapping: Mapping[Any, Any], key: Any) -> bool:
    return isinstance(key, str) and is_secret_key(key) and mapping[key] not in (None, "")


# user:password@ in any URL-like string, and credential-looking query parameters.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^/@\s:]*):[^/@\s]*@")
# A bare user on an http(s) URL is how tokens are passed (https://ghp_...@github.com/org/repo):
# masked whole, since no password follows to tell a user name from a token.
_URL_TOKEN_USER = re.compile(r"(?P<scheme>https?://)[^/@\s:]+@", re.IGNORECASE)
_URL_QUERY_SECRET = re.compile(r"(?P<name>[?&;][^=&#\s]*=)(?P<value>[^&#\s]*)")


def redact_text(text: str) -> str:
    """``text`` with the credentials of every URL in it masked (user kept, password replaced).

    >>> redact_text("login to https://admin:hunter2@state.example.com failed")
    'login to https://admin:[secret]@state.example.com failed'
    >>> redact_text("clone https://ghp_abc123@github.com/org/infra")
    'clone https://[secret]@github.com/org/infra'
    >>> redact_text("s3://state?region=us-east-1&secret_key=abc")
    's3://state?region=us-east-1&secret_key=[secret]'
    """
    # Each pattern needs its own marker ('://' or '='): most strings of a plan have neither.
    url = "://" in text
    if not url and "=" not in text:
        return text
    if url:
        text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        text = _URL_TOKEN_USER.sub(lambda m: f"{m['scheme']}{MASK}@", text)
        if "=" not in text:
            return text

    def _query(match: re.Match[str]) -> str:
        name = match["name"][1:-1]
        return f"{match['name']}{MASK}" if is_secret_key(name) else match.group(0)

    return _URL_QUERY_SECRET.sub(_query, text)


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret masked: values under secret keys, URL credentials.

    Mappings and sequences are walked (iteratively bounded by Python's own recursion limit is
    not relied on: depth is capped and anything deeper is masked whole, so hostile nesting cannot
    raise). Strings are passed through :func:`redact_text`.
    """
    return _redact(value, 0)


_MAX_DEPTH = 200


def _redact(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return MASK
    kind = type(value)  # the plain types of a plan first, by exact type (ABC checks are slow)
    if kind is str:
        return redact_text(value)
    if kind is bool or kind is int or kind is float or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return _redact_mapping(value, depth)
    if isinstance(value, (list, tuple)):
        return [_redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_mapping(mapping: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
    """``_redact`` of a mapping, with the scalar values of the common case handled in the loop
    (a plan's resource inputs are ~1.5 million values at 4,000 resources)."""
    if depth >= _MAX_DEPTH:  # its values would be deeper than the cap
        return dict.fromkeys(mapping, MASK)
    redacted: dict[Any, Any] = {}
    child = depth + 1
    for key, item in mapping.items():
        if isinstance(key, str) and _is_secret_item(mapping, key, item):
            redacted[key] = MASK
            continue
        kind = type(item)
        if kind is str:
            redacted[key] = redact_text(item)
        elif kind is bool or kind is int or kind is float or item is None:
            redacted[key] = item
        else:
            redacted[key] = _redact(item, child)
    return redacted


def secret_paths(value: Any, prefix: Sequence[str] = ()) -> list[tuple[str, ...]]:
    """The key paths under ``value`` whose values are under secret keys (for moving them into a
    Secret); :func:`env_secret_paths` finds the secrets of name/value pairs."""
    return _paths(value, tuple(prefix), _under_secret_key)


def _paths(
    value: Any, prefix: tuple[str, ...], secret: Callable[[Mapping[Any, Any], Any], bool]
) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, prefix)]
    while stack:
        node, path = stack.pop()
        if len(path) > _MAX_DEPTH:
            continue
        if isinstance(node, Mapping):
            for key, item in node.items():
                here = (*path, str(key))
                if secret(node, key):
                    found.append(here)
                else:
                    stack.append((item, here))
        elif isinstance(node, (list, tuple)):
            stack.extend((item, (*path, str(index))) for index, item in enumerate(node))
    return sorted(found)
