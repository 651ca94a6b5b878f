"""Shared helpers for the TLS edge tests (test_tls_edge_openssl.py, test_sighup_reload.py,
test_nginx_xfcc.py, test_tls_abuse.py): a throwaway PKI made at test time with the
`cryptography` package (no private key is ever committed), a `kmsd serve` process started
from a configuration written here, and a wrapper around `openssl s_client`."""
import datetime
import ipaddress
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import BIN_DIR, _free_port

TRUST_DOMAIN = "test.example"
ADMIN = f"spiffe://{TRUST_DOMAIN}/admin"
CLIENT = f"spiffe://{TRUST_DOMAIN}/ns/app/sa/api"
PROXY = f"spiffe://{TRUST_DOMAIN}/proxy"

_EKU = {"client": ExtendedKeyUsageOID.CLIENT_AUTH, "server": ExtendedKeyUsageOID.SERVER_AUTH}


def _new_key(key_type):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(key_type)


def _write_private_key(path, key):
    """Writes an unencrypted PKCS#8 PEM key readable by its owner only."""
    path = pathlib.Path(path)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _replace_file(path, data):
    """Replaces `path` atomically (write a sibling, rename), as a config-management tool would."""
    path = pathlib.Path(path)
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class Leaf:
    """An issued certificate and its key, on disk."""

    def __init__(self, name, certificate, key, cert_path, key_path, ca):
        self.name, self.certificate, self.key = name, certificate, key
        self.cert_path, self.key_path, self.ca = pathlib.Path(cert_path), pathlib.Path(key_path), ca

    @property
    def serial(self):
        return self.certificate.serial_number

    @property
    def pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def credentials(self, root_ca=None):
        """grpc channel credentials presenting this certificate; the server is verified
        against `root_ca` (a CertificateAuthority, default this leaf's issuer)."""
        return grpc.ssl_channel_credentials(
            root_certificates=(root_ca or self.ca).cert_path.read_bytes(),
            private_key=self.key_path.read_bytes(),
            certificate_chain=self.cert_path.read_bytes(),
        )


