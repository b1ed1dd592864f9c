"""Enumerations shared by every message on the bus."""

from enum import StrEnum


class Agency(StrEnum):
    """An agency that receives help requests on its own topic."""

    HOUSING = "housing"
    HEALTH = "health"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    SOCIAL_PROTECTION = "social_protection"
    PSYCHOLOGICAL_HELP = "psychological_help"


class BeneficiaryCategory(StrEnum):
    """Why a family is supported."""

    SVO_FAMILY = "svo_family"
    PREGNANT_WOMAN = "pregnant_woman"
    LARGE_FAMILY = "large_family"
    ELDERLY_PERSON = "elderly_person"


class NeedCategory(StrEnum):
    """Direction of support a need or a help request belongs to."""

    SOCIAL_LEGAL = "social_legal"
    SOCIAL_DOMESTIC = "social_domestic"
    PSYCHOLOGICAL = "psychological"
    MATERIAL = "material"
    EDUCATION = "education"
    CHILDCARE = "childcare"
    HEALTH = "health"
    EMPLOYMENT = "employment"
    HOUSING = "housing"


class Urgency(StrEnum):
    """How fast a help request must be handled."""

    NORMAL = "normal"
    URGENT = "urgent"


class Channel(StrEnum):
    """Where a help request came from."""

    CURATOR = "curator"
    DISPATCHER = "dispatcher"
    CHATBOT = "chatbot"
    PORTAL = "portal"
    PROACTIVE_RULE = "proactive_rule"


class RequestStatus(StrEnum):
    """Life-cycle state of a help request."""

    NEW = "new"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AgencyTaskStatus(StrEnum):
    """State an agency reports for its part of a help request."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class SlaClock(StrEnum):
    """Which service-level clock of a help request."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class RecipientRole(StrEnum):
    """Who a notification is addressed to."""

    FAMILY = "family"
    CURATOR = "curator"
    DISTRICT_HEAD = "district_head"
    HQ_COORDINATOR = "hq_coordinator"
    REGIONAL_COORDINATOR = "regional_coordinator"


class NotificationChannel(StrEnum):
    """How a notification reaches its recipient."""

    IN_APP = "in_app"
    TELEGRAM = "telegram"
    EMAIL = "email"
    SMS = "sms"
