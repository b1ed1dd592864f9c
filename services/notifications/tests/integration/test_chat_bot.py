"""The chat-bot conversation through a local Bot API server: linking to rating.

The bot calls the real requests service (started by the ``world`` fixture), and an agency's
own system (plain aiokafka) moves the request on the bus, as in production.
"""

import json
from typing import Any

import pytest
from patronage_common.testing import eventually

from services.notifications.tests.integration.conftest import World
from services.notifications.tests.integration.test_delivery import new_family
from tests.support.agency_client import AgencyClient

pytestmark = pytest.mark.integration


async def reply(world: World, chat_id: int, seen: int, contains: str) -> dict[str, Any]:
    """The bot's first message after the ``seen`` first ones that contains ``contains``."""

    async def probe() -> dict[str, Any] | None:
        for message in world.bot_api.sent(chat_id)[seen:]:
            if contains in message["text"]:
                return message
        return None

    return await eventually(probe, what=f"bot says «{contains}»")


async def family_requests(world: World, family_id: str) -> list[dict[str, Any]]:
    """The family's requests as the requests service has them."""
    response = await world.requests.get("/requests", params={"family_id": family_id})
    assert response.status_code == 200, response.text
    return list(response.json())


async def read_request(world: World, request_id: str) -> dict[str, Any]:
    """One request as the requests service has it."""
    response = await world.requests.get(f"/requests/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def in_status(world: World, request_id: str, status: str) -> dict[str, Any]:
    """The request once it reached ``status``."""

    async def probe() -> dict[str, Any] | None:
        found = await read_request(world, request_id)
        return found if found["status"] == status else None

    return await eventually(probe, timeout_s=60, what=f"request {status}")


async def test_unlinked_user_gets_a_clear_answer_and_no_data(world: World) -> None:
    chat_id = 7770001
    world.bot_api.user_says(chat_id, "/start")
    await reply(world, chat_id, 0, "не привязан к социальному паспорту")
    world.bot_api.user_says(chat_id, "📋 Мои заявки")
    await reply(world, chat_id, 1, "не привязан к социальному паспорту")
    world.bot_api.user_says(chat_id, "123456")  # a code nobody issued
    await reply(world, chat_id, 2, "Код не подошёл")
    world.bot_api.user_presses(chat_id, "rate:00000000-0000-0000-0000-000000000000")
    await reply(world, chat_id, 3, "не привязан к социальному паспорту")
    assert not [m for m in world.bot_api.sent(chat_id) if "заявк" in m["text"].split("паспорту")[0]]


async def test_family_links_by_code_submits_answers_rates_and_asks_for_a_call(world: World) -> None:
    family = await new_family(world, preferred_channel="telegram")
    chat_id = 7770002
    issued = await world.notifications.post(
        "/link-codes",
        json={"family_id": family["family_id"]},
        headers={"X-Actor": family["curator_id"]},
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    world.bot_api.user_says(chat_id, code)
    await reply(world, chat_id, 0, "чат привязан к паспорту")

    # The code is used up: a second chat cannot take it.
    world.bot_api.user_says(7770003, code)
    await reply(world, 7770003, 0, "Код не подошёл")

    # A help request: free text, the suggested category confirmed, no photo.
    n = len(world.bot_api.sent(chat_id))
    world.bot_api.user_says(chat_id, "📝 Новая заявка")
    await reply(world, chat_id, n, "что случилось")
    world.bot_api.user_says(chat_id, "У нас протекает крыша, вода капает на проводку")
    suggestion = await reply(world, chat_id, n + 1, "Похоже, это заявка в категории «жильё»")
    yes = suggestion["reply_markup"]["inline_keyboard"][0][0]
    world.bot_api.user_presses(chat_id, yes["callback_data"])
    await reply(world, chat_id, n + 2, "пришлите фото")
    world.bot_api.user_says(
        chat_id,
        None,
        photo=[{"file_id": "PHOTO-1", "file_unique_id": "u1", "width": 90, "height": 90}],
    )
    accepted = await reply(world, chat_id, n + 3, "Заявка принята")
    (created,) = await family_requests(world, family["family_id"])
    request_id = created["request_id"]
    assert created["category"] == "housing"
    assert created["channel"] == "chatbot"
    assert created["description"].startswith("У нас протекает крыша")
    assert "PHOTO-1" in created["description"]
    assert request_id[:8] in accepted["text"]
    listed_as = f"№ {request_id[:8]} — «жильё»: "

    settings = world.requests_settings
    async with AgencyClient(
        settings.kafka_bootstrap_servers, settings.topic_prefix, "housing"
    ) as housing:
        task, _ = await housing.next_task()
        assert task["request_id"] == request_id

        # Status: the agency asks a question; the family sees it and answers it.
        await housing.report(task, "accepted")
        await housing.report(task, "needs_info", question="Укажите номер лицевого счёта")
        await in_status(world, request_id, "needs_info")
        n = len(world.bot_api.sent(chat_id))
        world.bot_api.user_says(chat_id, "📋 Мои заявки")
        listed = await reply(world, chat_id, n, listed_as + "нужны сведения")
        assert "Вопрос ведомства: Укажите номер лицевого счёта" in listed["text"]
        answer = listed["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert answer == f"answer:{request_id}"
        world.bot_api.user_presses(chat_id, answer)
        await reply(world, chat_id, n + 1, "Напишите ответ")
        world.bot_api.user_says(chat_id, "Лицевой счёт 123-456")
        await reply(world, chat_id, n + 2, "Ответ передан")
        resumed = await in_status(world, request_id, "accepted")
        assert resumed["tasks"][0]["question"] is None

        # Resolved: the family rates it 5.
        await housing.report(task, "resolved", result="Крыша отремонтирована")
        await in_status(world, request_id, "resolved")
    n = len(world.bot_api.sent(chat_id))
    world.bot_api.user_says(chat_id, "📋 Мои заявки")
    listed = await reply(world, chat_id, n, listed_as + "решена")
    rate = listed["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert rate == f"rate:{request_id}"
    world.bot_api.user_presses(chat_id, rate)
    stars = await reply(world, chat_id, n + 1, "от 1 до 5")
    world.bot_api.user_presses(
        chat_id, stars["reply_markup"]["inline_keyboard"][0][4]["callback_data"]
    )
    await reply(world, chat_id, n + 2, "Спасибо за оценку 5 из 5")
    rated = await read_request(world, request_id)
    assert [f["rating"] for f in rated["feedback"]] == [5]

    # Call me back: the curator gets an urgent in-app notification.
    world.bot_api.user_says(chat_id, "📞 Перезвоните мне")
    await reply(world, chat_id, n + 3, "он перезвонит")

    async def callback_noted() -> list[dict[str, Any]] | None:
        inbox = (
            await world.notifications.get(
                "/notifications", params={"recipient_id": family["curator_id"]}
            )
        ).json()
        return [i for i in inbox if i["event_type"] == "CallbackRequested"] or None

    (note,) = await eventually(callback_noted, what="curator asked to call back")
    assert note["urgent"] is True
    assert "просит вас перезвонить" in note["text"]
    assert family["contacts"]["phones"][0] in note["text"]
    assert json.dumps(note)  # serializable API shape


async def test_family_links_by_sharing_its_own_phone(world: World) -> None:
    family = await new_family(world)
    phone = family["contacts"]["phones"][0]
    chat_id = 7770004

    # Somebody else's contact card links nothing.
    world.bot_api.user_says(
        chat_id, None, contact={"phone_number": phone, "first_name": "Мария", "user_id": 1}
    )
    await reply(world, chat_id, 0, "поделитесь своим номером")

    async def linked() -> bool:
        seen = len(world.bot_api.sent(chat_id))
        world.bot_api.user_says(
            chat_id,
            None,
            contact={"phone_number": phone, "first_name": "Мария", "user_id": chat_id},
        )
        answer = await reply(world, chat_id, seen, "")
        return "чат привязан" in answer["text"]

    # The passport's phone index is built from its events: wait until it finds the family.
    await eventually(linked, timeout_s=60, interval_s=1.0, what="linked by phone")
    n = len(world.bot_api.sent(chat_id))
    world.bot_api.user_says(chat_id, "📋 Мои заявки")
    await reply(world, chat_id, n, "У вас пока нет заявок")
