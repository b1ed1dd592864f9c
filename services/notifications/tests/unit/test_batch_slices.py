import pytest
from patronage_notifications.notifications.flows import family_slices
from patronage_notifications.notifications.templates import Templates, template_context

pytestmark = pytest.mark.unit


def family(item: tuple[str, int]) -> str:
    return item[0]


def test_a_batch_is_cut_into_two_slices_of_whole_families_in_order() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("d", 1), ("a", 3), ("b", 2)]

    slices = family_slices(items, family_of=family, count=2)

    assert len(slices) == 2
    assert sorted(i for part in slices for i in part) == sorted(items)  # each item once
    owners = [{f for f, _ in part} for part in slices]
    assert owners[0].isdisjoint(owners[1])  # no family split between slices
    for part in slices:
        for name in {f for f, _ in part}:
            numbers = [n for f, n in part if f == name]
            assert numbers == sorted(numbers)  # a family's events keep their order
    assert sorted(len(part) for part in slices) == [3, 4]  # balanced by events


def test_one_family_or_one_slice_leaves_the_batch_whole() -> None:
    items = [("a", 1), ("a", 2), ("a", 3)]
    assert family_slices(items, family_of=family, count=2) == [items]
    mixed = [("a", 1), ("b", 1), ("a", 2)]
    assert family_slices(mixed, family_of=family, count=1) == [[("a", 1), ("a", 2), ("b", 1)]]
    assert family_slices([], family_of=family, count=2) == []


def test_one_context_per_event_serves_urgent_and_normal_notifications() -> None:
    context = template_context({"request_id": "12345678-aaaa", "category": "health"})
    templates = Templates()

    urgent = templates.render("curator_new_request", context, urgent=True)
    normal = templates.render("curator_new_request", context, urgent=False)

    assert urgent.subject == "Новая заявка № 12345678 (срочно)"
    assert urgent.body.startswith("СРОЧНО. Новая заявка «здоровье»")
    assert normal.subject == "Новая заявка № 12345678"
    assert "urgent" not in context  # the shared context is not changed by a render
