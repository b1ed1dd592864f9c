"""Russian by default; English when the person chose it (cookie ``lang``).

Templates write Russian text through ``t("...")``; the English catalogue translates it.
Text missing from the catalogue stays Russian. Names of enumeration values (statuses,
categories, agencies...) go through ``label(kind, value)``: Russian from
``web.render.LABELS``, English from ``LABELS_EN`` here (a unit test keeps them in step).
"""

LANGUAGES = ("ru", "en")
LANG_COOKIE = "lang"

EN: dict[str, str] = {
    "Патронаж": "Patronage",
    "сопровождение семей": "family support",
    "Вход": "Log in",
    "Войти": "Log in",
    "Выйти": "Log out",
    "Логин": "Login",
    "Пароль": "Password",
    "Войти через региональную учётную запись": "Log in with the regional account",
    "Неверный логин или пароль": "Wrong login or password",
    "Мои семьи": "My families",
    "Новая семья": "New family",
    "Семья": "Family",
    "Заявитель": "Applicant",
    "Телефон": "Phone",
    "Район": "District",
    "Штаб": "HQ",
    "Населённый пункт": "Locality",
    "Открытые потребности": "Open needs",
    "Категории": "Categories",
    "Открыть": "Open",
    "Социальный паспорт": "Social passport",
    "Военнослужащий": "Serviceman",
    "Члены семьи": "Family members",
    "Контакты": "Contacts",
    "Адрес": "Address",
    "Потребности": "Needs",
    "План сопровождения": "Support plan",
    "Заявки": "Requests",
    "Заявка": "Request",
    "Создать заявку": "Create a request",
    "Направление": "Category",
    "Описание": "Description",
    "Срочность": "Urgency",
    "обычная": "normal",
    "срочная": "urgent",
    "Сохранить": "Save",
    "Изменить контакты": "Edit contacts",
    "Статус": "Status",
    "Ведомство": "Agency",
    "Комментарий": "Comment",
    "Входящие заявки ведомства": "Agency inbox",
    "Принять": "Accept",
    "В работе": "In progress",
    "Запросить сведения": "Ask for information",
    "Решить": "Resolve",
    "Отказать": "Reject",
    "Текст (результат, вопрос или причина)": "Text (result, question or reason)",
    "Пульт диспетчера": "Dispatcher desk",
    "Найти": "Find",
    "ФИО": "Full name",
    "Сводка по заявкам": "Requests dashboard",
    "Выгрузить CSV": "Export CSV",
    "Журнал доступа": "Audit log",
    "День": "Day",
    "Кто": "Who",
    "Объект": "Subject",
    "Действие": "Action",
    "Причина": "Reason",
    "Вне зоны": "Out of scope",
    "Доступ к чужой семье": "Access to another family",
    "Укажите причину доступа": "State the reason for access",
    "Продолжить": "Continue",
    "Доступ запрещён": "Access denied",
    "Не найдено": "Not found",
    "Ничего не найдено": "Nothing found",
    "Обновляется автоматически": "Updates automatically",
    "Дата рождения": "Birth date",
    "Согласие на обработку персональных данных получено": (
        "Consent to personal data processing given"
    ),
    "Вид службы": "Service kind",
    "Зарегистрировать семью": "Register the family",
    "Всего": "Total",
    "Медицинские сведения": "Health data",
    "Язык": "Language",
    "Подходящие меры поддержки": "Eligible support measures",
    "История изменений": "History of changes",
    "Сервис временно недоступен": "Service temporarily unavailable",
    "Уведомления": "Notifications",
    "инвалидность": "disability",
    "беременность": "pregnancy",
}

# English names of the values ``web.render.LABELS`` names in Russian, kind by kind.
LABELS_EN: dict[str, dict[str, str]] = {
    "status": {
        "new": "new",
        "sent": "sent",
        "routed": "sent to an agency",
        "accepted": "accepted by the agency",
        "in_progress": "in progress",
        "needs_info": "information needed",
        "resolved": "resolved",
        "rejected": "rejected",
        "closed": "closed",
        "cancelled": "cancelled",
    },
    "category": {
        "social_legal": "social and legal help",
        "social_domestic": "everyday social help",
        "psychological": "psychological help",
        "material": "material help",
        "education": "education",
        "childcare": "childcare",
        "health": "health",
        "employment": "employment",
        "housing": "housing",
    },
    "agency": {
        "housing": "housing and utilities",
        "health": "healthcare",
        "education": "education",
        "employment": "employment centre",
        "social_protection": "social protection",
        "psychological_help": "psychological help",
    },
    "urgency": {"normal": "normal", "urgent": "urgent"},
    "role": {
        "curator": "social curator",
        "dispatcher": "dispatcher",
        "agency_worker": "agency specialist",
        "district_head": "district head",
        "hq_coordinator": "HQ coordinator",
        "regional_admin": "regional administrator",
        "auditor": "auditor",
        "medical_organization": "medical organization",
        "service": "service",
    },
    "relation": {
        "applicant": "applicant",
        "spouse": "spouse",
        "child": "child",
        "parent": "parent",
        "grandparent": "grandparent",
        "grandchild": "grandchild",
        "sibling": "sibling",
        "other": "other",
    },
    "serviceman_status": {
        "serving": "serving",
        "wounded": "wounded",
        "in_rehabilitation": "in rehabilitation",
        "returned": "returned",
        "missing": "missing in action",
        "deceased": "killed",
    },
    "item_status": {
        "open": "open",
        "in_progress": "in progress",
        "met": "met",
        "closed": "closed",
        "planned": "planned",
        "done": "done",
        "cancelled": "cancelled",
    },
    "family_category": {
        "svo_family": "family of an SVO participant",
        "pregnant_woman": "pregnant woman",
        "large_family": "large family",
        "elderly_person": "elderly person",
    },
    "service_kind": {
        "mobilized": "mobilized",
        "contract": "under contract",
        "volunteer": "volunteer",
    },
}


def translator(lang: str) -> "Translator":
    """The ``t`` function templates use."""
    return Translator(lang if lang in LANGUAGES else "ru")


class Translator:
    """Russian text in, the chosen language out."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, text: str) -> str:
        if self.lang == "en":
            return EN.get(text, text)
        return text