class CertificateAuthority:
    """A self-signed CA that issues leaves into `directory`."""

    def __init__(self, directory, name="test-ca", key_type="ec"):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.key = _new_key(key_type)
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = self.directory / f"{name}.pem"
        self.cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, name, *, spiffe_id=None, dns=(), ips=(), usages=("client",), key_type="ec",
              not_before=None, not_after=None, serial=None, write=True):
        """Issues a leaf. `usages` is the extended key usage ("client", "server"; empty for
        no extension). Writes `<name>.pem` and `<name>-key.pem` unless `write` is false
        (then the caller places the PEM bytes itself)."""
        key = _new_key(key_type)
        now = datetime.datetime.now(datetime.timezone.utc)
        sans = [x509.UniformResourceIdentifier(spiffe_id)] if spiffe_id else []
        sans += [x509.DNSName(name) for name in dns]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(minutes=10))
            .not_valid_after(not_after or now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        if usages:
            builder = builder.add_extension(x509.ExtendedKeyUsage([_EKU[usage] for usage in usages]), critical=False)
        ec_key = key_type == "ec"
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_encipherment=not ec_key, content_commitment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        certificate = builder.sign(self.key, hashes.SHA256())
        cert_path, key_path = self.directory / f"{name}.pem", self.directory / f"{name}-key.pem"
        if write:
            cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
            _write_private_key(key_path, key)
        return Leaf(name, certificate, key, cert_path, key_path, self)

    def issue_server(self, name="server", key_type="ec", **kwargs):
        """A server certificate for localhost and 127.0.0.1."""
        return self.issue(name, dns=("localhost",), ips=("127.0.0.1",), usages=("server",), key_type=key_type, **kwargs)

    def install(self, leaf, cert_path, key_path):
        """Replaces the files at `cert_path` and `key_path` with `leaf`'s (key first,
        each file atomically)."""
        _replace_file(key_path, leaf.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        _replace_file(cert_path, leaf.pem)


def policy(*statements):
    """A server policy document: the admin may do everything, plus `statements`."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": ADMIN, "Action": "kms:*", "Resource": "*"}, *statements]}


def kmsd_config(directory, server, *, client_ca=None, tls=None, limits=None, identity=None, server_policy=None, audit=None):
    """A `kmsd serve` configuration (JSON is YAML) listening on 127.0.0.1:0."""
    config = {
        "listen": "127.0.0.1:0",
        "data_dir": str(pathlib.Path(directory) / "data"),
        "tls": {"certificate": str(server.cert_path), "private_key": str(server.key_path), **(tls or {})},
        "server_policy": server_policy or policy(),
    }
    if client_ca is not None:
        config["tls"]["client_ca"] = str(client_ca.cert_path)
    if limits:
        config["limits"] = limits
    if identity:
        config["identity"] = identity
    if audit:
        config["audit"] = audit
    return config


class Kmsd:
    """A `kmsd serve --config` process; with `listen: 127.0.0.1:0` it picks a free port, which
    `start` reads from its "kmsd listening on" line. Logs to `kmsd.log`. Runs the kmsd of
    `bin_dir` (KMS_BIN_DIR's by default)."""

    LISTENING = re.compile(r"kmsd listening on 127\.0\.0\.1:(\d+)")

    def __init__(self, directory, config, stubs, bin_dir=BIN_DIR):
        self.bin_dir = bin_dir
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.stubs = stubs
        self.config_path = self.directory / "kmsd.yaml"
        self.config_path.write_text(json.dumps(config, indent=2))
        self.log_path = self.directory / "kmsd.log"
        self.process = None
        self.port = None

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    def start(self, credentials, seconds=60):
        """Starts kmsd and waits until it answers a health check over mutual TLS with
        `credentials`."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([str(self.bin_dir / "kmsd"), "serve", "--config", str(self.config_path)],
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + seconds
        while self.port is None:
            assert self.process.poll() is None, f"kmsd exited ({self.process.returncode}):\n{self.log()}"
            match = self.LISTENING.search(self.log())
            if match:
                self.port = int(match.group(1))
                break
            assert time.monotonic() < deadline, f"kmsd did not print its port in {seconds} s:\n{self.log()}"
            time.sleep(0.05)
        while True:
            assert self.process.poll() is None, f"kmsd exited ({self.process.returncode}):\n{self.log()}"
            try:
                with grpc.secure_channel(self.target, credentials) as channel:
                    reply = self.stubs["health_grpc"].HealthStub(channel).Check(self.stubs["health"].HealthCheckRequest(), timeout=2)
                    if reply.status == self.stubs["health"].HealthCheckResponse.SERVING:
                        return self
            except grpc.RpcError:
                pass
            assert time.monotonic() < deadline, f"kmsd did not become healthy in {seconds} s:\n{self.log()}"
            time.sleep(0.1)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def hup(self):
        os.kill(self.process.pid, signal.SIGHUP)

    def rss_kib(self):
        """VmRSS of the process, in KiB (/proc/PID/status)."""
        for line in pathlib.Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS line")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def channel(self, leaf, root_ca=None, options=None):
        return grpc.secure_channel(self.target, leaf.credentials(root_ca), options=options or [])

    def client(self, channel):
        return self.stubs["kms_grpc"].KeyManagementServiceStub(channel)

    def audit_records(self):
        """Every record in the audit log files, in file order."""
        directory = pathlib.Path(self.config.get("audit", {}).get("directory") or pathlib.Path(self.config["data_dir"]) / "audit")
        records = []
        for file in sorted(directory.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                try:
                    text = file.read_text()
                except UnicodeDecodeError:
                    continue  # the binary index
                for line in text.splitlines():
                    if line.startswith("{"):
                        records.append(json.loads(line))
        return records


def request_id(call):
    """The `x-request-id` of a finished call (initial metadata on success, trailing on failure)."""
    for key, value in tuple(call.initial_metadata() or ()) + tuple(call.trailing_metadata() or ()):
        if key == "x-request-id":
            return value
    raise AssertionError("the call carried no x-request-id")


class SClient:
    """One `openssl s_client` run: exit status and combined output."""

    def __init__(self, args, returncode, output):
        self.args, self.returncode, self.output = args, returncode, output

    @property
    def cipher(self):
        """The negotiated cipher, or None (`(NONE)` or no handshake)."""
        match = re.search(r"Cipher is (\S+)", self.output) or re.search(r"^\s*Cipher\s*:\s*(\S+)", self.output, re.M)
        if not match or match.group(1) in ("(NONE)", "0000"):
            return None
        return match.group(1)

    @property
    def protocol(self):
        """The negotiated version: the session's `Protocol  :` line, else the version on the
        `New, …, Cipher is` line (for TLS 1.3 the two agree; for TLS 1.2 that line shows the
        cipher suite's minimum version, not the negotiated one)."""
        match = re.search(r"^\s*Protocol\s*:\s*(\S+)", self.output, re.M) or re.search(r"^New, (TLSv[\d.]+), Cipher is", self.output, re.M)
        return match.group(1) if match else None

    @property
    def alert(self):
        """The first alert line OpenSSL printed, or None."""
        match = re.search(r"^.*alert.*$", self.output, re.M)
        return match.group(0) if match else None

    @property
    def accepted(self):
        """The handshake completed and the server did not refuse the connection afterwards
        (with `probe`, the server read our HTTP/2 bytes and closed the connection itself)."""
        return self.returncode == 0 and self.cipher is not None and self.alert is None

    @property
    def refused(self):
        """s_client failed with an alert or one of OpenSSL's handshake failure messages.
        (A failed TLS 1.2 handshake may still print "Cipher is <suite>": the suite chosen
        before the failure, so the cipher line alone proves nothing.)"""
        words = ("alert", "handshake failure", "no protocols available", "no ciphers available", "wrong version number",
                 "unsupported protocol", "errno=104", "Connection reset", "unexpected eof")
        return self.returncode not in (0, "timeout") and any(word in self.output for word in words)

    def server_certificate_pem(self):
        match = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", self.output, re.S)
        assert match, f"s_client showed no server certificate:\n{self.output}"
        return match.group(0)

    def describe(self):
        printable = "".join(c if c.isprintable() or c == "\n" else "." for c in self.output)
        interesting = [line.strip() for line in printable.splitlines()
                       if any(word in line for word in ("Cipher is", "alert", "error", "errno", "Verify return",
                                                        "no protocols", "handshake", "closed", "DONE"))]
        return f"$ {' '.join(self.args)}\n  exit {self.returncode}\n  " + "\n  ".join(interesting[:14])


# The client connection preface (magic and an empty SETTINGS frame), then a DATA frame on
# stream 0, a connection error by RFC 9113 §6.1: an HTTP/2 server that reads it answers with
# GOAWAY and closes the connection. Sent after the handshake, it makes s_client wait until
# the server either closes the connection (it was accepted and spoke HTTP/2) or sends an
# alert (TLS 1.3 refuses a client certificate after the client's Finished, which s_client
# would otherwise not wait for).
H2_PROBE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]) + bytes([0, 0, 0, 0, 0, 0, 0, 0, 0])


def s_client(port, *args, leaf=None, ca=None, probe=True, timeout=20):
    """Runs `openssl s_client` against 127.0.0.1:`port` (SNI localhost), presenting `leaf`
    when given and verifying the server against `ca` when given. With `probe`, sends
    `H2_PROBE` after the handshake and waits (`-ign_eof`) until the server closes or
    refuses the connection; without it, s_client ends right after the handshake."""
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"]
    if leaf is not None:
        command += ["-cert", str(leaf.cert_path), "-key", str(leaf.key_path)]
    if ca is not None:
        command += ["-CAfile", str(ca.cert_path), "-verify_return_error"]
    if probe:
        command.append("-ign_eof")
    command += list(args)
    try:
        result = subprocess.run(command, input=H2_PROBE if probe else b"", capture_output=True, timeout=timeout)
        output = result.stdout.decode(errors="replace") + "\n" + result.stderr.decode(errors="replace")
        run = SClient(command, result.returncode, output)
    except subprocess.TimeoutExpired as timed_out:
        output = (timed_out.stdout or b"").decode(errors="replace") + "\n" + (timed_out.stderr or b"").decode(errors="replace")
        run = SClient(command, "timeout", output)
    print(run.describe())
    return run


def certificate_serial(pem):
    """`openssl x509 -noout -serial` of a PEM certificate, as an int."""
    result = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem.encode(), capture_output=True, check=True)
    text = result.stdout.decode().strip()
    assert text.startswith("serial="), text
    return int(text.split("=", 1)[1], 16)


class PermissiveServer:
    """`openssl s_server` that accepts every protocol version and cipher suite OpenSSL has
    (security level 0), with `leaf` as its certificate: used to prove that the local
    `openssl s_client` can offer a protocol or suite at all, so that a refusal by kmsd is
    not vacuous."""

    def __init__(self, leaf):
        self.leaf = leaf

    def client_can_negotiate(self, *args):
        """Whether s_client with `args` completes a handshake with the permissive server;
        returns (bool, the SClient run)."""
        port = _free_port()
        command = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(self.leaf.cert_path), "-key",
                   str(self.leaf.key_path), "-cipher", "ALL:@SECLEVEL=0", "-www"]
        server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            seen = b""
            while b"ACCEPT" not in seen:
                line = server.stdout.readline()
                assert line, f"openssl s_server did not start: {seen!r}"
                seen += line
            run = s_client(port, *args, probe=False, timeout=10)
            return run.accepted, run
        finally:
            server.kill()
            server.wait(timeout=10)


