"""Rendering pages: the template context every page shares (user, CSRF, language, labels)."""

import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from types import BuiltinMethodType
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context, Macro
from jinja2.utils import internalcode
from patronage_contracts import Agency, NeedCategory, RequestStatus
from patronage_contracts.appointments import SPECIALIST_KIND_RU
from patronage_contracts.labels import AGENCY_RU, NEED_CATEGORY_RU, REQUEST_STATUS_RU

from ..access import HOME
from .deps import CSRF_COOKIE, User
from .i18n import LABELS_EN, LANG_COOKIE, LANGUAGES, translator

TEMPLATES = Path(__file__).parent.parent / "templates"


class TranslatedLiterals(Extension):
    """``t("literal")`` becomes the literal in the environment's language when a template is
    compiled, so a page renders it as plain text instead of calling ``t`` each time (a page
    makes dozens of such calls; Jinja's call of a context function is the costly part).
    ``t`` of anything else (``t(variable)``) is still called when the page renders. The
    language is the environment's ``literal_language`` (Russian if not set).
    """

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        translate = translator(getattr(self.environment, "literal_language", "ru"))
        tokens = list(stream)
        folded: list[Token] = []
        i = 0
        while i < len(tokens):
            window = tokens[i : i + 4]
            if (
                [token.type for token in window] == ["name", "lparen", "string", "rparen"]
                and window[0].value == "t"
                and not (folded and folded[-1].type == "dot")  # not ``x.t("...")``
            ):
                folded.append(Token(window[0].lineno, "string", translate(window[2].value)))
                i += 4
                continue
            folded.append(tokens[i])
            i += 1
        return folded


DICT_ATTRIBUTES = frozenset(dir(dict))


class PlainCallContext(Context):
    """A template context that calls what cannot take a context (a dict's or a string's
    method, ``label``, a macro) straight away: Jinja's own ``call`` looks each callable over
    for ``pass_context`` and the like first, a third of a family page's rendering."""

    @internalcode
    def call(
        __self,  # noqa: N805 -- Jinja's own signature: a keyword may be named ``self``
        __obj: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if type(__obj) in PLAIN_CALLABLES:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


class PageEnvironment(Environment):
    """Jinja's environment for pages of JSON data: ``a.b`` of a plain dict is its key ``b``
    at once (Jinja first asks the dict for an attribute ``b`` and catches the error) unless
    ``b`` is one of a dict's own attributes (``.get``, ``.items``): the same result."""

    context_class = PlainCallContext

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _templates(lang: str) -> Jinja2Templates:
    environment = PageEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(),
        extensions=[TranslatedLiterals],
        # The templates ship with the service: no look at their files' times on each render.
        auto_reload=False,
    )
    environment.extend(literal_language=lang)
    return Jinja2Templates(env=environment)


# The templates compiled once per language (their ``t("…")`` literals already translated).
TEMPLATES_BY_LANGUAGE = {lang: _templates(lang) for lang in LANGUAGES}
templates = TEMPLATES_BY_LANGUAGE["ru"]

ROLE_RU = {
    "curator": "социальный куратор",
    "dispatcher": "диспетчер",
    "agency_worker": "специалист ведомства",
    "district_head": "глава района",
    "hq_coordinator": "координатор штаба",
    "regional_admin": "администратор области",
    "regional_coordinator": "региональный координатор",
    "auditor": "аудитор",
    "medical_organization": "медицинская организация",
    "service": "сервис",
}
TASK_STATUS_RU = {"sent": "направлена", **{s.value: REQUEST_STATUS_RU[s] for s in RequestStatus}}
URGENCY_RU = {"normal": "обычная", "urgent": "срочная"}

