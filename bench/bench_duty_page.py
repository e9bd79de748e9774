"""The check-in app on a cheap phone: bytes on first load, time until the button is usable on an
emulated slow-3G link (Chromium network emulation: 400 ms latency, 400 kbit/s each way), and a
repeat visit served by the service worker. Runs the app on a throwaway SQLite demo database.

    .venv/bin/python bench/bench_duty_page.py"""
from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from dev.demo import load_demo  # noqa: E402

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8, "uploadThroughput": 400 * 1024 / 8}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _server():
    db_path = Path(tempfile.mkdtemp()) / "demo.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        upgrade()
        load_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(base: str, runs: int = 3) -> dict:
    from playwright.sync_api import sync_playwright  # lazy: a test requirement; only this browser run needs it

    first, usable, repeat = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#identifier", "0987654321")
            page.fill("#password", "demo12345")
            page.click("button.primary")
            page.wait_for_url(base + "/**")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            sizes: dict = {}
            cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
            t = time.perf_counter()
            page.goto(base + "/duty/")
            page.wait_for_function("() => !document.getElementById('tap').disabled && "
                                   "document.getElementById('who').textContent !== ''")
            usable.append(time.perf_counter() - t)
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.wait_for_load_state("networkidle")
            first.append(sum(sizes.values()))
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            t = time.perf_counter()
            page.reload()
            page.wait_for_function("() => !document.getElementById('tap').disabled")
            repeat.append(time.perf_counter() - t)
            context.close()
        browser.close()
    return {"first_load_kb": statistics.median(first) / 1024, "usable_s": statistics.median(usable),
            "repeat_s": statistics.median(repeat)}


def main() -> None:
    server, base = _server()
    try:
        r = measure(base)
    finally:
        server.shutdown()
    print(f"  duty page, first load: {r['first_load_kb']:.1f} KB transferred; usable on slow 3G after "
          f"{r['usable_s']:.2f} s; repeat visit (service worker) {r['repeat_s']:.2f} s")


if __name__ == "__main__":
    main()