def nginx_binary():
    """The nginx executable, or None when nginx is not installed."""
    import shutil

    return shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None)


def nginx_version(binary):
    output = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    assert match, output
    return tuple(int(part) for part in match.groups())


class Nginx:
    """A foreground nginx (no daemon, no master process) with its prefix, pid file, logs
    and temporary directories under `directory`; `server_block` is the text of one
    `server { … }`, in which `{LISTEN}` becomes the listen directive (TLS and HTTP/2 on a
    free port of 127.0.0.1)."""

    def __init__(self, directory, server_block, worker_connections=1024):
        self.binary = nginx_binary()
        self.version = nginx_version(self.binary)
        self.directory = pathlib.Path(directory)
        for sub in ("logs", "tmp"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.error_log = self.directory / "logs" / "error.log"
        self.access_log = self.directory / "logs" / "access.log"
        temporary = "\n".join(f"    {kind}_temp_path {self.directory / 'tmp' / kind};"
                              for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf = self.directory / "nginx.conf"
        self.conf.write_text(
            f"{user}daemon off;\nmaster_process off;\nworker_processes 1;\n"
            f"pid {self.directory / 'nginx.pid'};\nerror_log {self.error_log} info;\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n"
            f"    access_log {self.access_log} combined;\n{temporary}\n"
            + server_block.replace("{LISTEN}", self.listen_directive())
            + "\n}\n"
        )
        self.process = None

    def listen_directive(self):
        """`listen … ssl` with HTTP/2 as this nginx spells it (`http2 on;` from 1.25.1)."""
        if self.version >= (1, 25, 1):
            return f"listen 127.0.0.1:{self.port} ssl;\n        http2 on;"
        return f"listen 127.0.0.1:{self.port} ssl http2;"

    def start(self, seconds=20):
        check = subprocess.run([self.binary, "-t", "-p", str(self.directory), "-e", str(self.error_log), "-c", str(self.conf)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"nginx -t:\n{check.stderr}\n{self.conf.read_text()}"
        self.stderr = open(self.directory / "logs" / "stderr.log", "wb")
        self.process = subprocess.Popen([self.binary, "-p", str(self.directory), "-e", str(self.error_log), "-c", str(self.conf)],
                                        stdout=self.stderr, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + seconds
        while True:
            assert self.process.poll() is None, f"nginx exited:\n{self.log()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, f"nginx did not listen in {seconds} s:\n{self.log()}"
                time.sleep(0.05)

    def log(self):
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if getattr(self, "stderr", None):
            self.stderr.close()


class RawCall:
    """What one stream of a `RawGrpcConnection` got back."""

    def __init__(self):
        self.headers, self.trailers, self.data, self.reset, self.ended = {}, {}, b"", None, False

    @property
    def grpc_status(self):
        value = self.trailers.get("grpc-status", self.headers.get("grpc-status"))
        return int(value) if value is not None else None

    @property
    def grpc_message(self):
        return urllib.parse.unquote(self.trailers.get("grpc-message", self.headers.get("grpc-message", "")))

    @property
    def done(self):
        return self.ended or self.reset is not None

    def message(self, message_type):
        """The response message, parsed from the gRPC length-prefixed frame."""
        assert len(self.data) >= 5 and self.data[0] == 0, self.data[:16]
        length = int.from_bytes(self.data[1:5], "big")
        return message_type.FromString(self.data[5:5 + length])


class RawGrpcConnection:
    """gRPC unary calls over one HTTP/2 connection made with Python's `ssl` and the `h2`
    package, for what grpcio does not let a test do: resume a TLS session it saved, or open
    more concurrent streams than the server's SETTINGS_MAX_CONCURRENT_STREAMS (the streams
    are started before the server's SETTINGS are read, so h2 does not hold them back)."""

    def __init__(self, port, leaf, ca, resume=None, timeout=20, tls_version=None):
        """Connects with `leaf`'s certificate; with `resume` (an earlier, closed connection)
        offers that connection's TLS session for resumption."""
        import h2.config
        import h2.connection

        self.context = resume.context if resume is not None else self._context(leaf, ca, tls_version)
        session = resume.saved_session if resume is not None else None
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname="localhost", session=session)
        self.connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.connection.initiate_connection()
        self.sock.sendall(self.connection.data_to_send())
        self.calls = {}
        self.terminated = None
        self.saved_session = None

    @staticmethod
    def _context(leaf, ca, tls_version):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(str(ca.cert_path))
        context.load_cert_chain(str(leaf.cert_path), str(leaf.key_path))
        context.set_alpn_protocols(["h2"])
        if tls_version == "1.2":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        elif tls_version == "1.3":
            context.minimum_version = ssl.TLSVersion.TLSv1_3
        return context

    @property
    def session(self):
        return self.sock.session

    @property
    def session_reused(self):
        return self.sock.session_reused

    def start(self, method, request):
        """Starts a unary call of `kms.v1.KeyManagementService/<method>`; returns its stream id."""
        stream = self.connection.get_next_available_stream_id()
        self.connection.send_headers(stream, [
            (":method", "POST"), (":scheme", "https"), (":path", f"/kms.v1.KeyManagementService/{method}"),
            (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
        ])
        body = request.SerializeToString()
        self.connection.send_data(stream, b"\x00" + len(body).to_bytes(4, "big") + body, end_stream=True)
        self.calls[stream] = RawCall()
        self._send()
        return stream

    def _send(self):
        outgoing = self.connection.data_to_send()
        if outgoing and self.terminated is None:
            try:
                self.sock.sendall(outgoing)
            except OSError as error:  # the server closed the connection (after a GOAWAY, say)
                self.terminated = f"send failed: {type(error).__name__}"

    def _receive(self, timeout):
        """Reads once, waiting up to `timeout` seconds; returns the h2 events (after noting a
        GOAWAY in `terminated`), or [] when nothing came in time or the server ended the
        connection (then `terminated` says how)."""
        import h2.events

        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        except (ConnectionError, ssl.SSLError) as error:
            self.terminated = f"receive failed: {type(error).__name__}"
            return []
        if not data:
            self.terminated = "EOF"
            return []
        events = self.connection.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.ConnectionTerminated):
                self.terminated = event.error_code
        return events

    def wait(self, seconds=30):
        """Reads until every started call has ended or was reset, or the server ended the
        connection; returns the calls by stream id."""
        import h2.events

        deadline = time.monotonic() + seconds
        while not all(call.done for call in self.calls.values()) and self.terminated is None:
            assert time.monotonic() < deadline, f"calls still open after {seconds} s"
            for event in self._receive(max(0.1, deadline - time.monotonic())):
                call = self.calls.get(getattr(event, "stream_id", None))
                if isinstance(event, h2.events.ResponseReceived) and call:
                    call.headers = dict(event.headers)
                elif isinstance(event, h2.events.TrailersReceived) and call:
                    call.trailers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    if call:
                        call.data += event.data
                    self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded) and call:
                    call.ended = True
                elif isinstance(event, h2.events.StreamReset) and call:
                    call.reset = event.error_code
            self._send()
        return self.calls

    def idle(self, seconds):
        """Sends nothing for up to `seconds` while reading, until the server ends the
        connection; returns the times (time.monotonic()) of the server's PINGs (which h2
        answers) and of the end (None when it did not end)."""
        import h2.events

        pings, deadline = [], time.monotonic() + seconds
        while self.terminated is None and time.monotonic() < deadline:
            for event in self._receive(max(0.05, deadline - time.monotonic())):
                if isinstance(event, h2.events.PingReceived):
                    pings.append(time.monotonic())
            self._send()
        return pings, (time.monotonic() if self.terminated is not None else None)

    def close(self):
        """Closes the connection, keeping its TLS session for `resume`."""
        self.saved_session = self.sock.session
        try:
            self.connection.close_connection()
            self.sock.sendall(self.connection.data_to_send())
        except Exception:
            pass
        self.sock.close()
