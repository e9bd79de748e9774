"""People rules: phone normalisation, duplicates named, nothing half-written."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordination.core.errors import Conflict, ValidationError
from coordination.org.people import PersonInput, create_person, normalise_phone, update_person
from models import Person, db
from tests.factories import make_person


@pytest.mark.parametrize("raw", ["0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678", "(091) 2345678"])
def test_vietnamese_phone_formats_normalise_to_e164(raw):
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "12", "0912 345", "not a phone", "0" * 40, "+84 00 000 0000"])
def test_invalid_phones_are_refused_on_the_phone_field(raw):
    with pytest.raises(ValidationError) as err:
        normalise_phone(raw)
    assert err.value.field == "phone"


def test_duplicate_phone_is_refused_without_naming_who_has_it_and_writes_nothing(ctx):
    make_person(full_name="Nguyễn Văn A", phone="0912 345 678")
    db.session.commit()
    with pytest.raises(Conflict) as err:
        create_person(PersonInput(full_name="Trần Thị B", phone="+84912345678"))
    # issue 15: the owner may be anywhere in the country: never named
    assert "+84912345678" in str(err.value) and "Nguyễn Văn A" not in str(err.value) and err.value.field == "phone"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1


def test_enterprise_needs_an_organisation(ctx):
    with pytest.raises(ValidationError) as err:
        create_person(PersonInput(full_name="Lê C", phone="0987000111", affiliation="enterprise"))
    assert err.value.field == "organisation"
    person = create_person(PersonInput(full_name="Lê C", phone="0987000111", affiliation="enterprise",
                                       organisation="  Viettel "))
    assert person.organisation == "Viettel"


@pytest.mark.parametrize("field, value", [("full_name", "   "), ("full_name", "x" * 121),
                                          ("email", "not-an-email"), ("affiliation", "pirates")])
def test_bad_fields_are_named(ctx, field, value):
    data = dict(full_name="Phạm D", phone="0987000222")
    data[field] = value
    with pytest.raises(ValidationError) as err:
        create_person(PersonInput(**data))
    assert err.value.field == field


def test_edit_refuses_a_phone_taken_by_someone_else(ctx):
    a = make_person(full_name="Người A")
    b = make_person(full_name="Người B")
    with pytest.raises(Conflict) as err:
        update_person(b, PersonInput(full_name="Người B", phone=a.phone))
    assert a.phone in str(err.value) and "Người A" not in str(err.value)
    # Keeping one's own number is fine.
    update_person(a, PersonInput(full_name="Người A đổi tên", phone=a.phone))
    assert a.full_name == "Người A đổi tên"
