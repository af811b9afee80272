#!/usr/bin/env python3
"""Signs in to the staff console in headless Chromium (over WebDriver, as the tests drive it)
and saves a screenshot of one of its pages.

usage: console-screenshot.py COLLECTOR_URL USER KEY_FILE PATH OUT.png
"""
import base64
import json
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)["value"]


def main(url, user, key_file, path, out):
    port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        options = {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"]}
        session = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]
        s = f"/session/{session}"

        def element(css):
            return next(iter(call(base, "POST", s + "/element", {"using": "css selector", "value": css}).values()))

        call(base, "POST", s + "/url", {"url": url + "/console/login"})
        key = open(key_file).read().strip()
        call(base, "POST", s + f"/element/{element('#user')}/value", {"text": user})
        call(base, "POST", s + f"/element/{element('#key')}/value", {"text": key})
        call(base, "POST", s + f"/element/{element('#sign-in')}/click", {})
        call(base, "POST", s + "/url", {"url": url + path})
        with open(out, "wb") as f:
            f.write(base64.b64decode(call(base, "GET", s + "/screenshot")))
        call(base, "DELETE", s)
    finally:
        driver.kill()


if __name__ == "__main__":
    main(*sys.argv[1:6])
