"""The README's two screenshots: the national coverage map at desktop width and the duty app at
360 px, logged in as the demo's volunteer. Needs the demo data (`make run`, or `flask demo load`).

    .venv/bin/python tools/readme_screenshots.py http://127.0.0.1:5000 docs/

Then make them small in place (the README's images stay under 200 KB each) with Debian's pngquant
(116 KB → 36 KB for the map):

    pngquant --force --skip-if-larger --strip --quality 70-90 --ext .png docs/screenshot-*.png"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def login(page, identifier: str) -> None:
    page.goto(BASE + "/login")
    page.fill("#identifier", identifier)
    page.fill("#password", "demo12345")
    page.click("button.primary")
    page.wait_for_load_state("networkidle")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    login(page, "bo@tocongnghe.vn")
    page.goto(BASE + "/map")
    page.wait_for_selector("path.leaflet-interactive")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / "screenshot-map.png"))
    ctx.close()

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", is_mobile=True,
                              has_touch=True, device_scale_factor=1)
    page = ctx.new_page()
    login(page, "0987 654 321")
    page.goto(BASE + "/duty/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / "screenshot-duty.png"))
    ctx.close()

    browser.close()
for name in ("screenshot-map.png", "screenshot-duty.png"):
    print(OUT / name, (OUT / name).stat().st_size // 1024, "KB")
