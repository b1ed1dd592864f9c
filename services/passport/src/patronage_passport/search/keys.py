"""What a passport is found by: its search keys and its sorted posting entry (no I/O)."""

import re
from typing import Any

from ..passports.documents import applicant_of, normalize_name

SEPARATOR = "\x1f"
OPEN_NEED_STATUSES = {"open", "in_progress"}
_TOKEN = re.compile(r"[a-zа-я0-9]+")


def name_tokens(text: str) -> list[str]:
    """Normalized words of a name or a query."""
    return _TOKEN.findall(normalize_name(text))


def sort_name(document: dict[str, Any]) -> str:
    """The applicant's normalized name: what results are sorted by."""
    return normalize_name(applicant_of(document)["full_name"])[:80]


def entry_of(document: dict[str, Any]) -> str:
    """Posting entry of a passport: sorts by name, ends with the family id."""
    return f"{sort_name(document)}{SEPARATOR}{document['_id']}"


def leaf_of(entry: str) -> str:
    """Leaf of a posting entry: its surname and the first letter of the next word.

    Leaves hold few entries even for a common surname, and no leaf is a prefix of
    another, so leaves sort exactly as their entries do. A one-word name ends its leaf
    at the separator.
    """
    name = entry.split(SEPARATOR, 1)[0]
    space = name.find(" ")
    if 0 <= space < len(name) - 1:
        return entry[: space + 2]
    return name + SEPARATOR


FINE_KEYS = ("all:", "category:", "need:", "name:", "district:", "hq:")
"""Keys that hold many entries, or entries sharing a surname: split into fine leaves.

A district and its HQ hold a share of the whole region (the regional capital about half):
in two-letter leaves a page of the capital held 1,800 postings (750 KB) at 100k passports,
read by every search of the district and rewritten by every change of a family there.
"""

FINE_KEYS_BEFORE_FORMAT_3 = ("all:", "category:", "need:", "name:")
"""Fine keys of index formats 1 and 2 (districts and HQs had two-letter leaves)."""


def is_fine(key: str, index_format: int | None = None) -> bool:
    """Whether a key's entries go into surname-and-initial leaves (else two-letter ones).

    ``index_format`` names an earlier format whose pages are asked for (default: the current).
    """
    fine = FINE_KEYS if index_format is None or index_format >= 3 else FINE_KEYS_BEFORE_FORMAT_3
    return key.startswith(fine)


def leaf_for(key: str, entry: str, index_format: int | None = None) -> str:
    """The leaf of ``key`` that holds ``entry`` (in ``index_format``, default the current).

    Keys of many entries (everyone, a category, a need, a district, an HQ) and name keys
    (whose entries share the surname searched for) use surname-and-initial leaves; the
    others (a curator, a phone) hold a few hundred entries at most, spread over the
    alphabet, and use the first two characters, so a page needs few leaves. Within a key
    every leaf has the same form, so its leaves never prefix one another and sort as their
    entries do.
    """
    return leaf_of(entry) if is_fine(key, index_format) else entry[:2]


def group_of(leaf: str) -> str:
    """Group of a leaf: its first two characters (groups sort as their leaves do)."""
    return leaf[:2]


def family_of(entry: str) -> str:
    """Family id in a posting entry."""
    return entry.rsplit(SEPARATOR, 1)[1]


def search_keys(document: dict[str, Any]) -> list[str]:
    """Every key the passport can be found by (decrypted document)."""
    keys: set[str] = set()
    names = [m["full_name"] for m in document["members"]]
    if document.get("serviceman"):
        names.append(document["serviceman"]["full_name"])
    keys.update(f"name:{token}" for name in names for token in name_tokens(name))
    keys.update(f"phone:{p}" for p in (document.get("contacts") or {}).get("phones") or [])
    keys.add(f"district:{document['address']['district']}")
    keys.add(f"hq:{document['address']['hq']}")
    if document.get("curator_id"):
        keys.add(f"curator:{document['curator_id']}")
    keys.update(f"category:{c}" for c in document["categories"])
    keys.update(
        f"need:{n['category']}" for n in document["needs"] if n["status"] in OPEN_NEED_STATUSES
    )
    return sorted(keys)
