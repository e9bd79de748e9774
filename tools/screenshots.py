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
    ("anon", None, ["/login", "/recognition"]),
    ("ministry", "bo@tocongnghe.vn", ["/reports/monthly", "/audit", "/map", "/map/01", "/", "/provinces/15", "/search?q=Ph%C6%B0%E1%BB%9Dng+B%E1%BA%BFn+Ngh%C3%A9%2C+Qu%E1%BA%ADn+1"]),
    ("lead", "hanoi@tocongnghe.vn", ["/thi-dua", "/thi-dua/commendations", "/thi-dua/targets?province=01", "/imports", "/imports#preview", "/reports/monthly", "/audit",
                                     "/provinces/01", "/people", "/account", "/provinces/01/tasks",
                                     "/provinces/01/tasks/new"]),
    ("commune", "xa@tocongnghe.vn", ["/"]),
    ("volunteer", "0987654321", ["/", "/my/tasks"]),
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
                if path == "/imports#preview":  # upload a file with two bad rows to see the preview
                    sample = OUT / "sample-import.csv"
                    sample.write_text("Họ và tên,Số điện thoại,Xã/phường,Lực lượng\n"
                                      "Nguyễn Văn Mới,0912 888 001,Phường Hoàn Kiếm,Đoàn thanh niên\n"
                                      "Số Sai,12345,Phường Hoàn Kiếm,\nXã Lạ,0912888003,Xã Không Có,\n", encoding="utf-8")
                    page.goto(BASE + "/imports")
                    page.set_input_files("#file", str(sample))
                    page.click("#send")
                    page.wait_for_selector("#counts")
                    page.screenshot(path=str(OUT / f"{tag}-{who}-imports-preview.png"), full_page=True)
                    continue
                page.goto(BASE + path)
                name = f"{tag}-{who}-{path.strip('/').split('?')[0].replace('/', '_') or 'home'}.png"
                page.screenshot(path=str(OUT / name), full_page=True)
                if path == "/my/tasks" and page.locator("ul.tasks a.title").count():
                    page.click("ul.tasks a.title >> nth=0")
                    page.screenshot(path=str(OUT / f"{tag}-{who}-task.png"), full_page=True)
                print(OUT / name, page.evaluate("document.documentElement.scrollWidth"), "px wide")
            ctx.close()
        # The commune lead's flows: add-member form with an error, a person, the edit form.
        ctx = browser.new_context(viewport={"width": width, "height": height})
        page = ctx.new_page()
        page.goto(BASE + "/login")
        page.fill("#identifier", "xa@tocongnghe.vn")
        page.fill("#password", "demo12345")
        page.click("button.primary")
        page.click("#add-member summary")
        page.fill("#new-full_name", "Trần Văn Thử")
        page.fill("#new-phone", "0912 34")
        page.click("#add-member button.primary")
        page.screenshot(path=str(OUT / f"{tag}-commune-add-member-error.png"), full_page=True)
        page.click("#members ul.people li a >> nth=1")
        page.screenshot(path=str(OUT / f"{tag}-commune-person.png"), full_page=True)
        page.click("a.button")
        page.screenshot(path=str(OUT / f"{tag}-commune-person-edit.png"), full_page=True)
        page.go_back()
        page.click("text=Tạo liên kết mời")
        page.screenshot(path=str(OUT / f"{tag}-commune-invited.png"), full_page=True)
        print(tag, "commune flows", page.evaluate("document.documentElement.scrollWidth"), "px wide")
        ctx.close()
    browser.close()
