"""Makes the README's picture of the web page (docs/images/web.jpg): `restyle web` on a free port, the Tübingen
photo painted with The Scream in headless Chromium (Debian's `chromium`, driven by Playwright).

    python tools/web_figure.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "restyle" / "examples"


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "restyle", "web", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(url)
            page.locator("#preset-photo input[type=file]").set_input_files(str(EXAMPLES / "tubingen.jpg"))
            page.locator("#preset-photo img").wait_for()
            page.locator(".thumbnail-item").nth(3).click()
            expect(page.get_by_label("the_scream")).to_be_checked()
            page.click("#preset-paint")
            page.wait_for_selector("#preset-result img", timeout=120_000)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(500)
            out = ROOT / "docs" / "images" / "web.jpg"
            page.screenshot(path=str(out), type="jpeg", quality=85)
            browser.close()
        print("wrote", out)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
