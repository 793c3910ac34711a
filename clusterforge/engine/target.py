"""Where and how a stack is deployed: the workspace settings the deploy commands build.

Everything here is derived from the spec and the command line, with no Pulumi CLI involved:

* project name = the cluster name, so the URNs are those of ``clusterforge plan`` and of
  ``pulumi up`` inside ``stacks/<name>``;
* backend: ``--backend``, else ``PULUMI_BACKEND_URL``, else the local file backend
  ``file://~/.clusterforge/state`` (created on first use). The backend ``pulumi login`` stored is
  deliberately not used, so a command never writes state somewhere the user did not name;
* secrets: the passphrase provider on self-managed backends, which needs
  ``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE`` — checked before the CLI runs;
* provider configuration (``aws:region``, ``gcp:project``/``gcp:region``/``gcp:zone``,
  ``kubernetes:context``) from the spec, and the provider plugins the program uses at the
  versions of the installed SDK packages;
* the policy pack ``clusterforge.policies`` (unless ``--no-policy``), run from a copy whose Python
  runtime is this interpreter's environment.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterforge.clouds import profile
from clusterforge.errors import EngineError

DEFAULT_STATE_DIR = "~/.clusterforge/state"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
#: Backends that are a Pulumi service (Pulumi Cloud, self-hosted) keep the stack's secrets
#: themselves; every other scheme (file, s3, gs, azblob, postgres) defaults to the passphrase.
SERVICE_SCHEMES = ("https://", "http://")
INSTALL = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (macOS: `brew install pulumi/tap/pulumi`, "
    "Windows: `choco install pulumi`); `clusterforge plan` works without it"
)


@dataclass(frozen=True)
class Target:
    """Where and how a stack is deployed: everything the workspace is configured with."""

    project: str
    stack: str
    cloud: str
    backend: str
    config: dict[str, str] = field(default_factory=dict)
    plugins: tuple[tuple[str, str], ...] = ()
    secrets_provider: str | None = None
    policy_pack: str | None = None
    #: The ``--policy-pack-config`` file for the pack (absolute path), the one `check --config` reads.
    policy_config: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment of every CLI call. PULUMI_BACKEND_URL wins over Pulumi.yaml in the CLI, so
        both carry the chosen backend; a Python policy pack runs with this interpreter."""
        env = {"PULUMI_BACKEND_URL": self.backend, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if self.policy_pack:
            env["PULUMI_PYTHON_CMD"] = sys.executable
        return env

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "cloud": self.cloud,
            "backend": self.backend,
            "config": dict(self.config),
            "plugins": {name: version for name, version in self.plugins},
            "policy_pack": self.policy_pack,
            "policy_config": self.policy_config,
        }


def backend_url(flag: str | None, environ: Mapping[str, str]) -> str:
    """``--backend``, else ``PULUMI_BACKEND_URL``, else the local file backend (directory created)."""
    if flag:
        return flag
    if environ.get("PULUMI_BACKEND_URL"):
        return environ["PULUMI_BACKEND_URL"]
    state = Path(DEFAULT_STATE_DIR).expanduser()
    state.mkdir(parents=True, exist_ok=True)
    return state.as_uri()


def needs_passphrase(backend: str, secrets_provider: str | None) -> bool:
    if secrets_provider not in (None, "", "passphrase"):
        return False
    return not backend.startswith(SERVICE_SCHEMES)


def check_passphrase(target: Target, environ: Mapping[str, str] | None = None) -> None:
    """Fail before the CLI runs when the stack's secrets need a passphrase and none is set."""
    environ = os.environ if environ is None else environ
    if needs_passphrase(target.backend, target.secrets_provider) and not any(
        v in environ for v in PASSPHRASE_VARS
    ):
        raise EngineError(
            f"the backend {target.backend} encrypts stack secrets with a passphrase and none is set: "
            "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE=path), keep it in your secret store, "
            "and use the same one for every run of this stack (or pass --secrets-provider awskms://... / gcpkms://...)"
        )


