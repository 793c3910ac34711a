"""`verify --render DIR`: the pool tests as files for GitOps or a manual `kubectl apply`.

DIR holds one ``<pool>.yaml`` per tested pool and a README. A marker file lists what clusterforge
wrote; a re-render replaces only those files, and a DIR that holds anything else and no marker is
refused (it is not clusterforge's to overwrite). Files are staged beside DIR and moved in one by
one, so a failure leaves the previous files or the new ones, never half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml

from clusterforge.errors import UsageError
from clusterforge.verify.jobs import PoolTest, manifests

MARKER = ".clusterforge-verify"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the pod scripts) as literal blocks, readable in a review."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _readme(tests: list[PoolTest]) -> str:
    lines = [
        "# NCCL fabric tests written by `clusterforge verify --render`",
        "",
        "One JobSet per multi-node accelerator pool (JobSet must be installed on the cluster).",
        "Rank 0 runs `all_reduce_perf` then `alltoall_perf` (nccl-tests) across the pool's nodes",
        "with NCCL_DEBUG=INFO (Trainium pools: Neuron's `nccom-test` all_reduce then alltoall);",
        "read its log with",
        "`kubectl logs -l batch.kubernetes.io/job-completion-index=0,jobset.sigs.k8s.io/jobset-name=NAME -c nccl-test`.",
        "",
        "A pool passes when NCCL used the pool's fabric (a `NCCL INFO Using network Socket` line means",
        "a fall-back to TCP: fail), the data check found no wrong values, and the all_reduce bus",
        "bandwidth of the 1 GiB-and-larger rows is at least the floor below. `clusterforge verify",
        "STACK --kubeconfig FILE` runs the same jobs, judges them and names slow nodes.",
        "",
    ]
    for test in tests:
        lines.append(f"## {test.pool} ({test.path}): {test.job_name}.yaml")
        lines.append("")
        devices = (
            f"{test.neuron_devices} Neuron device(s) / {test.neuron_cores} NeuronCores"
            if test.neuron_devices
            else f"{test.gpus_per_node} GPU(s)"
        )
        lines.append(
            f"- {test.nodes} x {test.instance_type or 'node'}, {devices} each, fabric {test.fabric}"
        )
        if test.neuron_devices:
            lines.append(
                "- nccom-test prints GiB/s; the figures below are GB/s (1 GiB/s = 1.0737 GB/s)"
            )
        if test.efa_devices:
            lines.append(f"- requests every EFA device: vpc.amazonaws.com/efa {test.efa_devices}")
        if test.networks:
            lines.append(f"- GPU networks (pod annotation): {', '.join(test.networks)}")
        if test.expected:
            kind = "derived" if test.expected.derived else "published"
            lines.append(
                f"- expected all_reduce bus bandwidth {test.expected.busbw_gb_per_s:g} GB/s "
                f"({kind}); fails below {test.expected.floor_gb_per_s:g} GB/s. Source: "
                f"{test.expected.source}"
            )
        else:
            lines.append("- no expected bandwidth for this hardware: only the transport is judged")
        lines.append(f"- image {test.image} ({test.launcher.get('image_source', '')})")
        if test.launcher.get("ssh") == "secret":
            secret = test.ssh_secret
            lines += [
                f"- the ranks log in to each other with SSH keys from the Secret `{secret}`;",
                "  create it first (clusterforge never writes private keys to files):",
                "",
                "  ```sh",
                "  ssh-keygen -t ed25519 -N '' -f id_ed25519",
                f"  kubectl create secret generic {secret} --from-file=id_ed25519 \\",
                "    --from-file=id_ed25519.pub --from-file=authorized_keys=id_ed25519.pub",
                "  ```",
            ]
        lines += [f"- note: {note}" for note in test.notes]
        lines.append("")
    return "\n".join(lines)


def write(tests: list[PoolTest], out: Path) -> list[str]:
    """Write the tests into ``out``; returns the paths written."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--render {out} is a file", hint="name a directory to write")
    previous: list[str] = []
    if out.is_dir():
        marker = out / MARKER
        if marker.is_file():
            previous = [line for line in marker.read_text().splitlines() if line.strip()]
        elif any(out.iterdir()):
            raise UsageError(
                f"--render {out} holds files clusterforge did not write",
                hint="name an empty or new directory",
            )
    files: dict[str, str] = {"README.md": _readme(tests)}
    for test in tests:
        objects = [m for m in manifests(test) if m["kind"] != "Secret"]
        files[f"{test.job_name}.yaml"] = yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        for name, text in files.items():
            (stage / name).write_text(text, encoding="utf-8")
        (stage / MARKER).write_text("".join(f"{name}\n" for name in sorted(files)))
        out.mkdir(exist_ok=True)
        for name in [*sorted(files), MARKER]:
            os.replace(stage / name, out / name)
        for name in previous:
            if name not in files and "/" not in name and name != MARKER:
                (out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [str(out / name) for name in sorted(files)]
