"""Demo data for the local run, loaded through the services' public APIs.

Realistic families of Lipetsk oblast from the passport service's generator, their
districts' curators, and a help request for some of them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from patronage_passport.demo import LIPETSK_OBLAST, curators
from patronage_passport.demo.load import load_families

DEMO_FAMILIES = 40
DEMO_REQUESTS = 6
INDEX_WAIT_S = 60.0


def load_demo_data(urls: dict[str, str]) -> list[str]:
    """Register curators and families, then one request for each of the first families."""
    with httpx.Client(timeout=10) as client:
        for roster in curators(LIPETSK_OBLAST, DEMO_FAMILIES).values():
            for curator in roster:
                response = client.post(
                    f"{urls['passport']}/curators",
                    json={
                        "curator_id": curator.curator_id,
                        "full_name": curator.full_name,
                        "district": curator.district,
                    },
                )
                if response.status_code != httpx.codes.CONFLICT:
                    response.raise_for_status()
        report = asyncio.run(load_families(urls["passport"], DEMO_FAMILIES, progress=False))
        if not report.ok:
            raise RuntimeError(f"demo families not loaded: {report.summary()}")
        families = _indexed_families(client, urls["passport"], report.created)
        request_ids = []
        for family in families[:DEMO_REQUESTS]:
            category = (family["open_needs"] or ["social_legal"])[0]
            created = client.post(
                f"{urls['requests']}/requests",
                json={
                    "family_id": family["family_id"],
                    "category": category,
                    "description": "Обращение из демонстрационных данных",
                },
                headers={"X-Actor": family["curator_id"] or "demo"},
            )
            created.raise_for_status()
            request_ids.append(str(created.json()["request_id"]))
    return request_ids


def _indexed_families(
    client: httpx.Client, passport_url: str, expected: int
) -> list[dict[str, Any]]:
    """The loaded families once the search index has them all."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        page = client.get(f"{passport_url}/passports", params={"limit": 100}).json()
        if len(page["items"]) >= expected or time.monotonic() > deadline:
            return list(page["items"])
        time.sleep(0.3)