def provider_config(spec: Any) -> dict[str, str]:
    """Stack configuration from the spec: the cloud, the provider region/project, the kube context."""
    config = {"clusterforge:cloud": spec.cloud}
    # The provider's settings, each from its spec field (the cloud's profile), when set.
    for key, spec_field in profile(spec.cloud).provider_config.items():
        value = getattr(spec, spec_field, None)
        if value:
            config[key] = value
    if spec.kubernetes.context:
        config["kubernetes:context"] = spec.kubernetes.context
    return config


def packages_of(type_tokens: Iterable[str]) -> set[str]:
    """Provider packages behind resource types (``aws:ec2/vpc:Vpc`` and ``pulumi:providers:aws`` → aws)."""
    packages = set()
    for token in type_tokens:
        parts = token.split(":")
        package = parts[2] if token.startswith("pulumi:providers:") else parts[0]
        if package not in ("pulumi", "clusterforge"):
            packages.add(package)
    return packages


def plugins_for(packages: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``(name, "v" + version)`` of the installed ``pulumi-<name>`` SDK for each provider package."""
    plugins = []
    for package in sorted(set(packages)):
        try:
            plugins.append((package, "v" + importlib.metadata.version(f"pulumi-{package}")))
        except importlib.metadata.PackageNotFoundError:
            continue  # no SDK package: the engine resolves the plugin itself
    return tuple(plugins)


def policy_pack_dir() -> str | None:
    """The installed ``clusterforge.policies`` pack directory, when it is installed."""
    try:
        root = importlib.resources.files("clusterforge.policies")
    except (ModuleNotFoundError, TypeError):
        return None
    return str(root) if root.joinpath("PulumiPolicy.yaml").is_file() else None


def runnable_policy_pack(source: str, work_dir: str) -> str:
    """A copy of the pack in ``work_dir`` whose Python runtime is this interpreter's environment.

    The pack's own ``PulumiPolicy.yaml`` names a ``venv`` next to it, which exists only after
    ``pulumi install`` in the package directory; this environment already has clusterforge and
    pulumi_policy. Outside a virtual environment PULUMI_PYTHON_CMD (``Target.env``) picks the
    interpreter.
    """
    import yaml

    copy = Path(work_dir) / "policy-pack"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("venv", ".venv", "__pycache__"))
    settings = yaml.safe_load((copy / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    runtime = settings.get("runtime") or "python"
    runtime = dict(runtime) if isinstance(runtime, dict) else {"name": runtime}
    options = dict(runtime.get("options") or {})
    if sys.prefix != sys.base_prefix:
        options.update(toolchain="pip", virtualenv=sys.prefix)
    else:
        options.pop("virtualenv", None)
    settings["runtime"] = {**runtime, "options": options}
    (copy / "PulumiPolicy.yaml").write_text(
        yaml.safe_dump(settings, sort_keys=False), encoding="utf-8"
    )
    return str(copy)


def make_target(
    spec: Any,
    stack: str,
    *,
    packages: Iterable[str] = (),
    backend: str | None = None,
    secrets_provider: str | None = None,
    policy: bool = True,
    policy_config: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The :class:`Target` for ``spec`` deployed as ``stack``."""
    return Target(
        project=spec.name,
        stack=stack,
        cloud=spec.cloud,
        backend=backend_url(backend, os.environ if environ is None else environ),
        config=provider_config(spec),
        plugins=plugins_for(packages),
        secrets_provider=secrets_provider,
        policy_pack=(pack := policy_pack_dir() if policy else None),
        policy_config=policy_config if pack else None,
    )


def require_cli() -> None:
    """Fail with what to install when there is no ``pulumi`` on PATH."""
    if shutil.which("pulumi") is None:
        raise EngineError(f"the Pulumi CLI is needed and there is no `pulumi` on PATH: {INSTALL}")
