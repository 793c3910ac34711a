"""The data-loss guard (up, diff) knows every file system the data policies protect."""

from clusterforge.engine.guard import STATEFUL_TYPES
from clusterforge.policies.rules._tokens import FILE_SYSTEMS


def test_every_protected_file_system_is_stateful_for_the_guard() -> None:
    assert set(FILE_SYSTEMS) <= set(STATEFUL_TYPES)
