"""The OpenAPI 3.1 document for /api/v1, kept beside the routes it describes."""
from __future__ import annotations

from models.push import MAX_ENDPOINT
from models.tasks import PRIORITIES, STATUSES
from models.teams import AFFILIATIONS, ROLES, TEAM_LEVELS

from coordination.messaging import push_devices
from coordination.tasks import kinds
from coordination.tasks.comments import MAX_BODY
from coordination.tasks.photos import LONG_SIDE, MAX_BYTES, MAX_FULL_DECODE_PIXELS, MAX_PIXELS
from coordination.tasks.rules import MAX_DELTA, MAX_TARGET
from coordination.core.text import BIDI_CONTROLS, INVISIBLE
from coordination.web.converters import MAX_ID
from coordination.web.helpers import MAX_PAGE
from coordination.web.api.json_input import MAX_PER_PAGE


MAX_PHOTO_MB, MAX_PHOTO_MP = MAX_BYTES // (1024 * 1024), MAX_PIXELS // 1_000_000
FULL_DECODE_MP = MAX_FULL_DECODE_PIXELS // 1_000_000


def _chars(chars) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in sorted(chars))


# What the app refuses in text, as patterns a client (and schemathesis) can read. Every query and path
# value: no NUL (a 400 before any route). Every JSON text: no control character but tab and line breaks,
# no direction override (json_input.text, text.unsafe_character). A name or title: also something
# visible once invisible characters and spaces are dropped (text.clean_line).
_BAD = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f" + _chars(BIDI_CONTROLS)
NO_NUL = "^[^\\x00]*$"
SAFE = f"^[^{_BAD}]*$"
VISIBLE = f"^[^{_BAD}]*[^{_BAD}\\s{_chars(INVISIBLE)}][^{_BAD}]*$"


def _query(name: str, schema: dict | None = None, **extra) -> dict:
    return {"name": name, "in": "query", "schema": schema or {"type": "string", "pattern": NO_NUL}, **extra}


def _text(max_len: int, pattern: str = SAFE, **extra) -> dict:
    return {"type": "string", "maxLength": max_len, "pattern": pattern, **extra}


