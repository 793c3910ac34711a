"""Stack templates: a team's starting point for a new cluster project (`clusterforge new`).

A template is a folder of ``templates/`` (package data of ``clusterforge.templates``) holding
``template.yaml`` — its description, cloud and typed variables — and ``cluster.yaml.j2``, the
stack spec. Rendering checks every value against its variable before anything is written, quotes
every value as a YAML scalar (``team: no`` stays the string "no"), renders with StrictUndefined,
then adds the Pulumi project, a policy config and the CI pipeline, validates the stack, and only
then moves the finished project into place — a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import yaml

from clusterforge.clouds import profile
from clusterforge.errors import UsageError
from clusterforge.spelling import close_names, did_you_mean

#: Variables every template has, added when its template.yaml does not define them.
COMMON_VARIABLES: dict[str, dict[str, Any]] = {
    "ci": {"default": "github", "choices": ["github", "gitlab", "none"],
           "help": "CI pipeline to write: github (Actions), gitlab (GitLab CI) or none."},
}  # fmt: skip

#: A value that goes into a stack as a plain token (regions, zones, project ids, contexts).
TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,199}$")
S3_PREFIX = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_./=-]*)?$")
SPEC_FILE = "cluster.yaml"
POLICY_CONFIG = "policy-config.json"


@dataclass(frozen=True)
class Variable:
    """One value a template asks for: its kind decides how a typed string is checked."""

    name: str
    default: Any
    help: str = ""
    kind: str = "text"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Any, ...] = ()

    def parse(self, text: str) -> Any:
        """The value for ``text`` typed by a user (``--set`` or a prompt); UsageError when bad."""
        where = f"--set {self.name}={text!r}"
        if self.choices:
            for choice in self.choices:
                if text == str(choice):
                    return choice
            raise UsageError(f"{where}: not one of {', '.join(map(str, self.choices))}")
        if self.kind == "int":
            try:
                value = int(text, 10)
            except ValueError:
                raise UsageError(f"{where}: not a whole number") from None
            if self.minimum is not None and value < self.minimum:
                raise UsageError(f"{where}: at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise UsageError(f"{where}: at most {self.maximum}")
            return value
        problem = self.problem(text)
        if problem:
            raise UsageError(f"{where}: {problem}")
        return text

    def problem(self, text: str) -> str | None:
        from clusterforge.catalog.releases import DNS_LABEL_MAX
        from clusterforge.validate.rules._util import name_problem

        if self.kind == "name":  # the length the stack allows is validated after rendering
            return name_problem(text, DNS_LABEL_MAX)
        if self.kind == "token" and not TOKEN.match(text):
            return "letters, digits and '-', '_', '.', '/', ':' only (at most 200)"
        if self.kind == "s3" and not S3_PREFIX.match(text):
            return "an S3 prefix such as s3://my-bucket/datasets"
        if self.kind == "text" and (not text or any(ord(c) < 32 for c in text)):
            return "empty or has control characters"
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "default": self.default, "kind": self.kind}
        if self.choices:
            data["choices"] = list(self.choices)
        if self.minimum is not None:
            data["min"] = self.minimum
        if self.maximum is not None:
            data["max"] = self.maximum
        data["help"] = self.help
        return data


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    cloud: str
    variables: tuple[Variable, ...] = field(default_factory=tuple)

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "cloud": self.cloud,
            "variables": [v.to_dict() for v in self.variables],
        }


def _root() -> Any:
    return resources.files("clusterforge.templates")


@cache
def templates() -> dict[str, Template]:
    """Every template shipped with clusterforge, by name."""
    found: dict[str, Template] = {}
    for entry in sorted(_root().iterdir(), key=lambda e: e.name):
        meta = entry.joinpath("template.yaml")
        if not entry.is_dir() or not meta.is_file():
            continue
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        declared = {**data.get("variables", {}), **{
            k: v for k, v in COMMON_VARIABLES.items() if k not in data.get("variables", {})
        }}  # fmt: skip
        variables = tuple(
            Variable(
                name=key,
                default=spec["default"],
                help=spec.get("help", ""),
                kind=spec.get("kind", "choice" if "choices" in spec else "text"),
                minimum=spec.get("min"),
                maximum=spec.get("max"),
                choices=tuple(spec.get("choices", ())),
            )
            for key, spec in declared.items()
        )
        found[entry.name] = Template(entry.name, data["description"], data["cloud"], variables)
    return found


def get(name: str) -> Template:
    """The template ``name``; UsageError with the closest names when there is none."""
    known = templates()
    if name in known:
        return known[name]
    close = did_you_mean(close_names(name, known, 3), quoted=False, sep=", ")
    hint = (f"{close} " if close else "") + "see `clusterforge templates`"
    raise UsageError(f"no template named {name!r}", hint=hint)


def resolve_values(
    template: Template,
    settings: Mapping[str, str],
    prompt: Callable[[Variable], str] | None = None,
) -> dict[str, Any]:
    """The template's values: ``settings`` (from ``--set``) parsed and checked, the rest from
    ``prompt`` (on a terminal) or the defaults. Unknown keys are a UsageError."""
    for key in settings:
        if template.variable(key) is None:
            close = did_you_mean(
                close_names(key, [v.name for v in template.variables]), quoted=False
            )
            raise UsageError(
                f"--set {key}: {template.name} has no variable {key!r}"
                + (f" ({close})" if close else ""),
                hint=f"its variables: {', '.join(v.name for v in template.variables)}",
            )
    values: dict[str, Any] = {}
    for variable in template.variables:
        if variable.name in settings:
            values[variable.name] = variable.parse(settings[variable.name])
        elif prompt is not None:
            values[variable.name] = variable.parse(prompt(variable))
        else:
            values[variable.name] = variable.default
    return values


def yaml_scalar(value: Any) -> str:
    """``value`` as one YAML flow scalar that reads back as the same value and type."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"template values are strings or integers, not {value!r}")
    if isinstance(value, int):
        return str(value)
    # A JSON string is a valid YAML double-quoted scalar: no tag, no implicit bool/int/date.
    return json.dumps(str(value))


