"""Issue 15 part 5: schemathesis runs in-process against our own OpenAPI document, every operation, as a
province lead with a Bearer token, on SQLite and PostgreSQL: no 5xx, and every answer matches the document."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks as st_checks
from schemathesis.generation import GenerationMode

from coordination import accounts
from models import db

pytestmark = pytest.mark.clock_at(datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc))
EXAMPLES = 25  # per operation and mode: ~20 operations x 2 modes x 25 stays within a minute or two per database
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance"]


def test_the_api_answers_every_generated_request_as_documented(app, world):
    _token, raw = accounts.issue_api_token(world.lead_a, "fuzz")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(allow_x00=False)  # NUL anywhere is a 400 before any route (tested elsewhere)
    checks = [getattr(st_checks, name) for name in CHECKS]
    headers = {"Authorization": f"Bearer {raw}", "Accept-Encoding": "identity"}  # read JSON, not gzip
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(headers=headers)
                db.session.rollback()
                case.validate_response(response, checks=checks, headers=headers)

            try:
                run()
            except Unsatisfiable:  # nothing to negate (e.g. /healthz takes no input)
                pass
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 - collect every operation's mismatch, report them together
                failures.append(f"{mode.value} {operation.label}: {str(err)[:900]}")
    assert not failures, "\n\n".join(failures[:40])
