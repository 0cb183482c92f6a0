#!/usr/bin/env python3
"""Opens a report page in headless Chromium over the DevTools protocol and
says what a person would see.

    report_cdp.py OUTDIR [--interact] PAGE.html...

One browser; each page loaded three times: 1280x800 light, 1280x800 dark
(prefers-color-scheme), 390x844 phone (mobile emulation). For each: a PNG
screenshot in OUTDIR, the <html> element's data-ok and data-errors, every
drawn number (elements with data-kind/data-key/data-n), whether the page
is wider than the screen. Everything that counts as an error is collected:
console.error/warn/assert, uncaught exceptions, log entries of level error
or warning (CSP violations land there), dialogs (alert() would mean that
text from packets ran as script), and any request that is not for the page
itself or a data: URL (the page must fetch nothing). With --interact it
also sorts the session table by a column and filters it.

Prints one JSON object on stdout: {"pages": {PAGE: {"views": ..., "errors": [...]}}}. Exit 0 if the browser ran (the caller
judges the result), 2 if it could not be driven. Needs only python3's
standard library (a minimal WebSocket client is below).
Chromium flags as this machine needs them (no sandbox as root, no
background networking on a closed network).
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--remote-debugging-port=0"]
VIEWS = [("desktop-light", 1280, 800, False, "light"),
         ("desktop-dark", 1280, 800, False, "dark"),
         ("phone", 390, 844, True, "light")]

PROBE = r"""
(() => {
  const root = document.documentElement;
  const nums = [...document.querySelectorAll('[data-kind]')].map(e => ({
    kind: e.getAttribute('data-kind'), key: e.getAttribute('data-key'),
    n: e.hasAttribute('data-n') ? Number(e.getAttribute('data-n')) : null}));
  const rect = s => { const e = document.querySelector(s); if (!e) return null;
    const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; };
  return JSON.stringify({
    ok: root.getAttribute('data-ok'), errors: root.getAttribute('data-errors'),
    error_list: [...document.querySelectorAll('#rs-errors li')].map(li => li.textContent),
    nums, rows: document.querySelectorAll('#s-table tbody tr.main').length,
    count: (document.getElementById('f-count') || {}).textContent,
    svgs: document.querySelectorAll('main svg').length,
    bg: getComputedStyle(document.body).backgroundColor,
    fg: getComputedStyle(document.body).color,
    scroll_width: root.scrollWidth, inner_width: window.innerWidth,
    charts: {end: rect('#end-reasons .bars'), apps: rect('#apps .bars'), timeline: rect('#timeline svg')},
    label_px: parseFloat(getComputedStyle(document.querySelector('.blabel') || document.body).fontSize),
    axis_px: (() => { const t = document.querySelector('#timeline svg text'); return t ? t.getBoundingClientRect().height : null; })(),
    table_text: (document.querySelector('#s-table tbody') || {}).textContent || ''
  });
})()
"""

INTERACT = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const out = {};
  const ths = [...document.querySelectorAll('#s-table thead th')];
  const cause = ths.find(t => t.textContent.startsWith('cause'));
  cause.click(); await sleep(50);
  out.sort1 = cause.getAttribute('aria-sort');
  const col = ths.indexOf(cause);
  const vals = () => [...document.querySelectorAll('#s-table tbody tr.main')].map(tr => tr.children[col].textContent);
  out.sorted_asc = vals();
  cause.click(); await sleep(50);
  out.sort2 = cause.getAttribute('aria-sort');
  out.sorted_desc = vals();
  const f = document.getElementById('f-text');
  f.value = out.filter_word = (document.querySelector('#s-table tbody tr.main td:nth-child(3)') || {}).textContent || 'x';
  f.dispatchEvent(new Event('input')); await sleep(400);
  out.filtered_rows = document.querySelectorAll('#s-table tbody tr.main').length;
  out.filtered_count = document.getElementById('f-count').textContent;
  f.value = 'no-such-thing-anywhere'; f.dispatchEvent(new Event('input')); await sleep(400);
  out.none_rows = document.querySelectorAll('#s-table tbody tr.main').length;
  f.value = ''; f.dispatchEvent(new Event('input')); await sleep(400);
  const sel = document.getElementById('f-end');
  if (sel.options.length > 1) { sel.selectedIndex = 1; sel.dispatchEvent(new Event('change')); await sleep(50);
    out.select_value = sel.value; out.select_rows = document.querySelectorAll('#s-table tbody tr.main').length; }
  return JSON.stringify(out);
})()
"""


