"""Keep the index in step with passports, and answer searches from it."""

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from math import ceil, prod

from patronage_common.foreground import Pace
from patronage_common.locks import locked
from patronage_common.logging import get_logger
from patronage_common.store import Database

from ..passports import service as passports
from ..passports.documents import Document
from . import service
from .keys import entry_of, group_of, is_fine, leaf_for
from .lines import ALL, indexed_keys, pack, posting_keys, posting_of, result_line, unpack

log = get_logger(__name__)


def state_of(document: Document) -> Document:
    """What the index keeps for a passport: entry, keys, version and its packed posting."""
    return {
        "format": service.FORMAT,
        "entry": entry_of(document),
        "keys": indexed_keys(document),
        "version": document["version"],
        "posting": pack(posting_of(document)),
    }


INDEX_LOCK = "search-index"
FAMILIES_AT_ONCE = 100
"""Families reindexed under one hold of the index lock (the lock expires after 30 s)."""
PACED_FAMILIES_AT_ONCE = 25
"""Families under one hold when the writes are paced: the pauses make a hold up to 1 + the
pause ratio (5 by default) times as long, and other replicas' indexers wait for it (10 s
at most; 25 families' writes take well under a second at 100k passports)."""


async def reindex_family(*, db: Database, family_id: str) -> None:
    """Make the family's postings match its current passport (safe to repeat)."""
    await reindex_families(db=db, family_ids=[family_id])


async def reindex_families(
    *, db: Database, family_ids: Iterable[str], pace: Pace | None = None
) -> None:
    """Make the families' postings match their current passports (safe to repeat).

    A batch costs one read of each family's passport and index state (all at once), then
    one statement per page, group and count touched, however many of the families share
    it, and one per state. Pages whose posting is unchanged are not written: a change of
    the result line alone (a new first phone, say) rewrites every page, a new key only its
    own. A family indexed in an earlier format is moved into the current one.

    One indexer writes at a time (service replicas each run one): FerretDB v1 loses one of
    two concurrent updates of a document, ``$set`` of other fields and ``$inc`` alike, and
    families share pages and counts. A crash between the page writes and the states leaves
    the batch's counts off by its families until ``rebuild_index`` runs (a redelivery
    writes the same postings again, and counts them again).

    ``pace`` (the consumer's: give way to the service's HTTP requests) is awaited after
    each write round trip, which are then smaller, as are the holds of the lock.
    """
    ids = list(dict.fromkeys(family_ids))
    at_once = FAMILIES_AT_ONCE if pace is None else PACED_FAMILIES_AT_ONCE
    for start in range(0, len(ids), at_once):
        async with locked(service.index_db(db), INDEX_LOCK):
            await _reindex(db, ids[start : start + at_once], pace)


async def reindex_earlier_formats(*, db: Database) -> int:
    """Move every family the index still holds in an earlier format into the current one.

    Runs once when the service starts: after an upgrade that moved keys to other leaves
    (format 3: districts and HQs), searches of those keys answer in full once it is done;
    the service answers meanwhile. Returns how many families it reindexed.
    """
    earlier = [
        state["_id"]
        async for state in service.index_db(db)[service.STATE].find(
            {"format": {"$ne": service.FORMAT}}, {"_id": 1}
        )
    ]
    if earlier:
        log.warning("search index: moving families of an earlier format", families=len(earlier))
    await reindex_families(db=db, family_ids=earlier)
    return len(earlier)


_NEW_STATE: Document = {"format": service.FORMAT, "entry": "", "keys": [], "version": 0}


async def _reindex(db: Database, family_ids: list[str], pace: Pace | None) -> None:
    documents, states = await _read(db, family_ids, pace)
    changes = service.IndexChanges()
    new_states: dict[str, Document] = {}
    for family_id, document, state in zip(family_ids, documents, states, strict=True):
        began = time.perf_counter()
        state = state or _NEW_STATE
        if document is None or document["version"] < state["version"]:
            continue
        new_state = state_of(document)
        _plan(changes, family_id, state, new_state)
        new_states[family_id] = new_state
        if pace is not None:  # the service's requests wait for this loop
            await pace(time.perf_counter() - began)
    await service.apply_changes(db=db, changes=changes, pace=pace)
    await service.save_states(db=db, states=new_states, pace=pace)


