"""A student opens the course server's UI in Chromium, signed in, on a lab PC: headless Chromium
driven through its DevTools protocol (the Python standard library only: this runs with the PC's
own python3). The browser's own trust decides the certificate (the student's NSS database);
the sign-in is the Authorization header a browser sends after its login prompt, set with
Network.setExtraHTTPHeaders (a user:password@ URL would not do: Chromium refuses the UI's
fetch() calls under such a URL). Prints one JSON line.

    browser_ui.py URL USER PASSWORD SCREENSHOT
"""

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

url, user, password, screenshot = sys.argv[1:5]
port = 9333


class Socket:
    """A WebSocket client (RFC 6455), enough for DevTools: text frames, masked, no extensions."""

    def __init__(self, ws_url):
        rest = ws_url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, _sep, number = hostport.partition(":")
        self.sock = socket.create_connection((host, int(number)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(4096)
        if b" 101 " not in answer.split(b"\r\n", 1)[0]:
            raise RuntimeError("DevTools refused the WebSocket: %r" % answer[:300])
        self.buffer = answer.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send(self, method, **params):
        self.next_id += 1
        payload = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def receive(self):
        text = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            text += self._read(length)
            if first & 0x80:
                return json.loads(text)


profile = tempfile.mkdtemp(prefix="chromium-")
browser = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
     "--remote-debugging-port=%d" % port, "--user-data-dir=%s" % profile, "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
result = {}
try:
    deadline = time.monotonic() + 60
    while True:
        try:
            pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=5))
            page = next(p for p in pages if p.get("type") == "page")
            break
        except (OSError, StopIteration):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    tab = Socket(page["webSocketDebuggerUrl"])
    tab.send("Network.enable")
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    tab.send("Network.setExtraHTTPHeaders", headers={"Authorization": "Basic " + token})
    tab.send("Page.navigate", url=url)
    # The UI's page, then its requests for the experiments (the home page lists them).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = tab.send("Runtime.evaluate", expression="document.body ? document.body.innerText : ''",
                        returnByValue=True)["result"].get("value", "")
        if user in text or "couldn't load" in text:
            break
        time.sleep(1)
    time.sleep(2)
    evaluate = "JSON.stringify({title: document.title, url: location.href, text: document.body.innerText})"
    seen = json.loads(tab.send("Runtime.evaluate", expression=evaluate, returnByValue=True)["result"]["value"])
    shot = tab.send("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as handle:
        handle.write(base64.b64decode(shot["data"]))
    result = {"title": seen["title"], "url": seen["url"], "text": seen["text"][:3000],
              "screenshot_bytes": os.path.getsize(screenshot)}
except Exception as exc:  # noqa: BLE001 - the error is the observation
    result["error"] = "%s: %s" % (exc.__class__.__name__, exc)
finally:
    browser.kill()
    browser.wait()
print(json.dumps(result))
