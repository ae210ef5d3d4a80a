#!/usr/bin/env python3
"""A stand-in for petrel's HTTP API, for developing the dashboard.

Serves ../www with the SSI tags of the dashboard contract replaced by sample
values and answers /api/status, /api/events (SSE) and /api/settings with
sample data (see /work/notes/dashboard-contract.md or the README).

    python3 webroot/dev/mock.py [PORT]     # default 8088, 127.0.0.1 only
"""
import html
import json
import math
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

WWW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "www")
START = time.time() - 3 * 86400 - 4 * 3600 - 5 * 60
MIME = {".shtml": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
        ".svg": "image/svg+xml", ".json": "application/json"}
settings = {"device_name": "petrel-lab", "mqtt_broker": "mqtt://127.0.0.1:1883",
            "sntp_servers": "pool.example, 127.0.0.1"}
LOG = [
    "petrel 0.1.0 starting (config /etc/petrel.toml)",
    "http listening on 127.0.0.1:8080",
    "snmp agent on 127.0.0.1:1161 (v1, v2c, v3)",
    "sntp: synced to 127.0.0.1:11123, offset -12 us, stratum 9",
    "mdns: claimed petrel-lab.local",
    "mqtt: connected to 127.0.0.1:1883 (MQTT 5)",
]


def now_ms():
    return int(time.time() * 1000)


def counters():
    t = time.time() - START
    # A wavy load so the chart has something to show.
    rx = int(t * 400000 + 1.4e6 * math.sin(t / 7) + 3e6)
    tx = int(t * 150000 + 5e5 * math.sin(t / 5 + 1) + 1e6)
    return rx, tx, rx // 700, tx // 400


def uptime():
    s = int(time.time() - START)
    return "%dd %02d:%02d:%02d" % (s // 86400, s // 3600 % 24, s // 60 % 60, s % 60)


def status():
    rx, tx, rxp, txp = counters()
    base = now_ms()
    return {
        "device": {"name": settings["device_name"], "version": "0.1.0", "build": "release, rustc 1.91.0",
                   "uptime_s": int(time.time() - START)},
        "time": {"now_unix_ms": base, "synced": True, "server": "127.0.0.1:11123", "offset_us": -12,
                 "delay_us": 210, "stratum": 9, "leap": 0, "last_sync_unix_ms": base - 10000},
        "mdns": {"name": settings["device_name"] + ".local"},
        "interfaces": [
            {"index": 1, "name": "lo", "ipv4": "127.0.0.1/8", "mac": "00:00:00:00:00:00", "mtu": 65536,
             "up": True, "speed_bps": 0, "rx_bytes": 81234, "tx_bytes": 81234, "rx_packets": 920,
             "tx_packets": 920, "rx_errors": 0, "tx_errors": 0, "rx_discards": 0, "tx_discards": 0},
            {"index": 2, "name": "tap0", "ipv4": "198.51.100.2/24", "mac": "02:00:5e:10:00:02", "mtu": 1500,
             "up": True, "speed_bps": 1000000000, "rx_bytes": rx, "tx_bytes": tx, "rx_packets": rxp,
             "tx_packets": txp, "rx_errors": 0, "tx_errors": 0, "rx_discards": 3, "tx_discards": 0},
            {"index": 3, "name": "eth1", "ipv4": None, "mac": "02:00:5e:10:00:03", "mtu": 1500,
             "up": False, "speed_bps": 0, "rx_bytes": 0, "tx_bytes": 0, "rx_packets": 0,
             "tx_packets": 0, "rx_errors": 0, "tx_errors": 0, "rx_discards": 0, "tx_discards": 0},
        ],
        "connections": {
            "tcp": [{"local": "198.51.100.2:8080", "remote": "198.51.100.1:51234", "state": "established"},
                    {"local": "198.51.100.2:49152", "remote": "198.51.100.1:1883", "state": "established"},
                    {"local": "198.51.100.2:8080", "remote": "198.51.100.1:51200", "state": "time-wait"}],
            "tcp_listeners": [{"local": "198.51.100.2:8080"}, {"local": "198.51.100.2:8443"},
                              {"local": "198.51.100.2:5001"}],
            "udp": [{"local": "198.51.100.2:161"}, {"local": "198.51.100.2:69"}, {"local": "0.0.0.0:5353"}],
        },
        "services": [
            {"name": "http", "state": "running", "detail": "198.51.100.2:8080"},
            {"name": "https", "state": "running", "detail": "198.51.100.2:8443"},
            {"name": "mqtt", "state": "connected", "detail": "127.0.0.1:1883, 42 published"},
            {"name": "sntp", "state": "running", "detail": "last sync 10 s ago"},
            {"name": "snmp", "state": "running", "detail": "1,204 requests served"},
            {"name": "mdns", "state": "starting", "detail": "probing"},
            {"name": "tftp", "state": "failed", "detail": "port 69 in use"},
        ],
        "log": [{"unix_ms": base - (len(LOG) - i) * 60000, "level": "WARN" if "tftp" in m else "INFO",
                 "message": m} for i, m in enumerate(LOG)] +
               [{"unix_ms": base - 5000, "level": "ERROR", "message": "tftp: bind 198.51.100.2:69: address in use"}],
    }


SSI = {
    "device_name": lambda: settings["device_name"], "version": lambda: "0.1.0",
    "build": lambda: "release, rustc 1.91.0", "uptime": uptime,
    "mdns_name": lambda: settings["device_name"] + ".local",
    "time": lambda: time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()), "ip": lambda: "198.51.100.2",
}
TAG = re.compile(rb"<!--#([A-Za-z0-9_.:-]+)(\s[^>]*?)?-->")

