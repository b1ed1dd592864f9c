"""Russian names of enumerations, for UI and notification texts."""

from .enums import Agency, NeedCategory, RecipientRole, RequestStatus, SlaClock

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
