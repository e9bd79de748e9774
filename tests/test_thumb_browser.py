"""Every page works with a thumb (issue 19 §4): Chromium at 360 px visits every HTML page of the app
(each GET route of `app.url_map`, with real ids from the demo data) as each role — and signed out —
and fails on a sideways scroll of the page, a visible tap target under 44×44 px, or visible text under
14 px. ALLOWED names, with a reason each, where a small size is right."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from coordination import clock
from coordination.duty import alerts
from coordination.messaging.links import ack_token
from coordination.org import accounts
from dev.demo import DEMO_PASSWORD, load_demo
from coordination.core.permissions import scope_for_person
from coordination.onboarding import member_import
from models import (Broadcast, Campaign, Commendation, Membership, Message, Movement, Person, Practice, ShiftAssignment, Task, Team, User,
                    db)
from tests.factories import browser_login
from tests.test_member_import import ROWS, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.clock_at(datetime(2026, 12, 3, 3, 20, tzinfo=timezone.utc))]

MIN_TARGET, MIN_TEXT = 44, 14

# (pages: a path prefix, CSS selector an element lies within, what may be small there: target, text, scroll, and why
# that is right). Each entry must still be needed by some page. A link inside a sentence would be WCAG 2.5.8's inline
# exception, but no page needs it: a paragraph's only link is 44 px tall too (static/css/app.css).
ALLOWED = [
    ("/map", ".leaflet-container", "target text scroll", "the map widget's own controls, attribution and the "
                                                         "11 px province labels drawn on it (Leaflet's)"),
    ("/tasks/campaigns/", ".leaflet-container", "target text scroll", "the same map widget on a campaign's page"),
    ("/thi-dua/practices/", ".leaflet-container", "target text scroll", "the same map widget on a good practice's page"),
]

# Routes that answer something other than a page.
NOT_PAGES = {"static", "duty.service_worker", "duty.manifest", "comments.photo", "imports.problems_csv",
             "imports.template", "maps.national_download", "maps.province_download", "tasks.export",
             "campaigns.export", "reports.monthly_xlsx",
             "calendar.feed", "calendar.shift_file",  # iCalendar files for calendar apps
             "calendar.add",  # creates the feed and redirects to webcal://, the phone's calendar app
             "ops.metrics", "api.readyz",  # Prometheus text, JSON
             "practices.photo",  # a good practice's JPEG
             "honour.card_png"}  # the PNG card of a commendation
SIGNED_OUT = {"auth.login", "sms.acknowledge", "broadcasts.confirm", "auth.invitation"}

# Runs in the page: every problem as {kind, what, text, size}, and the allowed selectors it used.
PROBE = """({allowed, MIN_TARGET, MIN_TEXT}) => {
  const out = [];
  const text = (el) => (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ").slice(0, 30);
  const used = new Set();  // the allow-list's entries this page needed
  const skip = (el, kind) => allowed.some(([sel, kinds]) => kinds.includes(kind) && el.closest(sel) && used.add(sel));
  const name = (el) => {
    let s = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
            [...el.classList].map((c) => "." + c).join("");
    const p = el.parentElement;
    if (p) s = p.tagName.toLowerCase() + [...p.classList].map((c) => "." + c).join("") + " > " + s;
    return s;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return null;  // visually hidden (a stacked table's headings)
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || Number(cs.opacity) === 0) return null;
    return r;
  };
  const doc = document.scrollingElement;
  if (doc.scrollWidth > innerWidth) {
    const wide = [...document.body.querySelectorAll("*")].filter((el) => {
      const r = el.getBoundingClientRect(); return r.right > innerWidth + 1 && r.width > 0;
    }).slice(0, 3).map(name);
    out.push({kind: "scroll", what: wide.join(" | "), text: "", size: `${doc.scrollWidth} px wide`});
  }
  for (const box of document.body.querySelectorAll("*")) {  // a table scrolled sideways inside a narrow box
    const ox = getComputedStyle(box).overflowX;
    if ((ox === "auto" || ox === "scroll") && box.scrollWidth > box.clientWidth + 1 && shown(box) && !skip(box, "scroll"))
      out.push({kind: "scroll", what: name(box), text: "", size: `${box.scrollWidth} px in ${box.clientWidth} px`});
  }
  const targets = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, label");
  for (const el of targets) {
    let target = el;
    if (el.tagName === "LABEL") {
      const control = el.control;
      if (!control || !["checkbox", "radio"].includes(control.type)) continue;  // a field's caption, not a target
    }
    if (el.tagName === "INPUT" && ["checkbox", "radio"].includes(el.type) && el.labels.length) continue;  // its label is
    const r = shown(target);
    if (!r || skip(el, "target")) continue;
    if (r.width < MIN_TARGET || r.height < MIN_TARGET) out.push({kind: "target", what: name(el), text: text(el), size: `${Math.round(r.width)}×${Math.round(r.height)}`});
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || el.closest("script, style, option, noscript")) continue;
    seen.add(el);
    const range = document.createRange(); range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || !shown(el) || skip(el, "text")) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest("svg");
    if (svg && svg.getScreenCTM()) size *= svg.getScreenCTM().a;  // an SVG's text is scaled with its drawing
    if (size < MIN_TEXT - 0.05) out.push({kind: "text", what: name(el), text: text(el), size: `${Math.round(size * 10) / 10} px`});
  }
  return {out, used: [...used]};
}"""


def _ids(app) -> dict:
    """Real values for every route argument, from the demo data."""
    q = lambda stmt: db.session.scalar(stmt)  # noqa: E731
    team = q(sa.select(Team).join(Membership, Membership.team_id == Team.id).join(Person).where(
        Person.email == "xa@tocongnghe.vn", Team.level == "commune"))
    volunteer = q(sa.select(Person).where(Person.phone == "+84987654321"))
    escalation = q(sa.select(Message.id).where(Message.purpose == "escalation").order_by(Message.id)) or \
        q(sa.select(sa.func.min(Message.id)))
    confirm = q(sa.select(Message.id).where(Message.broadcast_id.is_not(None), Message.person_id == volunteer.id))
    newcomer = Person(full_name="Người Mới Đến", phone="+84912000111")
    db.session.add(newcomer)
    db.session.flush()
    _invitation, invite = accounts.create_invitation(newcomer, None)
    lead = q(sa.select(User).join(Person).where(Person.email == "hanoi@tocongnghe.vn"))
    batch = member_import.preview(lead.id, "members.csv", csv_bytes(ROWS + ["Bad,1,Phường Hoàn Kiếm,,,,"]),
                                  scope_for_person(lead.person_id)).id
    ids = {
        "code": "01", "team_id": team.id, "person_id": volunteer.id,
        "task_id": q(sa.select(Task.id).where(Task.team_id == team.id).order_by(Task.id)),
        "campaign_id": q(sa.select(sa.func.min(Campaign.id))),
        "broadcast_id": q(sa.select(sa.func.min(Broadcast.id))),
        "commendation_id": q(sa.select(sa.func.min(Commendation.id))),
        "movement_id": q(sa.select(sa.func.min(Movement.id))),  # the national campaign; team_id takes part
        "assignment_id": q(sa.select(ShiftAssignment.id).join(ShiftAssignment.shift).where(
            ShiftAssignment.person_id == volunteer.id).order_by(ShiftAssignment.id)),
        "batch_id": batch,
        "practice_id": q(sa.select(sa.func.min(Practice.id)).where(Practice.reach == "national")),  # seen by all
        "token": {"sms.acknowledge": ack_token(escalation), "broadcasts.confirm": ack_token(confirm),
                  "auth.invitation": invite},
    }
    db.session.commit()
    return ids


def _pages(app, ids) -> dict[str, str]:
    """endpoint -> path of every GET route that renders HTML."""
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/") or \
                rule.endpoint == "api.healthz":
            continue
        values = {}
        for arg in rule.arguments:
            assert arg in ids, f"a new route argument: give {rule.endpoint}'s <{arg}> a real value in _ids"
            value = ids[arg]
            values[arg] = value[rule.endpoint] if isinstance(value, dict) else value
        assert all(v is not None for v in values.values()), (rule.endpoint, values)
        path = rule.build(values, append_unknown=False)[1]
        pages[rule.endpoint] = path
    return pages


def _probe(page, path: str, used: set) -> list[dict]:
    allowed = [[sel, kinds.split()] for pages, sel, kinds, _why in ALLOWED if path.startswith(pages)]
    found = page.evaluate(PROBE, {"allowed": allowed, "MIN_TARGET": MIN_TARGET, "MIN_TEXT": MIN_TEXT})
    used.update((pages, sel) for pages, sel, _kinds, _why in ALLOWED if path.startswith(pages) and sel in found["used"])
    return found["out"]


def _phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_every_page_works_with_a_thumb_for_every_role(ctx, live_server, browser):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("layout: the markup does not depend on the database (the same pages' queries run on both "
                    "in the web tests); one run is enough")
    load_demo()
    clock.set_now(datetime(2026, 12, 3, 3, 32, tzinfo=timezone.utc))
    alerts.tick()  # the demo's late primary: escalations with their one-tap links
    db.session.commit()
    pages = _pages(ctx, _ids(ctx))
    logins = {"ministry": "bo@tocongnghe.vn", "province lead": "hanoi@tocongnghe.vn",
              "commune lead": "xa@tocongnghe.vn", "volunteer": "0987654321"}
    problems: dict[str, list] = {}
    shown: dict[str, int] = {}  # pages answered 200, per role
    used: set = set()  # the allow-list's entries some page needed

    def note(role: str, where: str, found: list[dict]) -> None:
        for p in found:
            problems.setdefault(f"{p['kind']} {p['what']}", []).append((f"{p['size']} \"{p['text']}\" ({role})", where))

    def walk(page, role: str, endpoints) -> None:
        for endpoint in endpoints:
            path = pages[endpoint]
            response = page.goto(live_server + path)
            assert "text/html" in response.headers.get("content-type", ""), path
            shown[role] = shown.get(role, 0) + (response.status == 200)
            if endpoint == "duty.app_shell":  # the duty app draws itself from /api/v1/duty/me
                page.wait_for_function("() => document.getElementById('state').textContent !== '…'")
            note(role, path, _probe(page, path, used))

    context, page = _phone(browser)
    walk(page, "signed out", sorted(SIGNED_OUT))
    context.close()
    for role, login in logins.items():
        context, page = _phone(browser)
        browser_login(page, live_server, login, DEMO_PASSWORD)
        page.wait_for_load_state()
        walk(page, role, sorted(set(pages) - {"auth.login", "auth.invitation"}))
        page.goto(live_server + "/")  # and the header's full menu, open
        page.click(".menu-button")
        note(role, "/ (menu open)", _probe(page, "/", used))
        context.close()
    # every role really saw its pages (not the login page over and over)
    assert shown["signed out"] == 4 and shown["ministry"] >= 35 and shown["province lead"] >= 30, shown
    assert shown["commune lead"] >= 20 and shown["volunteer"] >= 10, shown
    report = "\n".join(f"{what}: {len(seen)}×, e.g. {seen[0][0]} on {', '.join(sorted({w for _e, w in seen}))}"
                       for what, seen in sorted(problems.items()))
    assert not problems, f"{len(problems)} problems on {sum(shown.values())} pages at 360 px:\n{report}"
    stale = [(pages, sel) for pages, sel, _kinds, _why in ALLOWED if (pages, sel) not in used]
    assert not stale, f"allow-list entries no page needs any more (remove them): {stale}"
