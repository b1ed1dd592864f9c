"""The chat-bot's conversation state in the store, so that any replica continues any chat.

aiogram keeps a chat's step (``state``) and what the user said so far (``data``) in a
storage; this one writes both to ``bot_conversations`` (one document per chat, ``_id`` from
the chat) at every step, and reads them back by ``_id``. A restart or another replica
continues where the chat left off. Updates of one chat are handled one at a time across
replicas with the store's per-document lock.
"""

import contextlib
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    DEFAULT_DESTINY,
    BaseEventIsolation,
    BaseStorage,
    StateType,
    StorageKey,
)
from patronage_common.locks import locked
from patronage_common.store import Database, upsert_one
from patronage_contracts import utc_now

CONVERSATIONS = "bot_conversations"
DatabaseOf = Callable[[], Database]


def conversation_id(key: StorageKey) -> str:
    """One document per chat (and per user, topic or destiny where they differ)."""
    parts = [f"bot:{key.bot_id}", f"chat:{key.chat_id}"]
    if key.user_id != key.chat_id:
        parts.append(f"user:{key.user_id}")
    if key.thread_id is not None:
        parts.append(f"thread:{key.thread_id}")
    if key.business_connection_id is not None:
        parts.append(f"business:{key.business_connection_id}")
    if key.destiny != DEFAULT_DESTINY:
        parts.append(f"destiny:{key.destiny}")
    return ":".join(parts)


class StoredConversations(BaseStorage):
    """aiogram's FSM storage over the store (``_id`` reads and writes only)."""

    def __init__(self, db: DatabaseOf) -> None:
        # The store is bound when the service starts, after the dispatcher is built.
        self._db = db

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        """Remember the chat's step (None: the conversation is over)."""
        value = state.state if isinstance(state, State) else state
        await upsert_one(
            self._db()[CONVERSATIONS],
            {"_id": conversation_id(key)},
            {"$set": {"state": value, "at": utc_now()}},
        )

    async def get_state(self, key: StorageKey) -> str | None:
        """The chat's step."""
        document = await self._db()[CONVERSATIONS].find_one({"_id": conversation_id(key)})
        state = (document or {}).get("state")
        return str(state) if state is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Remember what the user said so far in this conversation."""
        await upsert_one(
            self._db()[CONVERSATIONS],
            {"_id": conversation_id(key)},
            {"$set": {"data": dict(data), "at": utc_now()}},
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        """What the user said so far in this conversation."""
        document = await self._db()[CONVERSATIONS].find_one({"_id": conversation_id(key)})
        return dict((document or {}).get("data") or {})

    async def close(self) -> None:
        """The store belongs to the service runtime: nothing to close."""


class ChatLocks(BaseEventIsolation):
    """One update of a chat at a time, whichever replica handles it."""

    def __init__(self, db: DatabaseOf) -> None:
        self._db = db

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        """Hold the chat's lock while its update is handled."""
        async with locked(self._db(), f"{CONVERSATIONS}:{conversation_id(key)}"):
            yield

    async def close(self) -> None:
        """Locks are released by their holders."""
