"""Fixtures for the interop tests: a real `kmsd dev` server on 127.0.0.1 and Python
stubs generated at test time from proto/ with grpcio-tools."""
import importlib
import os
import pathlib
import socket
import subprocess
import sys
import time

import grpc
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN_DIR = pathlib.Path(os.environ.get("KMS_BIN_DIR", REPO / ".build" / "debug"))
# The tests that compare latencies (an ordinary client's p99 beside an abuser or a greedy
# principal against its p99 without) assert their bounds on an optimized build, the one users
# run: KMS_RELEASE_BIN_DIR names its binaries (tools/test.sh builds it). Without it they run
# on KMS_BIN_DIR's build and report the latencies without asserting the bounds.
RELEASE_BIN_DIR = pathlib.Path(os.environ["KMS_RELEASE_BIN_DIR"]) if os.environ.get("KMS_RELEASE_BIN_DIR") else None
LATENCY_BIN_DIR = RELEASE_BIN_DIR or BIN_DIR


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_stubs(directory):
    """Generates the kms.v1 Python modules from proto/ into `directory` and imports them. The
    standard health service comes from grpcio-health-checking, as any client would use it."""
    from grpc_tools import protoc
    import importlib.resources

    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{REPO / 'proto'}",
        f"-I{well_known}",
        f"--python_out={directory}",
        f"--grpc_python_out={directory}",
        "kms/v1/kms.proto",
    ]
    assert protoc.main(args) == 0, "protoc failed"
    sys.path.insert(0, str(directory))
    return {
        "kms": importlib.import_module("kms.v1.kms_pb2"),
        "kms_grpc": importlib.import_module("kms.v1.kms_pb2_grpc"),
        "health": importlib.import_module("grpc_health.v1.health_pb2"),
        "health_grpc": importlib.import_module("grpc_health.v1.health_pb2_grpc"),
    }


@pytest.fixture(scope="session")
def stubs(tmp_path_factory):
    """The kms.v1 Python modules, generated at test time."""
    return generate_stubs(tmp_path_factory.mktemp("gen"))


def mint_dev_client_credentials(certs, directory, name, spiffe_id):
    """A client certificate for `spiffe_id` from the CA `kmsd dev` made in `certs` (with the
    openssl CLI), written into `directory`: the credentials of a second principal."""
    key, csr, cert, ext = (directory / f"{name}{suffix}" for suffix in ("-key.pem", ".csr", ".pem", ".ext"))
    ext.write_text(f"subjectAltName=URI:{spiffe_id}\nextendedKeyUsage=clientAuth\n")
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key))
    run("req", "-new", "-key", str(key), "-subj", f"/CN={name}", "-out", str(csr))
    run("x509", "-req", "-in", str(csr), "-CA", str(certs / "ca.pem"), "-CAkey", str(certs / "ca-key.pem"),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))
    return grpc.ssl_channel_credentials(
        root_certificates=(certs / "ca.pem").read_bytes(), private_key=key.read_bytes(), certificate_chain=cert.read_bytes())


class DevServer:
    def __init__(self, directory, port):
        self.directory = pathlib.Path(directory)
        self.port = port
        self.target = f"127.0.0.1:{port}"
        self.certs = self.directory / "certs"

    def credentials(self):
        return grpc.ssl_channel_credentials(
            root_certificates=(self.certs / "ca.pem").read_bytes(),
            private_key=(self.certs / "admin-key.pem").read_bytes(),
            certificate_chain=(self.certs / "admin.pem").read_bytes(),
        )

    def channel(self):
        return grpc.secure_channel(self.target, self.credentials())

    def kmsctl(self, *args, **kwargs):
        command = [str(BIN_DIR / "kmsctl"), *args, "--dev-dir", str(self.directory), "--target", self.target]
        return subprocess.run(command, check=True, capture_output=True, **kwargs)


def _wait_until_serving(server, process, log_path, stubs, seconds=60):
    """Polls the health check until `process` serves, failing with its log if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, pathlib.Path(log_path).read_text()
        if (server.certs / "admin.pem").exists():
            try:
                with server.channel() as channel:
                    health = stubs["health_grpc"].HealthStub(channel)
                    reply = health.Check(stubs["health"].HealthCheckRequest(), timeout=2)
                    if reply.status == stubs["health"].HealthCheckResponse.SERVING:
                        return
            except grpc.RpcError:
                pass
        assert time.monotonic() < deadline, f"kmsd dev did not become healthy in {seconds} s"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory, stubs):
    """`kmsd dev` in a temporary directory, serving until the session ends."""
    directory = tmp_path_factory.mktemp("kms-dev")
    port = _free_port()
    log = open(directory / "kmsd.log", "wb")
    process = subprocess.Popen(
        [str(BIN_DIR / "kmsd"), "dev", "--dir", str(directory), "--listen", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = DevServer(directory, port)
    _wait_until_serving(server, process, directory / "kmsd.log", stubs)
    yield server
    process.terminate()
    process.wait(timeout=30)
    log.close()


class RestartableDevServer(DevServer):
    """`kmsd dev` that a test may kill (SIGKILL), stop (SIGTERM) and start again on the
    same directory and port. Each start logs to its own file, `kmsd-<n>.log`."""

    def __init__(self, directory, port, stubs):
        super().__init__(directory, port)
        self.stubs = stubs
        self.process = None
        self.starts = 0

    @property
    def log_path(self):
        return self.directory / f"kmsd-{self.starts}.log"

    def start(self):
        assert self.process is None, "kmsd is already running"
        self.starts += 1
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(BIN_DIR / "kmsd"), "dev", "--dir", str(self.directory), "--listen", self.target],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_until_serving(self, self.process, self.log_path, self.stubs)

    def kill(self):
        """SIGKILL: no clean shutdown, whatever is in flight is cut off."""
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None

    def stop(self):
        """SIGTERM, then waits for a clean exit."""
        self.process.terminate()
        assert self.process.wait(timeout=30) == 0, self.log_path.read_text()
        self.process = None


@pytest.fixture
def restartable_server(tmp_path, stubs):
    """A function-scoped `kmsd dev`, already serving, that the test may kill and restart."""
    directory = tmp_path / "kms-dev"
    directory.mkdir()
    server = RestartableDevServer(directory, _free_port(), stubs)
    server.start()
    yield server
    if server.process is not None:
        server.process.kill()
        server.process.wait(timeout=30)
