"""The dispatcher's call form, checked before the requests service is asked (pure)."""

from patronage_gateway.calls import errors_of_refusal, read_call_form, slot_value

FAMILY = "7f0c4a55-1f52-4c49-9d0b-3c8f7c2a9e11"


def test_a_consultation_needs_a_subject_only() -> None:
    form = read_call_form({"subject": "Вопрос о выплатах", "outcome": "consultation"})
    assert form.errors == {}
    assert form.payload["outcome"] == "consultation"
    assert form.payload["family_id"] is None
    assert "request" not in form.payload
    assert "appointment" not in form.payload


def test_a_request_needs_the_family_a_category_and_a_description() -> None:
    form = read_call_form({"subject": "Крыша", "outcome": "request_created", "description": "х"})
    assert form.errors == {
        "family_id": "Сначала найдите и выберите семью звонящего",
        "category": "Выберите направление заявки",
        "description": "Опишите, что нужно семье (не короче 3 символов)",
    }
    ok = read_call_form(
        {
            "subject": "Течёт крыша",
            "outcome": "request_created",
            "family_id": FAMILY,
            "category": "housing",
            "description": "Течёт крыша над детской",
            "urgency": "urgent",
        }
    )
    assert ok.errors == {}
    assert ok.payload["request"] == {
        "category": "housing",
        "description": "Течёт крыша над детской",
        "urgency": "urgent",
    }


def test_an_appointment_is_a_chosen_free_slot() -> None:
    missing = read_call_form({"subject": "Психолог", "outcome": "appointment_booked"})
    assert set(missing.errors) == {"family_id", "slot"}
    chosen = read_call_form(
        {
            "subject": "Психолог",
            "outcome": "appointment_booked",
            "family_id": FAMILY,
            "slot": slot_value("psychologist-orlova", "2026-11-30T06:00:00Z"),
        }
    )
    assert chosen.errors == {}
    assert chosen.payload["appointment"] == {
        "specialist_id": "psychologist-orlova",
        "starts_at": "2026-11-30T06:00:00Z",
        "note": None,
    }


def test_wrong_subject_outcome_and_category_are_named() -> None:
    form = read_call_form({"subject": " а ", "outcome": "hang_up", "category": "magic"})
    assert form.errors == {
        "subject": "Укажите тему звонка (не короче 3 символов)",
        "outcome": "Выберите, чем закончился звонок",
        "category": "Неизвестное направление помощи",
    }


def test_the_requests_services_refusals_land_on_the_form_fields() -> None:
    detail = [
        {"loc": ["body", "appointment", "starts_at"], "msg": "слот уже занят"},
        {"loc": ["body", "request", "description"], "msg": "слишком коротко"},
        {"loc": ["body", "subject"], "msg": "пусто"},
        {"loc": ["body", "request", "need_id"], "msg": "нет такой потребности"},
    ]
    assert errors_of_refusal(detail) == {
        "slot": "слот уже занят",
        "description": "слишком коротко",
        "subject": "пусто",
        "_form": "нет такой потребности",
    }
    assert errors_of_refusal("семья не найдена") == {"_form": "семья не найдена"}
