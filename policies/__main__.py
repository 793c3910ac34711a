"""The CrossGuard entry point: ``pulumi preview --policy-pack policies`` runs this file.

It only builds the ``PolicyPack`` from the rules in ``clusterforge.policies``. ``PolicyPack(...)``
starts the analyzer's gRPC server and blocks, so it happens in :func:`main`, only when the file is
run (Pulumi runs it as ``__main__``); importing this module has no effect.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack

from clusterforge.policies import PACK_DESCRIPTION, PACK_NAME, pulumi_policies


def main() -> None:
    """Serve the pack to the Pulumi engine (blocks until the engine stops it)."""
    PolicyPack(
        name=PACK_NAME,
        policies=pulumi_policies(),
        enforcement_level=EnforcementLevel.ADVISORY,  # each policy sets its own level
        description=PACK_DESCRIPTION,
    )


if __name__ == "__main__":
    main()
