"""The chat-bot's conversation (aiogram): thin handlers over linking and the requests API."""

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, F, Router
from aiogram.filters import CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
)
from patronage_common.store import Database
from patronage_contracts import (
    AgencyTaskStatus,
    CallbackRequested,
    NeedCategory,
    NotificationChannel,
    RequestStatus,
)
from patronage_contracts.labels import NEED_CATEGORY_RU, REQUEST_STATUS_RU

from ..contacts import service as contacts
from ..context import Notifier
from ..notifications.flows import notify
from . import linking
from .categories import suggest_category
from .conversations import ChatLocks, StoredConversations
from .requests_client import RequestsClient, RequestsUnavailableError

MENU_NEW = "📝 Новая заявка"
MENU_MINE = "📋 Мои заявки"
MENU_CALLBACK = "📞 Перезвоните мне"
UNLINKED = (
    "Этот чат ещё не привязан к социальному паспорту семьи, поэтому я не могу показать "
    "никаких сведений. Отправьте код, который дал ваш куратор (6 цифр), или нажмите "
    "«Поделиться номером телефона» — номер должен совпадать с указанным в паспорте."
)
SHARE_PHONE = "📱 Поделиться номером телефона"
TRY_LATER = (
    "Сейчас не получилось связаться с сервисом заявок. Попробуйте позже или позвоните куратору."
)
CODE = re.compile(r"^\s*(?:/code\s+)?(\d{6})\s*$")

MENU = ReplyKeyboardMarkup(
    keyboard=[
        [KeyboardButton(text=MENU_NEW), KeyboardButton(text=MENU_MINE)],
        [KeyboardButton(text=MENU_CALLBACK)],
    ],
    resize_keyboard=True,
)
LINK_KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]], resize_keyboard=True
)


class NewRequest(StatesGroup):
    """Writing a help request."""

    text = State()
    category = State()
    photo = State()


class Answering(StatesGroup):
    """Answering an agency's question."""

    text = State()


def _categories_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=NEED_CATEGORY_RU[c].capitalize(), callback_data=f"cat:{c.value}"
                )
            ]
            for c in NeedCategory
        ]
    )


class LinkedFamily(BaseMiddleware):
    """Puts the chat's family id in the handler data; unlinked chats get no data at all."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = getattr(event, "chat", None) or getattr(
            getattr(event, "message", None), "chat", None
        )
        family_id = (
            await contacts.family_of_chat(db=self._notifier.runtime.db, chat_id=chat.id)
            if chat is not None
            else None
        )
        data["family_id"] = family_id
        if family_id is None and not _is_linking(event):
            if isinstance(event, CallbackQuery):
                await event.answer()
                if event.message is not None:
                    await self._notifier_bot_reply(event.message.chat.id, data)
                return None
            if isinstance(event, Message):
                await event.answer(UNLINKED, reply_markup=LINK_KEYBOARD)
            return None
        return await handler(event, data)

    async def _notifier_bot_reply(self, chat_id: int, data: dict[str, Any]) -> None:
        await data["bot"].send_message(chat_id, UNLINKED, reply_markup=LINK_KEYBOARD)


def _is_linking(event: TelegramObject) -> bool:
    if not isinstance(event, Message):
        return False
    return event.contact is not None or bool(
        event.text and (CODE.match(event.text) or event.text.startswith("/start"))
    )


def open_questions(item: dict[str, Any]) -> list[str]:
    """The agencies' unanswered questions on a request, as the requests API lists it."""
    return [
        task["question"]
        for task in item.get("tasks") or []
        if task.get("question") and task.get("status") == AgencyTaskStatus.NEEDS_INFO.value
    ]


def build_dispatcher(notifier: Notifier, requests: RequestsClient) -> Dispatcher:
    """A dispatcher with the whole conversation, its dependencies injected.

    The conversation's state lives in the store, so any replica continues any chat.
    """

    def db() -> Database:
        return notifier.runtime.db

    dispatcher = Dispatcher(
        storage=StoredConversations(db),
        events_isolation=ChatLocks(db),
        notifier=notifier,
        requests=requests,
    )
    router = Router(name="family-bot")
    router.message.outer_middleware(LinkedFamily(notifier))
    router.callback_query.outer_middleware(LinkedFamily(notifier))
    router.include_router(_conversation())
    dispatcher.include_router(router)
    return dispatcher


