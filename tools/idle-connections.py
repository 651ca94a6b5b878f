#!/usr/bin/env python3
"""Holds N idle mutual-TLS HTTP/2 connections to a kmsd, from its own process, so that
kms-bench can measure active clients beside them (docs/PERFORMANCE.md).

Each connection completes the TLS handshake with the client certificate, sends the HTTP/2
preface and SETTINGS, acknowledges the server's SETTINGS, answers PINGs, and otherwise
stays silent until the time is up.

Usage: tools/idle-connections.py --target 127.0.0.1:8443 --dev-dir .kms-dev --count 1000 --seconds 60
"""
import argparse
import selectors
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS, PING = 0x4, 0x6
ACK = 0x1


def frame(kind, flags, payload=b"", stream=0):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:8443")
    parser.add_argument("--dev-dir", default=".kms-dev")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    context = ssl.create_default_context(cafile=f"{args.dev_dir}/certs/ca.pem")
    context.load_cert_chain(f"{args.dev_dir}/certs/admin.pem", f"{args.dev_dir}/certs/admin-key.pem")
    context.set_alpn_protocols(["h2"])
    selector = selectors.DefaultSelector()
    buffers = {}
    for _ in range(args.count):
        raw = socket.create_connection((host, int(port)))
        tls = context.wrap_socket(raw, server_hostname=host)
        tls.sendall(PREFACE + frame(SETTINGS, 0))
        tls.setblocking(False)
        selector.register(tls, selectors.EVENT_READ)
        buffers[tls] = b""
    print(f"holding {args.count} idle connections for {args.seconds} s", flush=True)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            connection = key.fileobj
            try:
                data = connection.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            if not data:
                sys.exit("the server closed an idle connection")
            buffer = buffers[connection] + data
            while len(buffer) >= 9:
                length = int.from_bytes(buffer[:3], "big")
                if len(buffer) < 9 + length:
                    break
                kind, flags, payload = buffer[3], buffer[4], buffer[9:9 + length]
                buffer = buffer[9 + length:]
                if kind == SETTINGS and not flags & ACK:
                    connection.sendall(frame(SETTINGS, ACK))
                elif kind == PING and not flags & ACK:
                    connection.sendall(frame(PING, ACK, payload))
            buffers[connection] = buffer
    print("done", flush=True)


if __name__ == "__main__":
    main()
