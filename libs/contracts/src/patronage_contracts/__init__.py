"""Patronage bus contracts: every message on Kafka, and the topic catalogue."""

from .agencies import AgencyTaskStatusReported, ApplicantView, ChildView, HandleHelpRequest
from .enums import (
    Agency,
    AgencyTaskStatus,
    BeneficiaryCategory,
    Channel,
    NeedCategory,
    NotificationChannel,
    RecipientRole,
    RequestStatus,
    Urgency,
)
from .envelope import Command, Event, Message, utc_now
from .notifications import NotificationRecorded
from .passport import (
    ConsentWithdrawn,
    CuratorAssigned,
    MeasureAssigned,
    MeasureProvided,
    NeedClosed,
    NeedRecorded,
    PassportRegistered,
    PassportUpdated,
    PlanItemAdded,
    PlanItemStatusChanged,
    ServicemanStatusChanged,
)
from .registry import ALL_MESSAGES, message_type, parse_message
from .requests import (
    AgencyTaskRef,
    AgencyTaskStatusChanged,
    AgencyTransitionRefused,
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
)
from .topics import CATALOGUE, TopicSpec, dlq_topic_name, topic_of

__all__ = [
    "ALL_MESSAGES",
    "CATALOGUE",
    "Agency",
    "AgencyTaskRef",
    "AgencyTaskStatus",
    "AgencyTaskStatusChanged",
    "AgencyTaskStatusReported",
    "AgencyTransitionRefused",
    "ApplicantView",
    "BeneficiaryCategory",
    "Channel",
    "ChildView",
    "Command",
    "ConsentWithdrawn",
    "CuratorAssigned",
    "Event",
    "HandleHelpRequest",
    "MeasureAssigned",
    "MeasureProvided",
    "Message",
    "NeedCategory",
    "NeedClosed",
    "NeedRecorded",
    "NotificationChannel",
    "NotificationRecorded",
    "PassportRegistered",
    "PassportUpdated",
    "PlanItemAdded",
    "PlanItemStatusChanged",
    "RecipientRole",
    "RequestCreated",
    "RequestRouted",
    "RequestStatus",
    "RequestStatusChanged",
    "ServicemanStatusChanged",
    "TopicSpec",
    "Urgency",
    "dlq_topic_name",
    "message_type",
    "parse_message",
    "topic_of",
    "utc_now",
]