async def _read(
    db: Database, family_ids: list[str], pace: Pace | None
) -> tuple[list[Document | None], list[Document | None]]:
    """The families' passports and index states: all at once, or paced a few at a time."""
    size = len(family_ids) if pace is None else service.PACED_BULK_LIMIT
    documents: list[Document | None] = []
    states: list[Document | None] = []
    for start in range(0, len(family_ids), max(1, size)):
        chunk = family_ids[start : start + size]
        began = time.perf_counter()
        found, held = await asyncio.gather(
            asyncio.gather(*(passports.get_document(db=db, family_id=f) for f in chunk)),
            asyncio.gather(*(service.get_state(db=db, family_id=f) for f in chunk)),
        )
        documents += found
        states += held
        if pace is not None:
            await pace(time.perf_counter() - began)
    return documents, states


def _plan(changes: service.IndexChanges, family_id: str, state: Document, new: Document) -> None:
    """Add one family's move from ``state`` to ``new`` to ``changes``."""
    entry, keys, posting = new["entry"], new["keys"], new["posting"]
    old_entry, old_keys = state["entry"], state["keys"]
    old_format = int(state.get("format") or 1)
    # The pages the family is in: an earlier format put some keys in other leaves.
    old_pages = {service.page_id(k, old_entry, old_format): k for k in old_keys}
    new_pages = {service.page_id(k, entry): k for k in keys}
    rewrite = old_format != service.FORMAT or state.get("posting") != posting
    for page in old_pages:
        if page not in new_pages:
            changes.taken_out[page].add(family_id)
        if old_format < 2:  # bare entries to take out of its pages
            changes.legacy_entries[page].append(old_entry)
    for page, key in new_pages.items():
        if rewrite or page not in old_pages:
            changes.put_in[page][family_id] = posting
        if page not in old_pages:
            leaf = leaf_for(key, entry)
            changes.add_leaf(key, leaf)
            changes.count(key, 0 if key in old_keys else 1, group_of(leaf))
    for key in set(old_keys) - set(keys):
        changes.count(key, -1, None)


@dataclass(frozen=True)
class Found:
    """Result lines of one page, the cursor of the next, and the total when known."""

    items: list[Document]
    next_cursor: str | None
    total: int | None

    @property
    def family_ids(self) -> list[str]:
        """Family ids of the page, in order."""
        return [str(item["family_id"]) for item in self.items]


