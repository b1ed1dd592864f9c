"""What a posting page keeps of each passport: enough to filter and show it (no I/O).

A posting is ``{"entry", "line", "match"}``: the passport's sorted posting entry, its
search-result line (``PassportSummary`` without the family id, which names the posting in
its page) and the name and phone keys the line does not show (other members' names, other
phones). With the line's own name, phone, district, HQ, curator, categories and open needs
these give back every key the passport is indexed under, so a search checks its other
criteria and renders a page from the posting pages alone.

A page stores each posting packed into one JSON string: FerretDB keeps a type schema next
to every nested field, which made pages of nested postings eight times larger.

Nothing the passport store seals (SNILS, health notes, the serviceman's status notes) is
in a posting; after consent withdrawal the name and phone are hidden and unindexed.
"""

import json
from typing import Any

from ..passports.documents import applicant_of
from ..passports.enums import ConsentScope
from .keys import OPEN_NEED_STATUSES, SEPARATOR, entry_of, name_tokens, search_keys

Document = dict[str, Any]

ALL = "all:"
PERSONAL_KEYS = ("name:", "phone:")
"""Keys a result line cannot give back, and which consent withdrawal unindexes."""

HIDDEN_NAME = "скрыто"


def _restricted(document: Document) -> set[str]:
    return set(document.get("restricted_scopes") or [])


def indexed_keys(document: Document) -> list[str]:
    """Keys a stored passport is indexed under (names and phones not after consent withdrawal)."""
    keys = [ALL, *search_keys(document)]
    if ConsentScope.PERSONAL_DATA.value in _restricted(document):
        keys = [k for k in keys if not k.startswith(PERSONAL_KEYS)]
    return keys


def summary_of(document: Document) -> Document:
    """The search-result line of a stored passport (what a reader may still see of it)."""
    restricted = _restricted(document)
    personal = ConsentScope.PERSONAL_DATA.value in restricted
    # ``restrict`` drops the contacts for either withdrawal: the line shows no phone then.
    hide_phone = personal or ConsentScope.CONTACT.value in restricted
    return {
        "family_id": document["_id"],
        "applicant_full_name": HIDDEN_NAME if personal else applicant_of(document)["full_name"],
        "phone": None
        if hide_phone
        else ((document.get("contacts") or {}).get("phones") or [None])[0],
        "district": document["address"]["district"],
        "hq": document["address"]["hq"],
        "curator_id": document.get("curator_id"),
        "categories": list(document["categories"]),
        "open_needs": sorted(
            {n["category"] for n in document["needs"] if n["status"] in OPEN_NEED_STATUSES}
        ),
    }


def posting_of(document: Document) -> Document:
    """What every posting page of the passport keeps of it."""
    line = summary_of(document)
    del line["family_id"]
    shown = _line_keys(line)
    return {
        "entry": entry_of(document),
        "line": line,
        "match": [
            k for k in indexed_keys(document) if k.startswith(PERSONAL_KEYS) and k not in shown
        ],
    }


def result_line(family_id: str, posting: Document) -> Document:
    """The search-result line of a posting."""
    return {"family_id": family_id, **posting["line"]}


def posting_keys(posting: Document) -> set[str]:
    """Every key the posting's passport is indexed under (``indexed_keys``, given back)."""
    return _line_keys(posting["line"]) | set(posting["match"])


def _line_keys(line: Document) -> set[str]:
    """The keys a result line shows by itself.

    A name or phone on the line is one consent still allows, so it is indexed too.
    """
    keys = {ALL, f"district:{line['district']}", f"hq:{line['hq']}"}
    if line["curator_id"]:
        keys.add(f"curator:{line['curator_id']}")
    keys.update(f"category:{c}" for c in line["categories"])
    keys.update(f"need:{n}" for n in line["open_needs"])
    if line["applicant_full_name"] != HIDDEN_NAME:
        keys.update(f"name:{t}" for t in name_tokens(line["applicant_full_name"]))
    if line["phone"]:
        keys.add(f"phone:{line['phone']}")
    return keys


LINE_FIELDS = (
    "applicant_full_name",
    "phone",
    "district",
    "hq",
    "curator_id",
    "categories",
    "open_needs",
)


def pack(posting: Document) -> str:
    """A posting as stored in its pages: one compact JSON string.

    The entry's family id is left out: the page names the posting by it.
    """
    line = [posting["line"][field] for field in LINE_FIELDS]
    sort_name = posting["entry"].rsplit(SEPARATOR, 1)[0]
    return json.dumps(
        [sort_name, line, posting["match"]], ensure_ascii=False, separators=(",", ":")
    )


def unpack(family_id: str, packed: str) -> Document:
    """The posting of ``family_id`` as ``pack`` stored it."""
    sort_name, line, match = json.loads(packed)
    return {
        "entry": f"{sort_name}{SEPARATOR}{family_id}",
        "line": dict(zip(LINE_FIELDS, line, strict=True)),
        "match": match,
    }
