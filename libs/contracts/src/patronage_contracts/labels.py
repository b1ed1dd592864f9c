"""Russian names of enumerations, for UI and notification texts."""

from .enums import (
    Agency,
    AgencyTaskStatus,
    Channel,
    NeedCategory,
    RecipientRole,
    RequestStatus,
    SlaClock,
    Urgency,
)

REQUEST_STATUS_RU: dict[RequestStatus, str] = {
    RequestStatus.NEW: "новая",
    RequestStatus.ROUTED: "направлена в ведомство",
    RequestStatus.ACCEPTED: "принята ведомством",
    RequestStatus.IN_PROGRESS: "в работе",
    RequestStatus.NEEDS_INFO: "нужны сведения",
    RequestStatus.RESOLVED: "решена",
    RequestStatus.REJECTED: "отклонена",
    RequestStatus.CLOSED: "закрыта",
    RequestStatus.CANCELLED: "отменена",
}

AGENCY_RU: dict[Agency, str] = {
    Agency.HOUSING: "ЖКХ",
    Agency.HEALTH: "здравоохранение",
    Agency.EDUCATION: "образование",
    Agency.EMPLOYMENT: "центр занятости",
    Agency.SOCIAL_PROTECTION: "соцзащита",
    Agency.PSYCHOLOGICAL_HELP: "психологическая помощь",
}

NEED_CATEGORY_RU: dict[NeedCategory, str] = {
    NeedCategory.SOCIAL_LEGAL: "социально-правовая помощь",
    NeedCategory.SOCIAL_DOMESTIC: "социально-бытовая помощь",
    NeedCategory.PSYCHOLOGICAL: "психологическая помощь",
    NeedCategory.MATERIAL: "материальная помощь",
    NeedCategory.EDUCATION: "образование",
    NeedCategory.CHILDCARE: "присмотр за детьми",
    NeedCategory.HEALTH: "здоровье",
    NeedCategory.EMPLOYMENT: "трудоустройство",
    NeedCategory.HOUSING: "жильё",
}

AGENCY_TASK_STATUS_RU: dict[AgencyTaskStatus, str] = {
    AgencyTaskStatus.ACCEPTED: "принята",
    AgencyTaskStatus.IN_PROGRESS: "в работе",
    AgencyTaskStatus.NEEDS_INFO: "нужны сведения",
    AgencyTaskStatus.RESOLVED: "решена",
    AgencyTaskStatus.REJECTED: "отклонена",
}

CHANNEL_RU: dict[Channel, str] = {
    Channel.CURATOR: "куратор",
    Channel.DISPATCHER: "диспетчер (линия 129)",
    Channel.CHATBOT: "чат-бот",
    Channel.PORTAL: "портал",
    Channel.PROACTIVE_RULE: "проактивное правило",
}

URGENCY_RU: dict[Urgency, str] = {
    Urgency.NORMAL: "обычная",
    Urgency.URGENT: "срочная",
}

SLA_CLOCK_RU: dict[SlaClock, str] = {
    SlaClock.FIRST_RESPONSE: "первый ответ ведомства",
    SlaClock.RESOLUTION: "решение заявки",
}

RECIPIENT_ROLE_RU: dict[RecipientRole, str] = {
    RecipientRole.FAMILY: "семья",
    RecipientRole.CURATOR: "социальный куратор",
    RecipientRole.DISTRICT_HEAD: "глава района",
    RecipientRole.HQ_COORDINATOR: "координатор муниципального штаба",
    RecipientRole.REGIONAL_COORDINATOR: "региональный координатор",
}
