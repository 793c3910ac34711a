"""A stand-in (not an emulator) for the AWS calls moto's server does not emulate, in front of it.

moto 5 serves EC2 (instance type offerings, VPCs) and the VPC Service Quotas, but not
DescribeCapacityReservations, the EC2 Service Quotas or EKS DescribeClusterVersions. This server
on 127.0.0.1 answers exactly those three from data a test sets, in the wire format botocore reads
(EC2 query XML, awsJson1_1, REST-JSON, shapes from botocore's service models), and forwards every
other request unchanged to the moto server — so boto3 code under test talks HTTP to one endpoint
and everything moto can do is real moto.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
RESERVATION_FIELDS = {
    "CapacityReservationId": "capacityReservationId", "InstanceType": "instanceType",
    "InstancePlatform": "instancePlatform", "AvailabilityZone": "availabilityZone",
    "TotalInstanceCount": "totalInstanceCount", "AvailableInstanceCount": "availableInstanceCount",
    "State": "state", "StartDate": "startDate", "EndDate": "endDate", "ReservationType": "reservationType",
}  # fmt: skip


@dataclass
class StandinData:
    """What the stand-in answers: reservations by id, EC2 quota values by code, EKS versions."""

    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    ec2_quotas: dict[str, tuple[str, float]] = field(default_factory=dict)
    eks_versions: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)


def _xml_value(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return escape(str(value))


def _handler(data: StandinData, upstream: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its read timeout); nothing to answer

        def _forward(self, body: bytes | None) -> None:
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
            }
            request = urllib.request.Request(
                upstream + self.path, data=body, headers=headers, method=self.command
            )
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(request, timeout=30) as answer:
                    self._send(answer.status, answer.read(), answer.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as answer:
                self._send(answer.code, answer.read(), answer.headers.get("Content-Type", ""))

        def do_GET(self) -> None:  # noqa: N802
            url = urllib.parse.urlparse(self.path)
            if url.path == "/cluster-versions":
                data.seen.append("DescribeClusterVersions")
                wanted = urllib.parse.parse_qs(url.query).get("clusterVersions", [])
                versions = [{"clusterVersion": v, "clusterType": "eks", "versionStatus": s}
                            for v, s in data.eks_versions.items() if not wanted or v in wanted]  # fmt: skip
                self._send(
                    200, json.dumps({"clusterVersions": versions}).encode(), "application/json"
                )
                return
            self._forward(None)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = self.headers.get("X-Amz-Target", "")
            if target.startswith("ServiceQuotasV20190624."):
                request = json.loads(body or b"{}")
                if request.get("ServiceCode") == "ec2":
                    self._quota(target.rsplit(".", 1)[1], request)
                    return
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if not target else {}
            if form.get("Action") == ["DescribeCapacityReservations"]:
                ids = [v[0] for k, v in form.items() if k.startswith("CapacityReservationId.")]
                self._reservations(ids)
                return
            self._forward(body)

        def _quota(self, operation: str, request: dict[str, Any]) -> None:
            data.seen.append(operation)
            kind = "application/x-amz-json-1.1"
            if operation == "GetServiceQuota" and request.get("QuotaCode") in data.ec2_quotas:
                name, value = data.ec2_quotas[request["QuotaCode"]]
                quota = {
                    "ServiceCode": "ec2",
                    "QuotaCode": request["QuotaCode"],
                    "QuotaName": name,
                    "Value": value,
                }
                self._send(200, json.dumps({"Quota": quota}).encode(), kind)
            elif operation == "ListServiceQuotas":
                quotas = [{"ServiceCode": "ec2", "QuotaCode": c, "QuotaName": n, "Value": v}
                          for c, (n, v) in data.ec2_quotas.items()]  # fmt: skip
                self._send(200, json.dumps({"Quotas": quotas}).encode(), kind)
            else:
                error = {
                    "__type": "NoSuchResourceException",
                    "message": "The request failed because the specified resource does not exist.",
                }
                self._send(400, json.dumps(error).encode(), kind)

        def _reservations(self, ids: list[str]) -> None:
            data.seen.append("DescribeCapacityReservations")
            missing = [i for i in ids if i not in data.reservations]
            if missing:
                error = (f"<Response><Errors><Error><Code>InvalidCapacityReservationId.NotFound</Code>"
                         f"<Message>The capacity reservation ID '{escape(missing[0])}' does not exist</Message>"
                         f"</Error></Errors><RequestID>standin</RequestID></Response>")  # fmt: skip
                self._send(400, error.encode(), "text/xml")
                return
            items = "".join(
                "<item>" + "".join(f"<{tag}>{_xml_value(data.reservations[i][key])}</{tag}>"
                                   for key, tag in RESERVATION_FIELDS.items() if key in data.reservations[i]) + "</item>"
                for i in ids
            )  # fmt: skip
            body = (f'<DescribeCapacityReservationsResponse xmlns="{EC2_NS}"><requestId>standin</requestId>'
                    f"<capacityReservationSet>{items}</capacityReservationSet></DescribeCapacityReservationsResponse>")  # fmt: skip
            self._send(200, body.encode(), "text/xml")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a dropped connection is the client's business; tests assert on what boto3 saw


@contextmanager
def standin_aws(upstream: str) -> Iterator[tuple[str, StandinData]]:
    """The stand-in's endpoint URL and the data it answers from, while the block runs."""
    data = StandinData()
    server = _QuietServer(("127.0.0.1", 0), _handler(data, upstream))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", data
    finally:
        server.shutdown()
        server.server_close()
