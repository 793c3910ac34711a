"""A stand-in Kubernetes API server on 127.0.0.1 for the `verify` run loop.

It serves the handful of endpoints `clusterforge.verify.runner` calls — list/read/patch nodes,
create/delete Secrets, create/get/delete JobSets, list pods by label, read a pod's log — and plays a
JobSet's life: pods are placed on ready nodes of the pool (or the pinned ones), the JobSet turns
Completed after a few reads (or never, to test the timeout), and rank 0's log is a stand-in
nccl-tests log whose bandwidth is the slowest placed node's. Not Kubernetes: no scheduling,
admission or validation beyond what the tests need.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from verify.standin_logs import job_log


@dataclass
class Cluster:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobsets: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    #: Node name → the all_reduce bus bandwidth a run including it reaches.
    bandwidth: dict[str, float] = field(default_factory=dict)
    network: str = "Libfabric"
    #: Query parameters of each log read (tailLines: the runner reads only the tail).
    log_queries: list[dict[str, str]] = field(default_factory=list)
    reads_to_finish: int = 2
    hang: bool = False
    #: False: the JobSet CRD is not installed (its endpoints answer 404).
    jobset_installed: bool = True
    #: The pods' image does not pull (ErrImagePull on every pod).
    pull_error: bool = False
    version: tuple[str, str] = ("1", "33")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_nodes(self, names: list[str], labels: dict[str, str], busbw: float = 480.0) -> None:
        for name in names:
            self.nodes[name] = {
                "metadata": {"name": name, "labels": {**labels, "kubernetes.io/hostname": name}},
                "spec": {},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            }
            self.bandwidth[name] = busbw


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    cluster: Cluster

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self) -> None:
        self._send(404, {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        c = self.cluster
        with c.lock:
            if url.path in ("/version", "/version/"):
                major, minor = c.version
                return self._send(
                    200,
                    {
                        "major": major,
                        "minor": minor,
                        "gitVersion": f"v{major}.{minor}.0",
                        "gitCommit": "standin",
                        "gitTreeState": "clean",
                        "buildDate": "2026-01-01T00:00:00Z",
                        "goVersion": "go1.25",
                        "compiler": "gc",
                        "platform": "linux/amd64",
                    },
                )
            if url.path == "/api/v1/nodes":
                items = [
                    n
                    for n in c.nodes.values()
                    if _matches(n["metadata"]["labels"], query.get("labelSelector", ""))
                ]
                return self._send(200, {"kind": "NodeList", "apiVersion": "v1", "items": items})
            if m := re.fullmatch(r"/api/v1/nodes/([^/]+)", url.path):
                node = c.nodes.get(m[1])
                return self._send(200, node) if node else self._not_found()
            if m := re.fullmatch(
                r"/apis/jobset\.x-k8s\.io/v1alpha2/namespaces/[^/]+/jobsets/([^/]+)", url.path
            ):
                jobset = c.jobsets.get(m[1])
                if jobset is None:
                    return self._not_found()
                c.reads[m[1]] = c.reads.get(m[1], 0) + 1
                if not c.hang and c.reads[m[1]] >= c.reads_to_finish:
                    jobset["status"] = {"terminalState": "Completed"}
                return self._send(200, jobset)
            if re.fullmatch(r"/api/v1/namespaces/[^/]+/pods", url.path):
                name = query.get("labelSelector", "").partition("=")[2]
                items = c.pods.get(name, [])
                return self._send(200, {"kind": "PodList", "apiVersion": "v1", "items": items})
            if m := re.fullmatch(r"/api/v1/namespaces/[^/]+/pods/([^/]+)/log", url.path):
                for pods in c.pods.values():
                    for pod in pods:
                        if pod["metadata"]["name"] == m[1]:
                            placed = [p["spec"]["nodeName"] for p in pods]
                            busbw = min(c.bandwidth[n] for n in placed)
                            log = job_log(
                                all_reduce_perf={
                                    "peak_busbw": busbw,
                                    "network": c.network,
                                    "hosts": tuple(placed),
                                },
                                alltoall_perf={
                                    "peak_busbw": busbw / 4,
                                    "network": c.network,
                                    "hosts": tuple(placed),
                                },
                            )
                            c.log_queries.append(dict(query))
                            if "tailLines" in query:  # as the kubelet serves it
                                log = "".join(
                                    log.splitlines(keepends=True)[-int(query["tailLines"]) :]
                                )
                            return self._send(200, log.encode(), "text/plain")
            return self._not_found()

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        body = self._body()
        c = self.cluster
        with c.lock:
            name = body["metadata"]["name"]
            if re.fullmatch(r"/api/v1/namespaces/[^/]+/secrets", url.path):
                c.secrets[name] = body
                c.created.append(f"Secret/{name}")
                return self._send(201, body)
            if re.fullmatch(r"/apis/jobset\.x-k8s\.io/v1alpha2/namespaces/[^/]+/jobsets", url.path):
                if not c.jobset_installed:
                    return self._not_found()
                body["metadata"]["uid"] = f"uid-{name}"
                c.jobsets[name] = body
                c.created.append(f"JobSet/{name}")
                job = body["spec"]["replicatedJobs"][0]["template"]["spec"]
                pod = job["template"]["spec"]
                terms = (
                    pod.get("affinity", {})
                    .get("nodeAffinity", {})
                    .get("requiredDuringSchedulingIgnoredDuringExecution", {})
                    .get("nodeSelectorTerms", [])
                )
                pinned = terms[0]["matchExpressions"][0]["values"] if terms else None
                candidates = [
                    n
                    for n, node in sorted(c.nodes.items())
                    if all(
                        node["metadata"]["labels"].get(k) == v
                        for k, v in pod["nodeSelector"].items()
                    )
                    and (pinned is None or n in pinned)
                ]
                placed = candidates[: job["parallelism"]]
                c.pods[name] = [
                    {
                        "metadata": {
                            "name": f"{name}-worker-0-{i}-abcde",
                            "labels": {
                                "jobset.sigs.k8s.io/jobset-name": name,
                                "batch.kubernetes.io/job-completion-index": str(i),
                            },
                        },
                        "spec": {"nodeName": node, "containers": [{"name": "nccl-test"}]},
                        **(
                            {
                                "status": {
                                    "containerStatuses": [
                                        {
                                            "name": "nccl-test",
                                            "image": "x",
                                            "imageID": "",
                                            "ready": False,
                                            "restartCount": 0,
                                            "state": {
                                                "waiting": {
                                                    "reason": "ErrImagePull",
                                                    "message": "not found",
                                                }
                                            },
                                        }
                                    ]
                                }
                            }
                            if c.pull_error
                            else {}
                        ),
                    }
                    for i, node in enumerate(placed)
                ]
                return self._send(201, body)
            return self._not_found()

    def do_DELETE(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        c = self.cluster
        with c.lock:
            if m := re.fullmatch(r"/api/v1/namespaces/[^/]+/secrets/([^/]+)", url.path):
                if c.secrets.pop(m[1], None) is None:
                    return self._not_found()
                c.deleted.append(f"Secret/{m[1]}")
                return self._send(200, {"kind": "Status", "status": "Success"})
            if m := re.fullmatch(
                r"/apis/jobset\.x-k8s\.io/v1alpha2/namespaces/[^/]+/jobsets/([^/]+)", url.path
            ):
                if c.jobsets.pop(m[1], None) is None:
                    return self._not_found()
                c.pods.pop(m[1], None)
                c.deleted.append(f"JobSet/{m[1]}")
                return self._send(200, {"kind": "Status", "status": "Success"})
            return self._not_found()

    def do_PATCH(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        body = self._body()
        c = self.cluster
        with c.lock:
            if m := re.fullmatch(r"/api/v1/nodes/([^/]+)", url.path):
                node = c.nodes.get(m[1])
                if node is None:
                    return self._not_found()
                node["spec"]["taints"] = body["spec"]["taints"]
                return self._send(200, node)
            return self._not_found()


class StandinKubeApi:
    """Start with ``with StandinKubeApi() as api:``; ``api.kubeconfig(tmp_path)`` writes a file."""

    def __init__(self) -> None:
        self.cluster = Cluster()
        handler = type("Handler", (_Handler,), {"cluster": self.cluster})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandinKubeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def kubeconfig(self, directory: Path) -> Path:
        path = directory / "kubeconfig"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "standin", "cluster": {"server": self.url}}],
                    "users": [{"name": "standin", "user": {"token": "standin-token"}}],
                    "contexts": [
                        {"name": "standin", "context": {"cluster": "standin", "user": "standin"}}
                    ],
                    "current-context": "standin",
                }
            )
        )
        return path
