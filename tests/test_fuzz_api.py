"""Issue 15 part 5: schemathesis runs in-process against our own OpenAPI document, every operation, as a
province lead with a Bearer token, on SQLite and PostgreSQL: no 5xx, every answer matches the document,
every request the document allows is accepted (no 400) and every request it forbids is refused. NUL and
control characters are generated too: the document's patterns say where the app refuses them."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks as st_checks
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.generation import GenerationMode

from coordination.org import accounts
from coordination.tasks import assignment
from coordination.tasks.rules import TaskSpec
from models import db
from tests.factories import HANOI

pytestmark = pytest.mark.clock_at(datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc))
# per operation and mode: 20 operations x 2 modes x 25 takes ~35 s on SQLite, ~60 s on PostgreSQL;
# FUZZ_EXAMPLES=300 for a longer hunt
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "positive_data_acceptance", "negative_data_rejection"]


def test_the_api_answers_every_generated_request_as_documented(app, world):
    _token, raw = accounts.issue_api_token(world.lead_a, "fuzz")
    for title in ("Hỗ trợ VNeID", "Xác minh dữ liệu"):  # small ids the generator tries first name real tasks
        assignment.assign(TaskSpec(kind="other", title=title, target_count=50), assignment.Targeting(HANOI),
                          world.lead_a.id)
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # 422 is documented on every operation: a value of the allowed form that a rule stated in words refuses
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "401", "403", "404", "409", "422", "429"])
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
                failures.append(f"{mode.value} {operation.label}: {str(err)[:3000]}")
    assert not failures, "\n\n".join(failures[:40])


def test_the_documents_text_patterns_are_the_apps_own_rules():
    """The patterns schemathesis reads are the rules text.unsafe_character and text.clean_line apply,
    character by character (lone surrogates aside: UTF-8 JSON cannot carry them)."""
    import re

    from coordination.core.text import clean_line, unsafe_character
    from coordination.web.api.openapi import NO_NUL, SAFE, VISIBLE

    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]  # every control and space is here
    assert [c for c in chars if bool(re.fullmatch(SAFE, c)) != (unsafe_character(c) is None)] == []
    visible = [c for c in chars if unsafe_character(c) is None]
    assert [c for c in visible if bool(re.fullmatch(VISIBLE, c)) != bool(clean_line(c, "f", "F"))] == []
    assert re.fullmatch(NO_NUL, "Bến Nghé") and not re.fullmatch(NO_NUL, "a\x00b")
