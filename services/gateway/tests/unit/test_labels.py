"""Every value the UI names has an English name, and it is English."""

import re

import pytest
from patronage_common.identity import Role
from patronage_contracts import Agency, AgencyTaskStatus, NeedCategory, RequestStatus, Urgency
from patronage_gateway.web.i18n import LABELS_EN
from patronage_gateway.web.render import LABELS, Labeler, label

pytestmark = pytest.mark.unit

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def test_every_russian_label_has_an_english_one_without_cyrillic() -> None:
    assert set(LABELS_EN) == set(LABELS)
    for kind, russian in LABELS.items():
        assert set(LABELS_EN[kind]) == set(russian), kind
        for value, english in LABELS_EN[kind].items():
            assert english, (kind, value)
            assert not CYRILLIC.search(english), (kind, value, english)


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("status", [*RequestStatus, *AgencyTaskStatus]),
        ("category", list(NeedCategory)),
        ("agency", list(Agency)),
        ("urgency", list(Urgency)),
        ("role", list(Role)),
    ],
)
def test_every_enum_value_is_named_in_both_languages(kind: str, values: list[object]) -> None:
    for value in values:
        code = getattr(value, "value", value)
        assert CYRILLIC.search(label(kind, code)), (kind, code)
        assert not CYRILLIC.search(Labeler("en")(kind, code)), (kind, code)
        assert code in LABELS_EN[kind], (kind, code)  # named, not shown as its code
