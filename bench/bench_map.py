"""The coverage map on national data (after seed_national.py: 3,321 communes, 500,000 people,
1,000,000 check-ins):
- server time of /map, warm (figures and map cached, ≤ 60 s old) and cold (cache emptied: SQL
  aggregates + folium rendering), in-process through the whole Flask stack;
- the HTML's size, raw and as served compressed (gzip, brotli);
- the aggregates behind it one by one;
- in Debian's Chromium: time from navigation until the 34 provinces and their 34 labels are drawn (the
  3,321 commune points appear from zoom 8 on, not at national zoom).

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_map.py"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_pages import login_id, ministry_user  # noqa: E402
from coordination.reports import coverage  # noqa: E402

RUNS = 15


def _ministry_client(app):
    user_id = ministry_user(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(app, user_id)
        session["_fresh"] = True
    return client


def _median(fn, runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def server_times(app, client) -> dict:
    def cold():
        coverage.clear_cache()
        assert client.get("/map").status_code == 200

    client.get("/map")
    out = {"cold_ms": _median(cold, 7), "warm_ms": _median(lambda: client.get("/map"))}
    body = client.get("/map").get_data()
    out["html_bytes"] = len(body)
    for enc in ("gzip", "br"):
        r = client.get("/map", headers={"Accept-Encoding": enc})
        assert r.headers.get("Content-Encoding") == enc
        out[f"{enc}_bytes"] = len(r.get_data())
    with app.test_request_context():
        for name, fn in [("provinces()", coverage.provinces), ("communes() all 3,321", lambda: coverage.communes(None)),
                         ("dashboard() national", lambda: coverage.dashboard(None)),
                         ("dashboard() one province", lambda: coverage.dashboard("01"))]:
            out[name] = _median(lambda fn=fn: (coverage.clear_cache(), fn()), 5)
    return out


def draw_time(app) -> float:
    """Median ms from navigation start until every province shape and label is in the DOM and painted."""
    from playwright.sync_api import sync_playwright  # lazy: a test requirement; only this browser run needs it

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    client = _ministry_client(app)
    cookie = client.get_cookie("session")
    samples = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "session", "value": cookie.value, "url": base}])
            page = context.new_page()
            page.goto(base + "/map")  # warms the server cache
            for _ in range(5):
                page.goto(base + "/map", wait_until="commit")
                page.wait_for_function("() => document.querySelectorAll('path.tcn-province').length === 34 && "
                                       "document.querySelectorAll('.tcn-label').length === 34", polling="raf")
                samples.append(page.evaluate("new Promise(r => requestAnimationFrame(() => r(performance.now())))"))
            browser.close()
    finally:
        server.shutdown()
    return statistics.median(samples)


def run(app, log=print) -> dict:
    client = _ministry_client(app)
    r = server_times(app, client)
    log(f"  /map server time: warm median {r['warm_ms']:.0f} ms, cold median {r['cold_ms']:.0f} ms")
    log(f"  /map HTML {r['html_bytes'] / 1024:.0f} KB; served gzip {r['gzip_bytes'] / 1024:.0f} KB, "
        f"brotli {r['br_bytes'] / 1024:.0f} KB")
    for key in ("provinces()", "communes() all 3,321", "dashboard() national", "dashboard() one province"):
        log(f"    {key:<28} {r[key]:6.0f} ms")
    r["draw_ms"] = draw_time(app)
    log(f"  Chromium: navigation to all 34 provinces and their labels drawn: median {r['draw_ms']:.0f} ms")
    return r


def main() -> None:
    run(create_app())


if __name__ == "__main__":
    main()
