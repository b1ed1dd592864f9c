"""Bulk import stores passports as registration does; a rebuilt index finds them."""

from collections.abc import Callable
from typing import Any

import pytest
from patronage_common.crypto import FieldCipher
from patronage_common.store import create_mongo_client
from patronage_passport.demo.generator import generate_families
from patronage_passport.passports.bulk import import_passports
from patronage_passport.search.flows import search
from patronage_passport.search.rebuild import rebuild_index
from patronage_passport.settings import PassportSettings

pytestmark = pytest.mark.integration


async def test_import_then_rebuild_finds_every_family_and_refuses_duplicates(
    make_settings: Callable[..., Any],
) -> None:
    settings: PassportSettings = make_settings(PassportSettings)
    cipher = FieldCipher.from_setting(settings.data_encryption_keys)
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    try:
        families = list(generate_families(120, seed=7))
        stored = await import_passports(db=db, cipher=cipher, passports=families, actor="import")
        assert len(stored) == 120
        again = await import_passports(db=db, cipher=cipher, passports=families[:5], actor="import")
        assert again == []  # the same people and phones are refused
        assert await rebuild_index(db=db) == 120

        everyone = await search(db=db, keys=[], after=None, limit=200)
        assert sorted(everyone.family_ids) == sorted(stored)
        assert everyone.total == 120
        district = families[0].address.district
        expected = sum(1 for f in families if f.address.district == district)
        in_district = await search(db=db, keys=[f"district:{district}"], after=None, limit=200)
        assert len(in_district.family_ids) == in_district.total == expected
        first = await db["passports"].find_one({"_id": stored[0]})
        assert first is not None
        assert first["version"] == 1
        assert first["version_log"][0]["sections"] == ["created"]
    finally:
        await client.close()