def encode_cursor(entry: str) -> str:
    """Opaque cursor of a posting entry."""
    return base64.urlsafe_b64encode(entry.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """Posting entry of a cursor (ValueError if it is not one)."""
    return base64.urlsafe_b64decode(cursor.encode()).decode()


LEAVES_AT_ONCE = 12


@dataclass(frozen=True)
class _Driver:
    """The key a search walks, how many passports it holds and in which groups."""

    key: str
    count: int
    groups: list[str]
    share: float
    """Estimated share of its passports that meet the other criteria too."""

    def leaves_for(self, wanted: int, leaves_per_group: int) -> int:
        """Leaves to read at once for ``wanted`` matches, if the key fills its leaves evenly."""
        per_leaf = self.count / max(1, len(self.groups)) / max(1, leaves_per_group)
        needed = wanted / max(self.share, 0.01) / max(per_leaf, 0.1)
        return max(1, min(LEAVES_AT_ONCE, ceil(needed * 1.25)))


async def _driver_postings(
    db: Database, driver: _Driver, after: str | None, wanted: Callable[[], int]
) -> AsyncIterator[list[tuple[str, str, Document | None]]]:
    """The driver's postings after ``after`` in name order, a page's worth of leaves at once."""
    key = driver.key
    start = leaf_for(key, after) if after else ""
    groups = [g for g in driver.groups if g >= group_of(start)]
    spans: AsyncIterator[list[str]]
    if is_fine(key):
        spans = (await service.group_leaves(db=db, key=key, group=group) for group in groups)
    else:
        spans = _once(groups)  # a two-letter leaf is its own group: one span of them all
    async for span in spans:
        leaves = [leaf for leaf in span if leaf >= start]
        per_group = len(leaves) if is_fine(key) else 1
        offset = 0
        while offset < len(leaves):
            at_once = driver.leaves_for(wanted(), per_group)
            batch = await asyncio.gather(
                *(
                    service.leaf_postings(db=db, key=key, leaf=leaf)
                    for leaf in leaves[offset : offset + at_once]
                )
            )
            offset += at_once
            postings = sorted(p for leaf in batch for p in leaf if after is None or p[0] > after)
            if postings:
                yield postings


async def _once(leaves: list[str]) -> AsyncIterator[list[str]]:
    yield leaves


_warned_format_1: list[bool] = []
"""Whether this process has logged finding a format-1 page (once is enough)."""


async def _matching(
    db: Database, postings: list[tuple[str, str, Document | None]], others: set[str]
) -> list[tuple[str, Document]]:
    """``(entry, result line)`` of the postings that meet the other criteria, in order.

    A format-1 entry has no posting: its family's index state answers (one look-up).
    """
    legacy = [family_id for _, family_id, posting in postings if posting is None]
    states: dict[str, Document | None] = {}
    if legacy:
        if not _warned_format_1:
            _warned_format_1.append(True)
            log.warning("search index partly in format 1 (slower): run rebuild_index")
        found = await asyncio.gather(*(service.get_state(db=db, family_id=f) for f in legacy))
        states = dict(zip(legacy, found, strict=True))
    matching = []
    for entry, family_id, posting in postings:
        if posting is not None:
            if others <= posting_keys(posting):
                matching.append((entry, result_line(family_id, posting)))
            continue
        state = states[family_id]
        # A stale entry (its family since renamed) is not the family's current one.
        if state is not None and state["entry"] == entry and others <= set(state["keys"]):
            # A format-2 state has the posting; a format-1 state its result line.
            packed = state.get("posting")
            line = result_line(family_id, unpack(family_id, packed)) if packed else state["summary"]
            matching.append((entry, line))
    return matching


async def search(*, db: Database, keys: list[str], after: str | None, limit: int) -> Found:
    """Passports found by every key, sorted by applicant name, ``limit`` after ``after``.

    The rarest key drives, leaf by leaf in name order, a few leaves at a time (as many as
    its count and the other keys' counts suggest a page needs); the other keys are checked
    against the postings themselves, which also hold the result lines: a page costs the
    counts, the driver's group and the leaves read, never a look-up per passport.
    """
    criteria = list(dict.fromkeys(keys)) or [ALL]
    # Everyone's count, for how selective the other keys are, when there are others.
    asked = [*criteria, ALL] if len(criteria) > 1 and ALL not in criteria else criteria
    summaries = dict(
        zip(
            asked,
            await asyncio.gather(*(service.key_summary(db=db, key=k) for k in asked)),
            strict=True,
        )
    )
    counts = [summaries[k][0] for k in criteria]
    if min(counts) == 0:
        return Found([], None, 0)
    key = criteria[counts.index(min(counts))]
    others = set(criteria) - {key}
    everyone = max(1, summaries[ALL][0]) if others else 1
    share = prod(min(1.0, summaries[k][0] / everyone) for k in others) if others else 1.0
    driver = _Driver(key, summaries[key][0], summaries[key][1], share)
    found: list[tuple[str, Document]] = []

    def wanted() -> int:
        return limit + 1 - len(found)

    async for postings in _driver_postings(db, driver, after, wanted):
        # A page's worth at a time: format-1 entries cost a look-up each.
        for offset in range(0, len(postings), limit + 1):
            found.extend(await _matching(db, postings[offset : offset + limit + 1], others))
            if len(found) > limit:
                break
        if len(found) > limit:
            break
    page = found[:limit]
    next_cursor = encode_cursor(page[-1][0]) if len(found) > limit else None
    total = counts[0] if len(criteria) == 1 else None
    return Found([line for _, line in page], next_cursor, total)