def _conversation() -> Router:
    router = Router(name="conversation")

    @router.message(CommandStart())
    async def start(message: Message, family_id: str | None) -> None:
        if family_id is None:
            await message.answer("Здравствуйте! " + UNLINKED, reply_markup=LINK_KEYBOARD)
            return
        await message.answer(
            "Здравствуйте! Здесь можно подать заявку, узнать, как идут дела по вашим заявкам, "
            "ответить на вопрос ведомства и попросить куратора перезвонить.",
            reply_markup=MENU,
        )

    @router.message(F.contact)
    async def shared_phone(message: Message, notifier: Notifier, family_id: str | None) -> None:
        contact = message.contact
        assert contact is not None
        if message.from_user is None or contact.user_id != message.from_user.id:
            await message.answer(
                "Пожалуйста, поделитесь своим номером кнопкой ниже.", reply_markup=LINK_KEYBOARD
            )
            return
        linked = await linking.link_by_phone(
            notifier=notifier, chat_id=message.chat.id, phone=contact.phone_number
        )
        if linked is None:
            await message.answer(
                "Не нашли социальный паспорт с этим номером. Попросите куратора дать вам код "
                "для привязки и отправьте его сюда.",
                reply_markup=LINK_KEYBOARD,
            )
            return
        await message.answer("Готово: чат привязан к паспорту вашей семьи.", reply_markup=MENU)

    @router.message(F.text.regexp(CODE), StateFilter(None))
    async def code(message: Message, notifier: Notifier, family_id: str | None) -> None:
        match = CODE.match(message.text or "")
        assert match is not None
        linked = await linking.link_by_code(
            notifier=notifier, chat_id=message.chat.id, code=match.group(1)
        )
        if linked is None:
            await message.answer(
                "Код не подошёл: он неверный, уже использован или устарел. "
                "Попросите у куратора новый.",
                reply_markup=None if family_id else LINK_KEYBOARD,
            )
            return
        await message.answer("Готово: чат привязан к паспорту вашей семьи.", reply_markup=MENU)

    @router.message(F.text == MENU_NEW)
    async def new_request(message: Message, state: FSMContext) -> None:
        await state.set_state(NewRequest.text)
        await message.answer(
            "Опишите, пожалуйста, своими словами, что случилось и какая помощь нужна."
        )

    @router.message(NewRequest.text, F.text)
    async def request_text(message: Message, state: FSMContext) -> None:
        text = (message.text or "").strip()
        if len(text) < 3:
            await message.answer("Опишите чуть подробнее, пожалуйста.")
            return
        await state.update_data(text=text)
        await state.set_state(NewRequest.category)
        suggested = suggest_category(text)
        if suggested is None:
            await message.answer(
                "Выберите, к чему относится заявка:", reply_markup=_categories_keyboard()
            )
            return
        await message.answer(
            f"Похоже, это заявка в категории «{NEED_CATEGORY_RU[suggested]}». Верно?",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="✅ Да", callback_data=f"cat:{suggested.value}")],
                    [InlineKeyboardButton(text="Выбрать другую", callback_data="cat:other")],
                ]
            ),
        )

    @router.callback_query(NewRequest.category, F.data.startswith("cat:"))
    async def request_category(query: CallbackQuery, state: FSMContext) -> None:
        await query.answer()
        value = (query.data or "").removeprefix("cat:")
        assert query.message is not None
        if value not in NeedCategory._value2member_map_:
            await query.message.answer(
                "Выберите, к чему относится заявка:", reply_markup=_categories_keyboard()
            )
            return
        await state.update_data(category=value)
        await state.set_state(NewRequest.photo)
        await query.message.answer(
            "Если нужно, пришлите фото (например, повреждения). Или нажмите «Без фото».",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="Без фото", callback_data="photo:none")]
                ]
            ),
        )

    async def submit(
        chat_message: Message,
        state: FSMContext,
        family_id: str,
        requests: RequestsClient,
        photo: str | None,
    ) -> None:
        data = await state.get_data()
        await state.clear()
        category = NeedCategory(data["category"])
        description = data["text"] + (
            f"\n[Фото из чат-бота: telegram file_id {photo}]" if photo else ""
        )
        try:
            created = await requests.create_request(
                family_id=family_id, category=category, description=description
            )
        except RequestsUnavailableError:
            await chat_message.answer(TRY_LATER, reply_markup=MENU)
            return
        number = str(created.get("request_id", ""))[:8]
        await chat_message.answer(
            f"Заявка принята: «{NEED_CATEGORY_RU[category]}», № {number}. "
            "Куратор уже видит её; мы сообщим, как пойдёт работа.",
            reply_markup=MENU,
        )

    @router.message(NewRequest.photo, F.photo)
    async def request_photo(
        message: Message, state: FSMContext, family_id: str, requests: RequestsClient
    ) -> None:
        assert message.photo
        await submit(message, state, family_id, requests, message.photo[-1].file_id)

    @router.callback_query(NewRequest.photo, F.data == "photo:none")
    async def request_without_photo(
        query: CallbackQuery, state: FSMContext, family_id: str, requests: RequestsClient
    ) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await submit(query.message, state, family_id, requests, None)

    @router.message(F.text == MENU_MINE)
    async def my_requests(message: Message, family_id: str, requests: RequestsClient) -> None:
        try:
            items = await requests.family_requests(family_id=family_id)
        except RequestsUnavailableError:
            await message.answer(TRY_LATER)
            return
        if not items:
            await message.answer("У вас пока нет заявок.", reply_markup=MENU)
            return
        for item in items[:10]:
            status = RequestStatus(item["status"])
            buttons = []
            if status is RequestStatus.NEEDS_INFO:
                buttons.append(
                    [
                        InlineKeyboardButton(
                            text="Ответить на вопрос", callback_data=f"answer:{item['request_id']}"
                        )
                    ]
                )
            if status is RequestStatus.RESOLVED:
                buttons.append(
                    [
                        InlineKeyboardButton(
                            text="Оценить помощь", callback_data=f"rate:{item['request_id']}"
                        )
                    ]
                )
            question = "".join(f"\nВопрос ведомства: {q}" for q in open_questions(item))
            category = NEED_CATEGORY_RU[NeedCategory(item["category"])]
            await message.answer(
                f"№ {str(item['request_id'])[:8]} — «{category}»: "
                f"{REQUEST_STATUS_RU[status]}{question}",
                reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
            )

    @router.callback_query(F.data.startswith("answer:"))
    async def answer_start(query: CallbackQuery, state: FSMContext) -> None:
        await query.answer()
        await state.set_state(Answering.text)
        await state.update_data(request_id=(query.data or "").removeprefix("answer:"))
        assert query.message is not None
        await query.message.answer("Напишите ответ на вопрос ведомства одним сообщением.")

    @router.message(Answering.text, F.text)
    async def answer_text(
        message: Message, state: FSMContext, family_id: str, requests: RequestsClient
    ) -> None:
        data = await state.get_data()
        await state.clear()
        try:
            await requests.answer_question(
                family_id=family_id, request_id=data["request_id"], text=message.text or ""
            )
        except RequestsUnavailableError:
            await message.answer(TRY_LATER, reply_markup=MENU)
            return
        await message.answer("Спасибо! Ответ передан в ведомство.", reply_markup=MENU)

    @router.callback_query(F.data.startswith("rate:"))
    async def rate_start(query: CallbackQuery) -> None:
        await query.answer()
        request_id = (query.data or "").removeprefix("rate:")
        assert query.message is not None
        await query.message.answer(
            "Оцените, пожалуйста, помощь по заявке от 1 до 5:",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text=str(n), callback_data=f"rated:{request_id}:{n}")
                        for n in range(1, 6)
                    ]
                ]
            ),
        )

    @router.callback_query(F.data.startswith("rated:"))
    async def rated(query: CallbackQuery, family_id: str, requests: RequestsClient) -> None:
        await query.answer()
        _, request_id, rating = (query.data or "").split(":")
        assert query.message is not None
        try:
            await requests.rate(family_id=family_id, request_id=request_id, rating=int(rating))
        except RequestsUnavailableError:
            await query.message.answer(TRY_LATER, reply_markup=MENU)
            return
        await query.message.answer(f"Спасибо за оценку {rating} из 5!", reply_markup=MENU)

    @router.message(F.text == MENU_CALLBACK)
    async def callback(message: Message, notifier: Notifier, family_id: str) -> None:
        snapshot = await contacts.get_contact(db=notifier.runtime.db, family_id=family_id) or {}
        event = CallbackRequested(
            family_id=uuid.UUID(family_id),
            curator_id=snapshot.get("curator_id"),
            phone=snapshot.get("phone"),
            requested_via=NotificationChannel.TELEGRAM,
        )
        await notifier.runtime.publisher.publish(event)
        await notify(notifier=notifier, events=[event])
        await message.answer(
            "Передали куратору: он перезвонит вам в ближайшее время.", reply_markup=MENU
        )

    @router.message()
    async def anything_else(message: Message) -> None:
        await message.answer("Выберите действие в меню ниже.", reply_markup=MENU)

    return router
