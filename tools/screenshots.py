"""Screenshots of the main pages at phone (360 px) and desktop width, for looking at what we built.

    .venv/bin/python tools/screenshots.py http://127.0.0.1:5000 screenshots/
Needs the demo data (`make run` or `flask demo load`)."""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
OUT.mkdir(exist_ok=True)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PAGES = [
    ("anon", None, ["/login"]),
    ("ministry", "bo@tocongnghe.vn", ["/", "/provinces/15", "/search?q=Ph%C6%B0%E1%BB%9Dng+B%E1%BA%BFn+Ngh%C3%A9%2C+Qu%E1%BA%ADn+1"]),
    ("lead", "hanoi@tocongnghe.vn", ["/provinces/01", "/people", "/account"]),
    ("commune", "xa@tocongnghe.vn", ["/"]),
    ("volunteer", "0987654321", ["/"]),
]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for width, height, tag in ((360, 740, "phone"), (1280, 900, "desktop")):
        for who, login, paths in PAGES:
            ctx = browser.new_context(viewport={"width": width, "height": height})
            page = ctx.new_page()
            if login:
                page.goto(BASE + "/login")
                page.fill("#identifier", login)
                page.fill("#password", "demo12345")
                page.click("button.primary")
            for path in paths:
                page.goto(BASE + path)
                name = f"{tag}-{who}-{path.strip('/').split('?')[0].replace('/', '_') or 'home'}.png"
                page.screenshot(path=str(OUT / name), full_page=True)
                print(OUT / name, page.evaluate("document.documentElement.scrollWidth"), "px wide")
            ctx.close()
    browser.close()