def _id_path() -> list:
    return [{"name": "id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(name: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)},
                                             "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                             "has_next": {"type": "boolean"}}}


def _ok(schema: dict, status: str = "200", description: str = "OK", conflict: str = "") -> dict:
    """The answers of an operation; `conflict` describes its 409 (what stored state can refuse it)."""
    error = {"application/json": {"schema": _ref("Error")}}
    answers = {status: {"description": description, "content": {"application/json": {"schema": schema}}},
               "400": {"description": "Invalid input: not what this document allows", "content": error},
               "422": {"description": "A value of the allowed form refused by a rule stated in words (a phone "
                                      "number that does not exist, a date range over 366 days)", "content": error},
               "401": {"description": "Not logged in"},
               "404": {"description": "Not found, or outside your scope"}}
    if conflict:
        answers["409"] = {"description": conflict, "content": error}
    return answers


PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
          {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
           "description": "out of range is refused (400), never clamped"}]

ROLE = {"type": "string", "enum": list(ROLES), "description": "default member; which roles a team has "
                                                              "depends on its level"}
COMMUNE_CODE = {"type": "string", "pattern": "^[0-9]{5}$"}
UNIT_CODE = {"type": "string", "pattern": "^[0-9]{2,5}$", "description": "2 digits (province) or 5 (commune)"}
DAYS = [_query("from", {"type": "string", "format": "date"}, description="local date, within ten years of today"),
        _query("to", {"type": "string", "format": "date"},
               description="local date, not before from, at most 366 days after it")]


PUSH_ENDPOINT = {"type": "string", "minLength": 1, "maxLength": MAX_ENDPOINT, "pattern": push_devices.ENDPOINT_PATTERN}
PUSH_STATE = {"type": "object", "required": ["enabled", "devices"], "properties": {
    "enabled": {"type": "boolean"}, "public_key": {"type": ["string", "null"]}, "devices": {"type": "integer"},
    "id": {"type": "integer"}, "removed": {"type": "boolean"}}}


def openapi_document() -> dict:
    person_props = {
        "full_name": _text(120, VISIBLE),
        "phone": _text(30, description="Any Vietnamese format; stored as E.164 (+84…)"),
        "email": {"type": ["string", "null"], "format": "email", "maxLength": 254},
        "affiliation": {"type": "string", "enum": list(AFFILIATIONS)},
        "organisation": {"type": ["string", "null"], "maxLength": 120, "pattern": SAFE,
                         "description": "Required for enterprise, e.g. Viettel"},
        "sms_ascii": {"type": "boolean"}, "consent_sms": {"type": "boolean"},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tổ Công nghệ cộng đồng — coordination API", "version": "1.0.0",
                 "description": "Authenticate with the session cookie (send X-CSRFToken on writes) or a personal "
                               "token: `Authorization: Bearer tcn_…` (create one under /account). Objects outside "
                               "your scope answer 404."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                                                           "field": {"type": "string"},
                                                           "errors": {"type": "object"}}},
                "AdminUnit": {"type": "object", "properties": {
                    "code": {"type": "string"}, "level": {"type": "string", "enum": ["province", "commune"]},
                    "name": {"type": "string"}, "short_name": {"type": "string"}, "type": {"type": "string"},
                    "province_code": {"type": ["string", "null"]}, "lat": {"type": "number"},
                    "lon": {"type": "number"}, "area_km2": {"type": ["number", "null"]}}},
                "Team": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "level": {"type": "string", "enum": list(TEAM_LEVELS)},
                    "name": {"type": "string"}, "admin_unit_code": {"type": ["string", "null"]},
                    "province_code": {"type": ["string", "null"]}, "parent_id": {"type": ["integer", "null"]},
                    "active_members": {"type": "integer"}}},
                "Person": {"type": "object", "properties": {"id": {"type": "integer"}, **person_props}},
                "PersonInput": {"type": "object", "required": ["full_name", "phone"], "properties": person_props,
                                "if": {"required": ["affiliation"], "properties": {"affiliation": {"const": "enterprise"}}},
                                "then": {"required": ["organisation"],
                                         "properties": {"organisation": _text(120, VISIBLE)}}},
                "Membership": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "team_id": {"type": "integer"}, "person_id": {"type": "integer"},
                    "role": {"type": "string", "enum": list(ROLES)}, "start_date": {"type": "string", "format": "date"},
                    "end_date": {"type": ["string", "null"], "format": "date"}, "person": _ref("Person")}},
                "Comment": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "task_id": {"type": "integer"},
                    "at": {"type": "string", "format": "date-time"}, "person_id": {"type": ["integer", "null"]},
                    "author": {"type": ["string", "null"]}, "body": {"type": ["string", "null"]},
                    "photo_url": {"type": ["string", "null"], "description": "served only to those who may see the task"},
                    "photo_width": {"type": ["integer", "null"]}, "photo_height": {"type": ["integer", "null"]},
                    "client_uuid": {"type": ["string", "null"]}, "created": {"type": "boolean"}}},
                "Task": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": kinds.codes()},
                    "title": {"type": "string"}, "description": {"type": ["string", "null"]},
                    "team_id": {"type": "integer"}, "commune_name": {"type": ["string", "null"]},
                    "province_code": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
                    "blocked_reason": {"type": ["string", "null"]},
                    "priority": {"type": "string", "enum": list(PRIORITIES)},
                    "due_date": {"type": ["string", "null"], "format": "date"},
                    "target_count": {"type": ["integer", "null"]}, "target_unit": {"type": ["string", "null"]},
                    "done_count": {"type": "integer"}, "percent": {"type": ["integer", "null"]},
                    "assignee_person_id": {"type": ["integer", "null"]}, "batch": {"type": ["string", "null"]}}},
                "ProvinceTeamCreate": {"type": "object", "required": ["level", "province_code"], "properties": {
                    "level": {"const": "province"}, "province_code": UNIT_CODE}},
                "CommuneTeamCreate": {"type": "object", "required": ["level", "commune_code"], "properties": {
                    "level": {"const": "commune"}, "commune_code": UNIT_CODE,
                    "parent_team_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                                       "description": "default: the province's team"}}},
                "VillageTeamCreate": {"type": "object", "required": ["level", "parent_team_id", "name"], "properties": {
                    "level": {"const": "village"}, "name": _text(200, VISIBLE),
                    "parent_team_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                                       "description": "the commune team"}}},
                "CheckinItem": {"type": "object", "required": ["client_uuid", "kind", "occurred_at"], "properties": {
                    "client_uuid": {"type": "string", "format": "uuid"},
                    "kind": {"type": "string", "enum": ["in", "out"]},
                    "occurred_at": {"type": "string", "format": "date-time",
                                    "description": "with a time zone; at most 5 minutes ahead, 7 days back"},
                    "shift_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    "accuracy_m": {"type": "number", "minimum": 0, "maximum": 100000},
                    "confirmed": {"type": "boolean", "default": False, "description":
                                  "the person confirmed this check-out; without it a check-out sooner than "
                                  "CHECKOUT_MIN_SECONDS (60 s) after its check-in is rejected as a double tap "
                                  "(code unconfirmed_check_out, field confirmed)"}},
                    "dependentRequired": {"lat": ["lon"], "lon": ["lat"]}},
                "TaskCreate": {"type": "object", "required": ["kind", "title"], "properties": {
                    "province_code": _text(8, description="omit for a nationwide campaign (ministry only; "
                                                          "anyone else gets 404 naming province_code)"),
                    "mode": {"type": "string", "enum": ["all", "selected", "one"]},
                    "commune_codes": {"type": "array", "maxItems": 5000, "items": COMMUNE_CODE,
                                      "description": "mode one: exactly one; selected: at least one"},
                    "unit_type": {"type": "string", "enum": ["Phường", "Xã", "Đặc khu"]},
                    "skip_with_open_task": {"type": "boolean"},
                    "dry_run": {"type": "boolean", "description": "only count the teams that would receive it"},
                    "kind": {"type": "string", "enum": [k.code for k in kinds.active()],
                             "description": "a kind of work of the catalogue, not retired"}, "title": _text(200, VISIBLE),
                    "description": _text(5000), "due_date": {"type": "string", "format": "date",
                                                            "description": "today or later"},
                    "priority": {"type": "string", "enum": list(PRIORITIES)},
                    "target_count": {"type": "integer", "minimum": 1, "maximum": MAX_TARGET},
                    "target_unit": _text(60, VISIBLE, description="needs target_count")},
                    "dependentRequired": {"target_unit": ["target_count"]},
                    "allOf": [{"if": {"required": ["mode"], "properties": {"mode": {"const": mode}}},
                               "then": {"required": ["commune_codes"],
                                        "properties": {"commune_codes": {"minItems": 1, **most}}}}
                              for mode, most in (("one", {"maxItems": 1}), ("selected", {}))]},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Health and database status", "security": [],
                                 "responses": {"200": {"description": "Healthy"}, "503": {"description": "Database down"}}}},
            "/readyz": {"get": {"summary": "Ready for traffic: database reachable and its schema at the code's migration",
                                "security": [], "responses": {"200": {"description": "Ready"},
                                                              "503": {"description": "Database down or migration pending"}}}},
            "/api/v1/me": {"get": {"summary": "The caller, role and scope", "responses": _ok({"type": "object"})}},
            "/api/v1/admin-units": {"get": {
                "summary": "Provinces or communes; with q, search by current or old name/address",
                "parameters": PAGING + [
                    _query("level", {"type": "string", "enum": ["province", "commune"]},
                           description="default commune; checked with q too, though q searches communes only"),
                    _query("province"),
                    _query("q", description="e.g. 'Phường Bến Nghé, Quận 1' or 'ben nghe'; answers one page")],
                "responses": _ok(_page_of("AdminUnit"))}},
            "/api/v1/admin-units/{code}": {"get": {
                "summary": "One unit", "parameters": [{"name": "code", "in": "path", "required": True,
                                                       "schema": {"type": "string", "pattern": NO_NUL}}],
                "responses": _ok(_ref("AdminUnit"))}},
            "/api/v1/teams": {
                "get": {"summary": "Teams in your scope with active member counts",
                        "parameters": PAGING + [
                            _query("province"),
                            _query("level", {"type": "string", "enum": list(TEAM_LEVELS)})],
                        "responses": _ok(_page_of("Team"))},
                "post": {"summary": "Create a province (ministry), commune or village team",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "oneOf": [_ref("ProvinceTeamCreate"), _ref("CommuneTeamCreate"),
                                       _ref("VillageTeamCreate")]}}}},
                         "responses": _ok(_ref("Team"), "201", "Created", "the unit already has a team")}},
            "/api/v1/teams/{id}": {"get": {
                "summary": "A team with its active members (and completeness for a province team)",
                "parameters": _id_path(),
                "responses": _ok(_ref("Team"))}},
            "/api/v1/teams/{id}/members": {"post": {
                "summary": "Add a member: an existing person_id, or a new person's fields",
                "parameters": _id_path(),
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"anyOf": [
                    {"type": "object", "required": ["person_id"], "properties": {
                        "person_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "role": ROLE}},
                    {"allOf": [_ref("PersonInput")], "properties": {"role": ROLE}}]}}}},
                "responses": _ok(_ref("Membership"), "201", "Created",
                                 "the phone or email is someone else's, or the person already holds the role")}},
            "/api/v1/memberships/{id}/end": {"post": {
                "summary": "End a membership today (history is kept)",
                "parameters": _id_path(),
                "responses": _ok(_ref("Membership"), conflict="the membership has already ended")}},
            "/api/v1/tasks": {
                "get": {"summary": "A province's task board (province=…), or your own tasks (mine=1)",
                        "parameters": PAGING + [
                            _query("province", description="required unless mine=1"),
                            _query("mine", {"type": "string", "enum": ["0", "1"]}),
                            _query("status", {"type": "string", "enum": list(STATUSES) + ["active"]}),
                            _query("kind", {"type": "string", "enum": kinds.codes()}),
                            _query("team", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
                            _query("overdue", {"type": "string", "enum": ["0", "1"]})],
                        "responses": _ok(_page_of("Task"))},
                "post": {"summary": "Assign a task to one, several or all matching commune teams, in one transaction",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("TaskCreate")}}},
                         "responses": dict(_ok({"type": "object", "properties": {
                             "teams": {"type": "integer"}, "created": {"type": "integer"},
                             "batch": {"type": "string"}}}, "201", "Created",
                             "no commune team matches (none formed, or all have this kind open)"),
                             **{"200": {"description": "dry_run: the count only", "content": {
                                 "application/json": {"schema": {"type": "object"}}}}})}},
            "/api/v1/tasks/{id}": {
                "get": {"summary": "A task with its history",
                        "parameters": _id_path(),
                        "responses": _ok(_ref("Task"))},
                "patch": {"summary": "Change status (blocked needs blocked_reason; cancelled: creator or province), "
                                     "or hand to a member (assignee_person_id)",
                          "parameters": _id_path(),
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {
                              "type": "object", "properties": {
                                  "status": {"type": "string", "enum": list(STATUSES)},
                                  "blocked_reason": _text(500, VISIBLE), "note": _text(1000),
                                  "assignee_person_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}},
                              "if": {"required": ["status"], "properties": {"status": {"const": "blocked"}}},
                              "then": {"required": ["blocked_reason"]}}}}},
                          "responses": _ok(_ref("Task"), conflict="the task's status does not allow this move "
                                                                  "(e.g. open to done), or it changed meanwhile")}},
            "/api/v1/tasks/{id}/progress": {"post": {
                "summary": "Report progress: add delta done items (atomic; concurrent reports all count). A "
                           "report queued on a phone sends client_uuid (made by the phone) and occurred_at (the "
                           "phone's time, kept in the history): sent again, it counts once (counted: false). "
                           "A delta above 10× what remains to the target (at least 50) is refused with 422 "
                           "(field confirm) unless confirm is true; it is then stored flagged for a lead. A "
                           "queued report (client_uuid) is never asked: it is stored flagged.",
                "parameters": _id_path(),
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["delta"], "properties": {
                        "delta": {"type": "integer", "minimum": 1, "maximum": MAX_DELTA}, "note": _text(1000),
                        "confirm": {"type": "boolean", "description": "yes, this large number is right"},
                        "client_uuid": {"type": "string", "format": "uuid"},
                        "occurred_at": {"type": "string", "format": "date-time",
                                        "description": "required with client_uuid; at most 7 days old"}},
                    "dependentRequired": {"client_uuid": ["occurred_at"]}}}}},
                "responses": _ok({"allOf": [_ref("Task"), {"type": "object", "properties": {
                    "counted": {"type": "boolean", "description": "false: this client_uuid was already counted"}}}]},
                    conflict="the task is not open or ongoing, or changed meanwhile; or client_uuid belongs to "
                             "another report")}},
            "/api/v1/tasks/{id}/corrections": {"post": {
                "summary": "A lead of the task's team (or above) corrects the done count: amount is added "
                           "(negative takes a wrong report back), reason is required; kept in the history and "
                           "the audit trail, clears the task's flagged reports. A volunteer gets 404.",
                "parameters": _id_path(),
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["amount", "reason"], "properties": {
                        "amount": {"type": "integer", "minimum": -MAX_TARGET, "maximum": MAX_TARGET,
                                   "not": {"const": 0}}, "reason": _text(1000, VISIBLE)}}}}},
                "responses": _ok(_ref("Task"), status="201", description="Corrected",
                                 conflict="the count would go below 0")}},
            "/api/v1/tasks/{id}/comments": {
                "get": {"summary": "A task's conversation, oldest first (the team's members and leads, and those "
                                   "above; anyone else gets 404)",
                        "parameters": _id_path() + PAGING,
                        "responses": _ok(_page_of("Comment"))},
                "post": {"summary": "Write in a task's conversation. JSON as below, or the same fields as "
                                    "multipart/form-data with a file \"photo\" (JPEG, PNG or WebP by content, at most "
                                    f"{MAX_PHOTO_MB} MB and {MAX_PHOTO_MP} megapixels, {FULL_DECODE_MP} for PNG, WebP and "
                                    f"progressive JPEG; kept resized to {LONG_SIDE} px, "
                                    "without EXIF/GPS; body may then be empty). A message queued on a phone sends "
                                    "client_uuid and occurred_at: sent again, it is answered 200 (created: false), "
                                    "not stored twice.",
                         "parameters": _id_path(),
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["body"], "properties": {
                                 "body": _text(MAX_BODY, VISIBLE),
                                 "client_uuid": {"type": "string", "format": "uuid"},
                                 "occurred_at": {"type": "string", "format": "date-time",
                                                 "description": "required with client_uuid; at most 7 days old"}},
                             "dependentRequired": {"client_uuid": ["occurred_at"]}}}}},
                         "responses": _ok(_ref("Comment"), status="201", description="Written",
                                          conflict="client_uuid belongs to a message of another task")
                         | {"200": {"description": "A resend of a stored message (created: false)",
                                    "content": {"application/json": {"schema": _ref("Comment")}}}}}},
            "/api/v1/duty/me": {"get": {
                "summary": "My duty: open session, current and next shifts (my role, who else is on each and the team's "
                           "leads, with phones), open shifts to claim, CSRF token",
                "responses": _ok({"type": "object"})}},
            "/api/v1/push": {"get": {
                "summary": "Web Push on this server: whether it is on, the VAPID public key (applicationServerKey) to "
                           "subscribe with, and how many of my devices are subscribed",
                "responses": _ok(PUSH_STATE)}},
            "/api/v1/push/subscriptions": {
                "post": {
                    "summary": "Keep this device's push subscription (PushSubscription.toJSON()); the same endpoint "
                               "again updates it. An endpoint that is not a known push service is refused (422).",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["endpoint", "keys"], "properties": {
                            "endpoint": PUSH_ENDPOINT, "expirationTime": {"type": ["integer", "null"]},
                            "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
                                "p256dh": {"type": "string", "pattern": push_devices.P256DH_PATTERN},
                                "auth": {"type": "string", "pattern": push_devices.AUTH_PATTERN}}}}}}}},
                    "responses": _ok(PUSH_STATE, status="201", description="Kept")},
                "delete": {
                    "summary": "Forget my device with this endpoint (removed: false if there was none)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["endpoint"], "properties": {"endpoint": PUSH_ENDPOINT}}}}},
                    "responses": _ok(PUSH_STATE)}},
            "/api/v1/push/renewals": {"post": {
                "summary": "The browser rotated a device's push subscription (pushsubscriptionchange): the new one "
                           "replaces the old one for the same person. No session: the old subscription's endpoint "
                           "and auth secret are the credential (404 if they are not a known subscription).",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["old", "subscription"], "properties": {
                        "old": {"type": "object", "required": ["endpoint", "auth"], "properties": {
                            "endpoint": PUSH_ENDPOINT,
                            "auth": {"type": "string", "pattern": push_devices.AUTH_PATTERN}}},
                        "subscription": {"type": "object", "required": ["endpoint", "keys"], "properties": {
                            "endpoint": PUSH_ENDPOINT, "expirationTime": {"type": ["integer", "null"]},
                            "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
                                "p256dh": {"type": "string", "pattern": push_devices.P256DH_PATTERN},
                                "auth": {"type": "string", "pattern": push_devices.AUTH_PATTERN}}}}}}}}}},
                "responses": _ok({"type": "object", "required": ["renewed", "id"], "properties": {
                    "renewed": {"type": "boolean"}, "id": {"type": "integer"}}})}},
            "/api/v1/checkins": {"post": {
                "summary": "A batch of 1–500 of my check-ins/outs, idempotent on client_uuid; answered per item "
                           "(accepted | duplicate | rejected with error and field). Device time is kept; items "
                           "more than 5 minutes in the future or 7 days old are rejected.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items"], "properties": {"items": {
                        "type": "array", "minItems": 1, "maxItems": 500, "items": {"anyOf": [
                            _ref("CheckinItem"),
                            {"description": "anything else is rejected in its own result, never the batch"}]}}}}}}},
                "responses": _ok({"type": "object", "required": ["results"], "properties": {
                    "results": {"type": "array", "items": {"type": "object", "required": ["status"], "properties": {
                        "client_uuid": {"type": ["string", "null"]},
                        "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                        "id": {"type": "integer"}, "far": {"type": "boolean"},
                        "error": {"type": "string"}, "field": {"type": "string"},
                        "code": {"type": "string", "description": "for some rejections: already_checked_in, "
                                 "not_checked_in, unconfirmed_check_out, overlaps_session"}}}},
                    "accepted": {"type": "integer"}, "duplicate": {"type": "integer"},
                    "rejected": {"type": "integer"}}})}},
            "/api/v1/shifts/{id}/claim": {"post": {
                "summary": "Take a place on a shift of a team I belong to: one a teammate gave back, else an open one "
                           "(primary, then backup, then on duty)",
                "parameters": _id_path(), "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"confirmed": {"type": "boolean", "description":
                        "true after the rest warnings (less than 8 h rest, more than 12 h in a row)"}}}}}},
                "responses": _ok({"type": "object", "required": ["shift", "role"], "properties": {
                    "shift": {"type": "object"}, "role": {"type": "string", "enum": ["primary", "backup", "member"]}}},
                    status="201", description="Taken",
                    conflict="the shift is full, I am on another shift at that time, or rest warnings to "
                             "confirm (needs_confirmation)")}},
            "/api/v1/shifts/{id}/give-back": {"post": {
                "summary": "Give back my place on a shift, up to SHIFT_GIVE_BACK_CUTOFF_HOURS before it starts: open "
                           "to my team until the deadline, then released (a gap, the lead alerted)",
                "parameters": _id_path(),
                "responses": _ok({"type": "object", "required": ["change"], "properties": {"change": {"type": "object"}}},
                                 status="201", description="Given back", conflict="already given back or asked")}},
            "/api/v1/shifts/{id}/swap": {"post": {
                "summary": "Ask one teammate (person_id) to take my place on a shift; they answer on /duty/",
                "parameters": _id_path(),
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["person_id"], "properties": {
                        "person_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}}}}},
                "responses": _ok({"type": "object", "required": ["change"], "properties": {"change": {"type": "object"}}},
                                 status="201", description="Asked",
                                 conflict="already asked, the teammate is on this or another shift then")}},
            "/api/v1/shift-changes/{id}/accept": {"post": {
                "summary": "Take the place a teammate asked me to take (one tap on /duty/)",
                "parameters": _id_path(), "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"confirmed": {"type": "boolean", "description":
                        "true after the rest warnings (less than 8 h rest, more than 12 h in a row)"}}}}}},
                "responses": _ok({"type": "object"}, conflict="decided already, too late, on another shift then, or "
                                                                "rest warnings to confirm (needs_confirmation)")}},
            "/api/v1/shift-changes/{id}/decline": {"post": {
                "summary": "Say no to a teammate's request", "parameters": _id_path(),
                "responses": _ok({"type": "object"}, conflict="decided already")}},
            "/api/v1/shift-changes/{id}/cancel": {"post": {
                "summary": "Withdraw my give-back or my request (I keep the place)", "parameters": _id_path(),
                "responses": _ok({"type": "object"}, conflict="decided already")}},
            "/api/v1/duty/now": {"get": {
                "summary": "People on duty now: per province (ministry) or per commune team (province=…)",
                "parameters": [_query("province")],
                "responses": _ok({"type": "object"})}},
            "/api/v1/duty/hours": {"get": {
                "summary": "Hours on duty per person of a team between two local dates",
                "parameters": [_query("team", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, required=True),
                               *DAYS],
                "responses": _ok({"type": "object"})}},
            "/api/v1/teams/{id}/shifts": {"get": {
                "summary": "A team's shifts with who stands them and whether they are understaffed",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                               *DAYS],
                "responses": _ok({"type": "object"})}},
            "/api/v1/people": {"get": {
                "summary": "People in your scope", "parameters": PAGING + [
                    _query("q", description="name or phone")],
                "responses": _ok(_page_of("Person"))}},
            "/api/v1/people/{id}": {
                "get": {"summary": "A person with their memberships",
                        "parameters": _id_path(),
                        "responses": _ok(_ref("Person"))},
                "patch": {"summary": "Edit a person",
                          "parameters": _id_path(),
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"type": "object", "properties": person_props}}}},
                          "responses": _ok(_ref("Person"), conflict="the phone or email is someone else's")}},
        },
    }
