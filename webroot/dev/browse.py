#!/usr/bin/env python3
"""Loads a page in headless Chromium, waits until a JavaScript condition holds,
then saves the DOM and a screenshot.

`chromium --dump-dom` dumps at the load event, before the dashboard's first
fetch has answered, and `--virtual-time-budget` never ends while the page
holds its Server-Sent Events stream open. So this drives Chromium over the
DevTools protocol on a pipe (`--remote-debugging-pipe`: requests on fd 3,
replies on fd 4, NUL-terminated JSON) with nothing but the standard library.

    browse.py URL [--wait JS] [--action JS --until JS] [--settle SECONDS]
              [--dom FILE] [--png FILE] [--width 1280] [--height 1000]
              [--full] [--dark] [--timeout 20]

`--action` runs once after `--wait` holds (fill a form, click a button);
`--until` is then waited for the same way.

Exit status: 0 when the condition held and the outputs were written, 2 when
the condition did not hold within the timeout (outputs are still written,
so a failing test has something to look at), 1 on any other failure.
"""
import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Browser:
    def __init__(self, chromium, width, height, timeout):
        self.profile = tempfile.mkdtemp(prefix="petrel-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--mute-audio", "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        def fds():
            # Chromium reads fd 3 and writes fd 4. Move both ends out of the
            # way first so neither dup2 can clobber the other.
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=fds)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.timeout = timeout
        self.next_id = 0
        self.replies = {}
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        with os.fdopen(self._r, "rb", buffering=0) as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\0" in buf:
                    msg, buf = buf.split(b"\0", 1)
                    m = json.loads(msg)
                    if "id" in m:
                        with self.cond:
                            self.replies[m["id"]] = m
                            self.cond.notify_all()

    def call(self, method, params=None, session=None):
        self.next_id += 1
        i = self.next_id
        m = {"id": i, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self._w, json.dumps(m).encode() + b"\0")
        deadline = time.time() + self.timeout
        with self.cond:
            while i not in self.replies:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("no reply to " + method)
                self.cond.wait(left)
            r = self.replies.pop(i)
        if "error" in r:
            raise RuntimeError("%s: %s" % (method, r["error"]))
        return r["result"]

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def wait_for(b, session, expr, timeout):
    """Polls `expr` every 200 ms until it is truthy, at most `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = b.call("Runtime.evaluate", {"expression": "!!(%s)" % expr, "returnByValue": True}, session)
        if r.get("result", {}).get("value") is True:
            return True
        time.sleep(0.2)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--wait", default="true", help="JS expression to wait for")
    ap.add_argument("--action", help="JS to run once after --wait holds")
    ap.add_argument("--until", help="JS expression to wait for after --action")
    ap.add_argument("--settle", type=float, default=0.0, help="seconds to wait after the condition")
    ap.add_argument("--dom")
    ap.add_argument("--png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--full", action="store_true", help="screenshot the whole page")
    ap.add_argument("--dark", action="store_true", help="emulate prefers-color-scheme: dark")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    a = ap.parse_args()

    b = Browser(a.chromium, a.width, a.height, a.timeout)
    ok = False
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": a.width, "height": a.height, "deviceScaleFactor": 1, "mobile": False}, s)
        if a.dark:
            b.call("Emulation.setEmulatedMedia",
                   {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}, s)
        b.call("Page.enable", {}, s)
        b.call("Page.navigate", {"url": a.url}, s)
        failed = a.wait
        if wait_for(b, s, a.wait, a.timeout):
            failed = None
            if a.action:
                b.call("Runtime.evaluate", {"expression": a.action}, s)
            if a.until and not wait_for(b, s, a.until, a.timeout):
                failed = a.until
        ok = failed is None
        time.sleep(a.settle)
        if a.dom:
            r = b.call("Runtime.evaluate",
                       {"expression": "document.documentElement.outerHTML", "returnByValue": True}, s)
            with open(a.dom, "w") as f:
                f.write(r["result"]["value"])
        if a.png:
            params = {"format": "png"}
            if a.full:
                m = b.call("Page.getLayoutMetrics", {}, s)["cssContentSize"]
                params.update(captureBeyondViewport=True,
                              clip={"x": 0, "y": 0, "width": a.width, "height": m["height"], "scale": 1})
            data = b.call("Page.captureScreenshot", params, s)["data"]
            with open(a.png, "wb") as f:
                f.write(base64.b64decode(data))
    finally:
        b.close()
    if not ok:
        print("condition not met within %.0f s: %s" % (a.timeout, failed), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
