#!/usr/bin/env python3
"""Echo peer for the firmware tests: sends data to an echo server and checks
what comes back. Bounded in size and time; exits non-zero on any mismatch.

  echo_peer.py tcp HOST PORT BYTES   # concurrent send/receive, sha256 compare
  echo_peer.py udp HOST PORT         # a few datagrams of different sizes
"""
import hashlib
import os
import socket
import sys
import threading
import time


def tcp(host, port, total):
    data = os.urandom(total)
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    err = []

    def sender():
        try:
            view = memoryview(data)
            for off in range(0, total, 4096):
                s.sendall(view[off:off + 4096])
        except OSError as e:
            err.append(e)

    t0 = time.monotonic()
    th = threading.Thread(target=sender, daemon=True)
    th.start()
    got = bytearray()
    deadline = t0 + 60
    while len(got) < total and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    dt = time.monotonic() - t0
    th.join(5)
    s.close()
    if err:
        print(f"tcp echo: send failed: {err[0]}")
        return 1
    ok = hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    print(f"tcp echo: {len(got)}/{total} bytes back in {dt:.3f} s = "
          f"{total / dt / 1e6:.2f} MB/s each way, sha256 {'ok' if ok else 'MISMATCH'}")
    return 0 if ok and len(got) == total else 1


def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for size in (1, 100, 512, 1472):
        payload = os.urandom(size)
        for attempt in range(3):
            s.sendto(payload, (host, port))
            try:
                back, _ = s.recvfrom(2048)
                break
            except socket.timeout:
                back = None
        if back != payload:
            print(f"udp echo: {size}-byte datagram: {'no answer' if back is None else 'wrong answer'}")
            return 1
    print("udp echo: 4 datagrams (1, 100, 512, 1472 bytes) echoed intact")
    return 0


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "tcp":
        sys.exit(tcp(host, port, int(sys.argv[4])))
    sys.exit(udp(host, port))