def render_spec(template: Template, values: Mapping[str, Any]) -> str:
    """The template's cluster.yaml for ``values``."""
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    environment.filters["y"] = yaml_scalar
    source = _root().joinpath(template.name, "cluster.yaml.j2").read_text(encoding="utf-8")
    return environment.from_string(source).render(**values)


def policy_config(cluster: Any) -> str:
    """A starting policy config (``pulumi --policy-pack-config`` format) for the stack: its region
    the only allowed one, a team tag on every resource."""
    config: dict[str, Any] = {"CF-GOV-004": {"requiredTags": ["team"]}}
    if profile(cluster.cloud).creates_cluster and cluster.region:
        regions = [cluster.region]
        if cluster.cloud == "gcp":
            # Cloud Storage spells bucket locations in upper case (US-CENTRAL1) and CF-GOV-002
            # compares them as written: allow both spellings of the one region.
            regions.append(cluster.region.upper())
        config["CF-GOV-002"] = {"allowedRegions": regions}
    return json.dumps(config, indent=2) + "\n"


def requirements() -> str:
    from clusterforge import __version__

    return (
        f"# The project's Python dependencies besides clusterforge {__version__} itself.\n"
        "# clusterforge is not on PyPI, so it is not named here (the bare name could install\n"
        "# somebody else's package): the pipelines install it from the CI variable\n"
        "# CLUSTERFORGE_PACKAGE (an internal index's clusterforge==X, a wheel URL or a\n"
        "# git+https URL); locally: pip install /path/to/clusterforge -r requirements.txt\n"
    )


def project_files(
    template: Template, values: Mapping[str, Any], spec_text: str, cluster: Any
) -> dict[str, str]:
    """Every file of the new project, by relative path."""
    from clusterforge.workflow import ci, project

    stack = str(values.get("stack", "dev"))
    files = {SPEC_FILE: spec_text}
    files.update(
        project.project_files(
            cluster, SPEC_FILE, stack=stack, virtualenv="venv", requirements=requirements(),
            generator=f"clusterforge new {template.name}",
        )
    )  # fmt: skip
    files[POLICY_CONFIG] = policy_config(cluster)
    if values.get("ci", "none") != "none":
        files.update(
            ci.pipeline_files(str(values["ci"]), SPEC_FILE, name=cluster.name, stack=stack, cloud=cluster.cloud,
                              region=cluster.region, policy_config=POLICY_CONFIG)
        )  # fmt: skip
    files[".gitignore"] = "venv/\n__pycache__/\n*.sarif\nplan*.json\n"
    return files


@dataclass(frozen=True)
class Created:
    directory: Path
    files: tuple[str, ...]
    findings: tuple[Any, ...] = ()


def check_target(directory: Path, force: bool) -> None:
    """UsageError when ``directory`` cannot take a new project."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory", hint="choose another DIR")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise UsageError(
            f"{directory} is not empty",
            hint="choose an empty or new DIR, or pass --force to write the template's files into it "
            "(files with the same names are replaced; others are kept)",
        )


def create(
    template: Template, values: Mapping[str, Any], directory: Path, *, force: bool = False
) -> Created:
    """Render ``template`` with ``values`` into ``directory``. Validation errors in the rendered
    stack are returned (nothing written); otherwise the project is moved into place whole."""
    from clusterforge import api
    from clusterforge.findings import Severity

    check_target(directory, force)
    spec_text = render_spec(template, values)
    parent = directory.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"{parent} does not exist", hint="create the parent directory first")
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=parent))
    try:
        (staging / SPEC_FILE).write_text(spec_text, encoding="utf-8")
        stack, report = api.validate_stack(staging / SPEC_FILE)
        errors = tuple(f for f in report.findings if f.severity is Severity.ERROR)
        if stack.cluster is None or errors:
            return Created(directory, (), errors or tuple(report.findings))
        files = project_files(template, values, spec_text, stack.cluster)
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if not directory.exists() or not any(directory.iterdir()):
            if directory.exists():
                directory.rmdir()
            os.replace(staging, directory)
        else:  # --force into a non-empty directory: replace the template's files one by one
            for relative in files:
                target = directory / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / relative, target)
        return Created(directory, tuple(sorted(files)))
    except OSError as exc:
        raise UsageError(f"cannot write {directory}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