LABEL = re.compile(r"^[A-Za-z0-9-]{1,63}$")


def validate(f):
    errors = {}
    name = f.get("device_name", "")
    if not (LABEL.match(name) and not name.startswith("-") and not name.endswith("-")):
        errors["device_name"] = "1 to 63 letters, digits or '-'"
    broker = f.get("mqtt_broker", "")
    if broker and not re.match(r"^mqtts?://[A-Za-z0-9.-]+(:\d{1,5})?$", broker):
        errors["mqtt_broker"] = "mqtt://host[:port] or mqtts://host[:port], or empty"
    servers = [s.strip() for s in f.get("sntp_servers", "").split(",") if s.strip()]
    if len(servers) > 4 or any(not all(LABEL.match(l) for l in s.split(".")) for s in servers):
        errors["sntp_servers"] = "up to 4 host names or IPv4 addresses, comma-separated"
    return errors


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json(self, code, obj):
        self.send(code, "application/json", json.dumps(obj).encode())

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api/status":
            return self.json(200, status())
        if path == "/api/settings":
            return self.json(200, settings)
        if path == "/api/events":
            if os.environ.get("MOCK_SSE") == "0":
                return self.json(404, {"error": "no SSE in this mock run"})
            return self.events()
        if path.endswith("/"):
            path += "index.shtml"
        file = os.path.normpath(os.path.join(WWW, path.lstrip("/")))
        if not file.startswith(os.path.normpath(WWW)) or not os.path.isfile(file):
            with open(os.path.join(WWW, "404.html"), "rb") as f:
                return self.send(404, MIME[".html"], f.read())
        with open(file, "rb") as f:
            body = f.read()
        ext = os.path.splitext(file)[1]
        if ext == ".shtml":
            body = TAG.sub(lambda m: html.escape(SSI.get(m.group(1).decode(), lambda: None)() or
                                                 "<!-- unknown tag %s -->" % m.group(1).decode()).encode()
                           if m.group(1).decode() in SSI else b"<!-- unknown tag " + m.group(1) + b" -->", body)
        self.send(200, MIME.get(ext, "application/octet-stream"), body)

    def events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            for i in range(3600):
                rx, tx, rxp, txp = counters()
                d = {"unix_ms": now_ms(), "uptime_s": int(time.time() - START), "rx_bytes": rx, "tx_bytes": tx,
                     "rx_packets": rxp, "tx_packets": txp, "tcp_connections": 3}
                self.wfile.write(b"event: stats\ndata: " + json.dumps(d).encode() + b"\n\n")
                if i % 7 == 6:
                    log = {"unix_ms": now_ms(), "level": "INFO", "message": "http: GET / from 198.51.100.1 (200)"}
                    self.wfile.write(b"event: log\ndata: " + json.dumps(log).encode() + b"\n\n")
                self.wfile.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_POST(self):
        if self.path != "/api/settings":
            return self.json(404, {"ok": False})
        n = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode(), keep_blank_values=True).items()}
        errors = validate(form)
        if errors:
            return self.json(422, {"ok": False, "errors": errors})
        restart = (form.get("mqtt_broker", "") != settings["mqtt_broker"] or
                   form.get("sntp_servers", "") != settings["sntp_servers"])
        settings.update({k: form.get(k, "") for k in settings})
        self.json(200, {"ok": True, "restart_needed": restart})


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8088
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("mock petrel API on http://127.0.0.1:%d/" % port, flush=True)
    srv.serve_forever()
