"""The tool's own exceptions.

Lower libraries (PyYAML, pydantic, boto3, the Pulumi SDK and Automation API) raise their own
errors; each is translated into one of these at a single boundary so the CLI can print one clear
line and pick the documented exit code (2 for input, 3 for the engine).
"""

from __future__ import annotations


class ClusterforgeError(Exception):
    """Base class of every error the tool raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class StackLoadError(ClusterforgeError):
    """A stack file cannot be read: missing, unreadable, bad YAML/JSON/Python, or no `cluster`.

    ``location`` is ``file:line[:column]`` when the parser knows it.
    """

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class CatalogError(ClusterforgeError):
    """A catalog data file is missing or malformed, or a catalog refresh failed."""


class EngineError(ClusterforgeError):
    """The Pulumi engine (offline mock run or Automation API) failed while running the program."""

    exit_code = 3


class UsageError(ClusterforgeError):
    """The command line asks for something that cannot be done (bad option combination)."""


class CredentialsError(ClusterforgeError):
    """Cloud credentials a command needs are missing: the environment, not the input, is wrong,
    so it exits 3 like the engine's own credential failures (README, "Errors")."""

    exit_code = 3


class ClusterError(ClusterforgeError):
    """A Kubernetes API call that a command needs (``verify``) failed or was refused."""

    exit_code = 3
