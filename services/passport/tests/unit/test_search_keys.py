import pytest
from patronage_passport.demo import generate_families
from patronage_passport.search.keys import (
    entry_of,
    group_of,
    leaf_for,
    leaf_of,
    name_tokens,
    search_keys,
)

pytestmark = pytest.mark.unit


def test_leaves_and_groups_sort_like_their_entries() -> None:
    entries = [
        "яковлева анна\x1f1",
        "андреева ольга\x1f2",
        "а-ли\x1f3",
        "ёлкина\x1f4",  # not folded here on purpose: still sorted consistently
        "smith john\x1f5",
        "1 иванов\x1f6",
        "ая\x1f7",
        "а\x1f8",
        "иванов\x1f9",
        "иванов а\x1f10",
        "иванов-петров б\x1f11",
        "иванова анна\x1f12",
        "иванов яков\x1f13",
    ]
    by_entry = sorted(entries)
    by_leaf = sorted(entries, key=lambda e: (group_of(leaf_of(e)), leaf_of(e), e))
    assert by_leaf == by_entry
    leaves = {leaf_of(e) for e in entries}
    assert not any(a != b and b.startswith(a) for a in leaves for b in leaves)


def test_a_common_surname_spreads_over_leaves_by_first_initial() -> None:
    assert leaf_of("иванов александр петрович\x1ff1") == "иванов а"
    assert leaf_of("иванов яков\x1ff2") == "иванов я"
    assert leaf_of("иванов\x1ff3") == "иванов\x1f"


def test_large_and_name_keys_use_fine_leaves_the_others_two_letters() -> None:
    entry = "иванов александр\x1ff1"
    large = ("all:", "category:svo_family", "need:housing", "district:Елецкий район", "hq:Штаб")
    for key in (*large, "name:иванов"):
        assert leaf_for(key, entry) == "иванов а"
    for key in ("curator:c-1", "phone:+79001234567"):
        assert leaf_for(key, entry) == "ив"
    assert leaf_for("curator:x", "я\x1ff2") == "я\x1f"


def test_districts_and_hqs_had_two_letter_leaves_before_format_3() -> None:
    entry = "иванов александр\x1ff1"
    for index_format in (1, 2):
        assert leaf_for("district:Елецкий район", entry, index_format) == "ив"
        assert leaf_for("hq:Штаб", entry, index_format) == "ив"
        assert leaf_for("category:svo_family", entry, index_format) == "иванов а"
    assert leaf_for("district:Елецкий район", entry, 3) == "иванов а"


def test_name_tokens_fold_case_and_yo() -> None:
    assert name_tokens("  Семёнова-Ли  АННА ") == ["семенова", "ли", "анна"]


def test_a_generated_family_is_found_by_each_of_its_facts() -> None:
    family = next(iter(generate_families(1, seed=3)))
    document = {
        "_id": "f1",
        **family.model_dump(mode="json"),
        "needs": [{"category": n.category.value, "status": "open"} for n in family.needs],
    }
    keys = search_keys(document)
    assert f"district:{family.address.district}" in keys
    assert f"phone:{family.contacts.phones[0]}" in keys
    assert all(f"category:{c.value}" in keys for c in family.categories)
    assert all(f"need:{n.category.value}" in keys for n in family.needs)
    surname = name_tokens(family.members[0].full_name)[0]
    assert f"name:{surname}" in keys
    assert entry_of(document).endswith("\x1ff1")