class Cdp:
    """A DevTools client over a minimal RFC 6455 WebSocket (stdlib only:
    the test needs no python package besides python3 itself)."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake: " + head.decode(errors="replace"))
        self.next_id, self.events, self.responses = 0, [], {}

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("websocket closed")
            buf += chunk
        return buf

    def _recv_msg(self):
        data, first_op = b"", None
        while True:
            b0, b1 = self._recv_exact(2)
            op, fin, n = b0 & 0x0F, b0 & 0x80, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            payload = self._recv_exact(n)
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            if op == 8:
                raise RuntimeError("websocket closed by the browser")
            if op == 9:  # ping: answer, keep reading
                self._send_frame(10, payload)
                continue
            if op in (1, 2):
                first_op = op
            data += payload
            if fin and first_op:
                return json.loads(data)

    def _send_frame(self, op, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.sock.sendall(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))

    def _post(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._send_frame(1, json.dumps(msg).encode())
        return self.next_id

    def _pump(self):
        m = self._recv_msg()
        if "id" in m:
            self.responses[m["id"]] = m
        elif "method" in m:
            self.events.append(m)
            if m["method"] == "Page.javascriptDialogOpening":
                # a dialog blocks the page (and its load event): note it, close it
                self._post("Page.handleJavaScriptDialog", {"accept": True}, m.get("sessionId"))

    def send(self, method, params=None, session=None):
        mid = self._post(method, params, session)
        while mid not in self.responses:
            self._pump()
        m = self.responses.pop(mid)
        if "error" in m:
            raise RuntimeError(f"{method}: {m['error']}")
        return m.get("result", {})

    def wait_event(self, method, since, timeout=60):
        deadline = time.time() + timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            if time.time() > deadline:
                raise RuntimeError("timed out waiting for " + method)
            self._pump()


def errors_from(events, page_url):
    errs = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            errs.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errs.append("exception: " + d.get("text", "") + " " + str(d.get("exception", {}).get("description", "")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            errs.append("log: " + p["entry"].get("text", ""))
        elif m == "Page.javascriptDialogOpening":
            errs.append("dialog opened: " + p.get("message", ""))
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url and not url.startswith("data:"):
                errs.append("request: " + url)
    return errs


def drive(cdp, page, outdir, interact, prefix):
    first = len(cdp.events)
    t = cdp.send("Target.createTarget", {"url": "about:blank"})
    s = cdp.send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})["sessionId"]
    for dom in ("Page", "Runtime", "Log", "Network"):
        cdp.send(dom + ".enable", session=s)
    url = "file://" + urllib.parse.quote(os.path.abspath(page))
    result = {"views": {}}
    for name, w, h, mobile, scheme in VIEWS:
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile}, session=s)
        cdp.send("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": scheme}]}, session=s)
        since = len(cdp.events)
        cdp.send("Page.navigate", {"url": url}, session=s)
        cdp.wait_event("Page.loadEventFired", since)
        time.sleep(0.3)
        r = cdp.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=s)
        view = json.loads(r["result"]["value"])
        shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=s)
        png = os.path.join(outdir, f"{prefix}-{name}.png")
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        view["screenshot"] = png
        view["screenshot_bytes"] = os.path.getsize(png)
        if name == "desktop-light":
            # the whole page too (up to 6000 px), for a person to look at
            m = cdp.send("Page.getLayoutMetrics", session=s)
            size = m.get("cssContentSize") or m["contentSize"]
            clip = {"x": 0, "y": 0, "width": w, "height": min(6000, size["height"]), "scale": 1}
            shot = cdp.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                       "captureBeyondViewport": True}, session=s)
            full = os.path.join(outdir, f"{prefix}-desktop-full.png")
            with open(full, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            view["full_screenshot"] = full
        if interact and name == "desktop-light":
            r = cdp.send("Runtime.evaluate", {"expression": INTERACT, "returnByValue": True,
                                              "awaitPromise": True}, session=s)
            view["interact"] = json.loads(r["result"]["value"])
        result["views"][name] = view
    # a dialog blocks the page until it is answered: look for one last
    result["errors"] = errors_from([e for e in cdp.events[first:] if e.get("sessionId") == s], url)
    cdp.send("Target.closeTarget", {"targetId": t["targetId"]})
    return result


def main():
    outdir = sys.argv[1]
    interact = "--interact" in sys.argv[2:]
    pages = [a for a in sys.argv[2:] if a != "--interact"]
    if not shutil.which(CHROMIUM):
        print(f"{CHROMIUM} not found", file=sys.stderr)
        return 2
    udd = tempfile.mkdtemp(prefix="rs-chromium-")
    log = open(os.path.join(outdir, "chromium.log"), "w")
    # its own process group: /usr/bin/chromium is a wrapper script, and the
    # browser under it must end with the test too
    proc = subprocess.Popen([CHROMIUM] + FLAGS + [f"--user-data-dir={udd}", "about:blank"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port_path = os.path.join(udd, "DevToolsActivePort")
        deadline = time.time() + 90
        while not (os.path.exists(port_path) and len(open(port_path).read().split()) >= 2):
            if proc.poll() is not None or time.time() > deadline:
                print("chromium did not start (see chromium.log)", file=sys.stderr)
                return 2
            time.sleep(0.1)
        port, path = open(port_path).read().split()[:2]
        cdp = Cdp(port, path)
        result = {"pages": {}}
        for i, page in enumerate(pages):
            result["pages"][page] = drive(cdp, page, outdir, interact, f"report{i + 1}")
        print(json.dumps(result))
        return 0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(udd, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