RELATION_RU = {
    "applicant": "заявитель",
    "spouse": "супруг(а)",
    "child": "ребёнок",
    "parent": "родитель",
    "grandparent": "дедушка или бабушка",
    "grandchild": "внук или внучка",
    "sibling": "брат или сестра",
    "other": "другое",
}
SERVICEMAN_STATUS_RU = {
    "serving": "проходит службу",
    "wounded": "ранен",
    "in_rehabilitation": "на реабилитации",
    "returned": "вернулся",
    "missing": "пропал без вести",
    "deceased": "погиб",
}
ITEM_STATUS_RU = {
    "open": "открыта",
    "in_progress": "в работе",
    "met": "удовлетворена",
    "closed": "закрыта",
    "planned": "запланировано",
    "done": "выполнено",
    "cancelled": "отменено",
}

FAMILY_CATEGORY_RU = {
    "svo_family": "семья участника СВО",
    "pregnant_woman": "беременная женщина",
    "large_family": "многодетная семья",
    "elderly_person": "пожилой человек",
}
SERVICE_KIND_RU = {
    "mobilized": "мобилизован",
    "contract": "по контракту",
    "volunteer": "доброволец",
}

SLA_STATE_RU = {
    "running": "идёт",
    "at_risk": "срок на исходе",
    "paused": "на паузе",
    "breached": "срок нарушен",
    "met": "выполнено в срок",
    "missed": "выполнено с опозданием",
}
SLA_CLOCK_RU = {"first_response": "первый ответ", "resolution": "решение"}
SPECIALIST_KIND_LABELS = {k.value: v for k, v in SPECIALIST_KIND_RU.items()}

LABELS = {
    "relation": RELATION_RU,
    "serviceman_status": SERVICEMAN_STATUS_RU,
    "item_status": ITEM_STATUS_RU,
    "status": TASK_STATUS_RU,
    "category": {c.value: NEED_CATEGORY_RU[c] for c in NeedCategory},
    "agency": {a.value: AGENCY_RU[a] for a in Agency},
    "urgency": URGENCY_RU,
    "role": ROLE_RU,
    "family_category": FAMILY_CATEGORY_RU,
    "service_kind": SERVICE_KIND_RU,
    "sla_state": SLA_STATE_RU,
    "sla_clock": SLA_CLOCK_RU,
    "specialist_kind": SPECIALIST_KIND_LABELS,
}
LABELS_BY_LANGUAGE = {"ru": LABELS, "en": LABELS_EN}


def label(kind: str, value: Any, lang: str = "ru") -> str:
    """The label of an enum value in ``lang`` (the value itself if unknown)."""
    return LABELS_BY_LANGUAGE.get(lang, LABELS).get(kind, {}).get(str(value), str(value))


class Labeler:
    """The ``label(kind, value)`` function templates use, in one language."""

    def __init__(self, lang: str) -> None:
        self.labels = LABELS_BY_LANGUAGE.get(lang, LABELS)

    def __call__(self, kind: str, value: Any) -> str:
        return self.labels.get(kind, {}).get(str(value), str(value))


PLAIN_CALLABLES = frozenset({BuiltinMethodType, Labeler, Macro})
"""Types whose instances never take a template context (none is a plain function, which
may be marked ``pass_context``)."""


def language_of(request: Request) -> str:
    """The language the person chose (cookie), else the gateway's default."""
    lang = request.cookies.get(LANG_COOKIE) or request.app.state.default_language
    return lang if lang in LANGUAGES else "ru"


def pre_session_csrf(request: Request) -> str:
    """The double-submit CSRF token of a visitor who has not logged in yet."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(32))
    return token


def render(
    request: Request,
    template: str,
    user: User | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page with the shared context; sets the pre-session CSRF cookie when it is new."""
    lang = language_of(request)
    csrf = user.session.csrf_token if user else pre_session_csrf(request)
    response = TEMPLATES_BY_LANGUAGE.get(lang, templates).TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_token": csrf,
            "lang": lang,
            "t": translator(lang),
            "label": Labeler(lang),
            "home": HOME.get(user.role, "/") if user else "/login",
            **context,
        },
        status_code=status_code,
    )
    new = request.state.__dict__.get("new_csrf")
    if new:
        settings = request.app.state.settings
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="lax", secure=settings.cookie_secure
        )
    return response
