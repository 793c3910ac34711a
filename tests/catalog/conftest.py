"""Fixtures of the catalog tests: a real AWS API emulator for the boto3 code.

The emulator is moto's server run as a separate process on 127.0.0.1 — the same HTTP API boto3
talks to in production, so the fetcher's paging, filters and error handling are exercised for
real. Nothing leaves the loopback interface: the credentials are dummies, the shared AWS config
files are hidden and the instance-metadata lookup is off.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

LOOPBACK = "127.0.0.1"
EMULATOR_REGION = "us-east-1"
#: Seconds the emulator may take to answer its first request.
EMULATOR_START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    # No proxy handler: a proxy set in the environment must not see (or swallow) loopback traffic.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def _wait_until_up(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"AWS API emulator exited with {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        if _answers(f"{endpoint}/moto-api/data.json"):
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"AWS API emulator did not answer on {endpoint} within {EMULATOR_START_TIMEOUT:g} s"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def aws_api_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint URL (``http://127.0.0.1:<port>``) of a moto server process emulating the AWS APIs.

    While it runs, the environment holds dummy credentials and a default region, so boto3 can
    never reach a real account; the previous environment is restored when the session ends.
    """
    port = free_port()
    endpoint = f"http://{LOOPBACK}:{port}"
    log = tmp_path_factory.mktemp("aws-api-emulator") / "server.log"
    with pytest.MonkeyPatch.context() as env:
        nowhere = str(log.parent / "no-such-aws-file")
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": EMULATOR_REGION,
            "AWS_REGION": EMULATOR_REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": nowhere,
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "BOTO_CONFIG": nowhere,
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"):
            env.delenv(name, raising=False)
        env.setenv("NO_PROXY", f"{LOOPBACK},localhost")
        env.setenv("no_proxy", f"{LOOPBACK},localhost")
        # boto3's default session caches the credentials it resolved first; start from none.
        env.setattr(boto3, "DEFAULT_SESSION", None)
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_until_up(process, endpoint, log)
            yield endpoint
        finally:
            _stop(process)


@pytest.fixture
def unreachable_aws_endpoint(aws_api_emulator: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An endpoint URL on loopback that refuses connections, with the dummy credentials set and
    botocore's retries off so that the failure is immediate."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return f"http://{LOOPBACK}:{free_port()}"
