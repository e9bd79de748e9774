"""The OpenAPI 3.1 document for /api/v1, kept beside the routes it describes."""
from __future__ import annotations

from models.tasks import KINDS, PRIORITIES, STATUSES
from models.teams import AFFILIATIONS, ROLES, TEAM_LEVELS

from .converters import MAX_ID
from .helpers import MAX_PAGE


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(name: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)},
                                             "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                             "has_next": {"type": "boolean"}}}


def _ok(schema: dict, status: str = "200", description: str = "OK") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}},
            "400": {"description": "Invalid input", "content": {"application/json": {"schema": _ref("Error")}}},
            "401": {"description": "Not logged in"},
            "404": {"description": "Not found, or outside your scope"}}


PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
          {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]


def openapi_document() -> dict:
    person_props = {
        "full_name": {"type": "string", "maxLength": 120},
        "phone": {"type": "string", "description": "Any Vietnamese format; stored as E.164 (+84…)"},
        "email": {"type": ["string", "null"]},
        "affiliation": {"type": "string", "enum": list(AFFILIATIONS)},
        "organisation": {"type": ["string", "null"], "description": "Required for enterprise, e.g. Viettel"},
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
                "PersonInput": {"type": "object", "required": ["full_name", "phone"], "properties": person_props},
                "Membership": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "team_id": {"type": "integer"}, "person_id": {"type": "integer"},
                    "role": {"type": "string", "enum": list(ROLES)}, "start_date": {"type": "string", "format": "date"},
                    "end_date": {"type": ["string", "null"], "format": "date"}, "person": _ref("Person")}},
                "Task": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
                    "title": {"type": "string"}, "description": {"type": ["string", "null"]},
                    "team_id": {"type": "integer"}, "commune_name": {"type": ["string", "null"]},
                    "province_code": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
                    "blocked_reason": {"type": ["string", "null"]},
                    "priority": {"type": "string", "enum": list(PRIORITIES)},
                    "due_date": {"type": ["string", "null"], "format": "date"},
                    "target_count": {"type": ["integer", "null"]}, "target_unit": {"type": ["string", "null"]},
                    "done_count": {"type": "integer"}, "percent": {"type": ["integer", "null"]},
                    "assignee_person_id": {"type": ["integer", "null"]}, "batch": {"type": ["string", "null"]}}},
                "TaskCreate": {"type": "object", "required": ["kind", "title"], "properties": {
                    "province_code": {"type": "string", "description": "omit for a nationwide campaign (ministry)"},
                    "mode": {"type": "string", "enum": ["all", "selected", "one"]},
                    "commune_codes": {"type": "array", "items": {"type": "string"}},
                    "unit_type": {"type": "string", "enum": ["Phường", "Xã", "Đặc khu"]},
                    "skip_with_open_task": {"type": "boolean"},
                    "dry_run": {"type": "boolean", "description": "only count the teams that would receive it"},
                    "kind": {"type": "string", "enum": list(KINDS)}, "title": {"type": "string", "maxLength": 200},
                    "description": {"type": "string"}, "due_date": {"type": "string", "format": "date"},
                    "priority": {"type": "string", "enum": list(PRIORITIES)},
                    "target_count": {"type": "integer", "minimum": 1}, "target_unit": {"type": "string"}}},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Health and database status", "security": [],
                                 "responses": {"200": {"description": "Healthy"}, "503": {"description": "Database down"}}}},
            "/api/v1/me": {"get": {"summary": "The caller, role and scope", "responses": _ok({"type": "object"})}},
            "/api/v1/admin-units": {"get": {
                "summary": "Provinces or communes; with q, search by current or old name/address",
                "parameters": PAGING + [
                    {"name": "level", "in": "query", "schema": {"type": "string", "enum": ["province", "commune"]}},
                    {"name": "province", "in": "query", "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "e.g. 'Phường Bến Nghé, Quận 1' or 'ben nghe'"}],
                "responses": _ok(_page_of("AdminUnit"))}},
            "/api/v1/admin-units/{code}": {"get": {
                "summary": "One unit", "parameters": [{"name": "code", "in": "path", "required": True,
                                                       "schema": {"type": "string"}}],
                "responses": _ok(_ref("AdminUnit"))}},
            "/api/v1/teams": {
                "get": {"summary": "Teams in your scope with active member counts",
                        "parameters": PAGING + [
                            {"name": "province", "in": "query", "schema": {"type": "string"}},
                            {"name": "level", "in": "query", "schema": {"type": "string", "enum": list(TEAM_LEVELS)}}],
                        "responses": _ok(_page_of("Team"))},
                "post": {"summary": "Create a province (ministry), commune or village team",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["level"], "properties": {
                                 "level": {"type": "string", "enum": ["province", "commune", "village"]},
                                 "province_code": {"type": "string"}, "commune_code": {"type": "string"},
                                 "parent_team_id": {"type": "integer"}, "name": {"type": "string"}}}}}},
                         "responses": _ok(_ref("Team"), "201", "Created")}},
            "/api/v1/teams/{id}": {"get": {
                "summary": "A team with its active members (and completeness for a province team)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": _ok(_ref("Team"))}},
            "/api/v1/teams/{id}/members": {"post": {
                "summary": "Add a member: an existing person_id, or a new person's fields",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "allOf": [_ref("PersonInput")], "properties": {
                        "person_id": {"type": "integer"}, "role": {"type": "string", "enum": list(ROLES)}}}}}},
                "responses": _ok(_ref("Membership"), "201", "Created")}},
            "/api/v1/memberships/{id}/end": {"post": {
                "summary": "End a membership today (history is kept)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": _ok(_ref("Membership"))}},
            "/api/v1/tasks": {
                "get": {"summary": "A province's task board (province=…), or your own tasks (mine=1)",
                        "parameters": PAGING + [
                            {"name": "province", "in": "query", "schema": {"type": "string"}},
                            {"name": "mine", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
                            {"name": "status", "in": "query",
                             "schema": {"type": "string", "enum": list(STATUSES) + ["active"]}},
                            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
                            {"name": "team", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                            {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
                        "responses": _ok(_page_of("Task"))},
                "post": {"summary": "Assign a task to one, several or all matching commune teams, in one transaction",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("TaskCreate")}}},
                         "responses": _ok({"type": "object", "properties": {
                             "teams": {"type": "integer"}, "created": {"type": "integer"},
                             "batch": {"type": "string"}}}, "201", "Created")}},
            "/api/v1/tasks/{id}": {
                "get": {"summary": "A task with its history",
                        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                        "responses": _ok(_ref("Task"))},
                "patch": {"summary": "Change status (blocked needs blocked_reason; cancelled: creator or province), "
                                     "or hand to a member (assignee_person_id)",
                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {
                              "type": "object", "properties": {
                                  "status": {"type": "string", "enum": list(STATUSES)},
                                  "blocked_reason": {"type": "string"}, "note": {"type": "string"},
                                  "assignee_person_id": {"type": ["integer", "null"]}}}}}},
                          "responses": _ok(_ref("Task"))}},
            "/api/v1/tasks/{id}/progress": {"post": {
                "summary": "Report progress: add delta done items (atomic; concurrent reports all count). A "
                           "report queued on a phone sends client_uuid (made by the phone) and occurred_at (the "
                           "phone's time, kept in the history): sent again, it counts once (counted: false).",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["delta"], "properties": {
                        "delta": {"type": "integer", "minimum": 1}, "note": {"type": "string"},
                        "client_uuid": {"type": "string", "format": "uuid"},
                        "occurred_at": {"type": "string", "format": "date-time",
                                        "description": "required with client_uuid; at most 7 days old"}}}}}},
                "responses": _ok({"allOf": [_ref("Task"), {"type": "object", "properties": {
                    "counted": {"type": "boolean", "description": "false: this client_uuid was already counted"}}}]})
                | {"409": {"description": "client_uuid belongs to another report",
                           "content": {"application/json": {"schema": _ref("Error")}}}}}},
            "/api/v1/duty/me": {"get": {
                "summary": "My duty: open session, current and next shifts, open shifts to claim, CSRF token",
                "responses": _ok({"type": "object"})}},
            "/api/v1/checkins": {"post": {
                "summary": "A batch of 1–500 of my check-ins/outs, idempotent on client_uuid; answered per item "
                           "(accepted | duplicate | rejected with error and field). Device time is kept; items "
                           "more than 5 minutes in the future or 7 days old are rejected.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items"], "properties": {"items": {
                        "type": "array", "minItems": 1, "maxItems": 500, "items": {
                            "type": "object", "required": ["client_uuid", "kind", "occurred_at"], "properties": {
                                "client_uuid": {"type": "string", "format": "uuid"},
                                "kind": {"type": "string", "enum": ["in", "out"]},
                                "occurred_at": {"type": "string", "format": "date-time"},
                                "shift_id": {"type": "integer"},
                                "lat": {"type": "number"}, "lon": {"type": "number"},
                                "accuracy_m": {"type": "number"},
                                "confirmed": {"type": "boolean", "default": False, "description":
                                              "the person confirmed this check-out; without it a check-out "
                                              "sooner than CHECKOUT_MIN_SECONDS (60 s) after its check-in is "
                                              "rejected as a double tap (code unconfirmed_check_out, field "
                                              "confirmed)"}}}}}}}}},
                "responses": _ok({"type": "object", "properties": {
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "client_uuid": {"type": ["string", "null"]},
                        "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                        "id": {"type": "integer"}, "far": {"type": "boolean"},
                        "error": {"type": "string"}, "field": {"type": "string"},
                        "code": {"type": "string", "description": "for some rejections: already_checked_in, "
                                 "not_checked_in, unconfirmed_check_out"}}}},
                    "accepted": {"type": "integer"},
                    "duplicate": {"type": "integer"}, "rejected": {"type": "integer"}}})}},
            "/api/v1/duty/now": {"get": {
                "summary": "People on duty now: per province (ministry) or per commune team (province=…)",
                "parameters": [{"name": "province", "in": "query", "schema": {"type": "string"}}],
                "responses": _ok({"type": "object"})}},
            "/api/v1/duty/hours": {"get": {
                "summary": "Hours on duty per person of a team between two local dates",
                "parameters": [{"name": "team", "in": "query", "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                               {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "responses": _ok({"type": "object"})}},
            "/api/v1/teams/{id}/shifts": {"get": {
                "summary": "A team's shifts with who stands them and whether they are understaffed",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                               {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "responses": _ok({"type": "object"})}},
            "/api/v1/people": {"get": {
                "summary": "People in your scope", "parameters": PAGING + [
                    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "name or phone"}],
                "responses": _ok(_page_of("Person"))}},
            "/api/v1/people/{id}": {
                "get": {"summary": "A person with their memberships",
                        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                        "responses": _ok(_ref("Person"))},
                "patch": {"summary": "Edit a person",
                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"type": "object", "properties": person_props}}}},
                          "responses": _ok(_ref("Person"))}},
        },
    }
