import pytest
from patronage_contracts import NeedCategory
from patronage_notifications.bot.categories import lemmas, suggest_category
from patronage_notifications.delivery.flows import backoff_s
from patronage_notifications.notifications.templates import Templates, template_context

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("У нас протекает крыша, нужен ремонт", NeedCategory.HOUSING),
        ("Сыну нужен психолог, он плачет по ночам", NeedCategory.PSYCHOLOGICAL),
        ("Не могу найти работу после увольнения", NeedCategory.EMPLOYMENT),
        ("Не с кем оставить малыша, нужна няня", NeedCategory.CHILDCARE),
        ("Бабушке нужна помощь с покупками", NeedCategory.SOCIAL_DOMESTIC),
        ("Здравствуйте", None),
    ],
)
def test_category_is_suggested_from_lemmas(text: str, category: NeedCategory | None) -> None:
    assert suggest_category(text) == category


def test_inflected_words_are_lemmatized() -> None:
    assert lemmas("крышу протекает") == ["крыша", "протекать"]


def test_family_status_text_is_plain_russian() -> None:
    data = {"request_id": "12345678-aaaa", "status": "accepted", "category": "housing"}
    rendered = Templates().render("family_request_status", template_context(data))
    assert rendered.subject == "Заявка № 12345678: принята ведомством"
    assert rendered.body == (
        "Здравствуйте! Ведомство приняло вашу заявку «жильё» (№ 12345678) в работу."
    )


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n, base_s=2, max_s=10) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_one_context_per_event_serves_urgent_and_normal_notifications() -> None:
    context = template_context({"request_id": "12345678-aaaa", "category": "health"})
    templates = Templates()

    urgent = templates.render("curator_new_request", context, urgent=True)
    normal = templates.render("curator_new_request", context, urgent=False)

    assert urgent.subject == "Новая заявка № 12345678 (срочно)"
    assert urgent.body.startswith("СРОЧНО. Новая заявка «здоровье»")
    assert normal.subject == "Новая заявка № 12345678"
    assert "urgent" not in context  # a render does not change the event's shared context
