"""The topic catalogue: every topic on the bus, its key, sizing, retention and parties.

Event topics keep their history forever (retention -1, delete policy without a time limit)
so that any read model can be rebuilt by replaying them from the beginning.
"""

from dataclasses import dataclass, field

from .agencies import AGENCY_COMMANDS, AgencyCommand, AgencyTaskStatusReported
from .appointments import APPOINTMENT_EVENTS
from .enums import Agency
from .envelope import Message
from .intake import INTAKE_COMMANDS
from .notifications import IN_APP_EVENTS, NOTIFICATION_EVENTS
from .passport import PASSPORT_EVENTS
from .requests import REQUEST_EVENTS
from .sla import SLA_EVENTS

FOREVER = -1
WEEK_MS = 7 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    """One Kafka topic of the bus."""

    name: str
    description: str
    producer: str
    consumers: tuple[str, ...]
    messages: tuple[type[Message], ...]
    key: str = "family_id"
    partitions: int = 3
    retention_ms: int = FOREVER
    cleanup_policy: str = "delete"
    config: dict[str, str] = field(default_factory=dict)

    def kafka_config(self) -> dict[str, str]:
        """Topic-level configuration to create the topic with."""
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_ms),
            **self.config,
        }


PASSPORT_EVENTS_TOPIC = TopicSpec(
    name="passport.events",
    description="Everything that happens to social passports: registration, curators, "
    "needs, measures, the support plan, the serviceman's status, consent.",
    producer="passport",
    consumers=("requests", "notifications", "reporting"),
    messages=PASSPORT_EVENTS,
)

REQUEST_EVENTS_TOPIC = TopicSpec(
    name="requests.events",
    description="The life of help requests: creation, routing, status changes, agency "
    "task progress, refused agency transitions, handoffs, answers to agencies' questions, "
    "family feedback and requests for the curator's attention; curator tasks of proactive "
    "rules; SLA clocks: warnings, breaches and escalations.",
    producer="requests",
    # The requests service reads its own topic too (SLA clocks, curator contact); the
    # passport service links requests to plan items.
    consumers=("requests", "notifications", "reporting", "gateway", "passport"),
    messages=(*REQUEST_EVENTS, *SLA_EVENTS),
)

REQUEST_INTAKE_TOPIC = TopicSpec(
    name="requests.intake",
    description="Help requests submitted by channels that are not a person at a form (the "
    "families' chat-bot, proactive rules, bulk imports). The submitter chooses the request "
    "id, so a resubmitted command is dropped, not created twice; an invalid one goes to the "
    "DLQ with the reason.",
    producer="chat-bot, proactive rules, imports",
    consumers=("requests",),
    messages=INTAKE_COMMANDS,
    retention_ms=WEEK_MS,
)

APPOINTMENT_EVENTS_TOPIC = TopicSpec(
    name="appointments.events",
    description="The dispatcher line (129) and appointments: registered calls, appointments "
    "booked, cancelled and rescheduled, reminders due before an appointment.",
    producer="requests",
    consumers=("notifications", "reporting", "gateway"),
    messages=APPOINTMENT_EVENTS,
)

NOTIFICATION_EVENTS_TOPIC = TopicSpec(
    name="notifications.events",
    description="Notifications decided for families, curators and heads.",
    producer="notifications",
    consumers=("gateway",),
    messages=NOTIFICATION_EVENTS,
    retention_ms=4 * WEEK_MS,
)

IN_APP_TOPIC = TopicSpec(
    name="notifications.in-app",
    description="In-app notifications as they go out, for the curators' live streams. Every "
    "replica of the notifications service reads all partitions from the end, without a "
    "consumer group, and pushes each to the streams open on it; the inbox in the store is "
    "the durable record, so a day of history is enough.",
    producer="notifications",
    consumers=("notifications (every replica)",),
    messages=IN_APP_EVENTS,
    retention_ms=DAY_MS,
)


def agency_requests_topic(agency: Agency) -> TopicSpec:
    """The topic an agency consumes its help-request tasks from."""
    return TopicSpec(
        name=f"agency.{agency.value}.requests",
        description=f"Help-request tasks for the {agency.value} agency, in its minimal view, "
        "and what follows on them: answers to its questions, cancellations, reopenings.",
        producer="requests",
        consumers=(f"agency:{agency.value}",),
        messages=AGENCY_COMMANDS,
    )


def agency_status_topic(agency: Agency) -> TopicSpec:
    """The topic an agency publishes its task status reports on."""
    return TopicSpec(
        name=f"agency.{agency.value}.status",
        description=f"Status reports of the {agency.value} agency on its tasks.",
        producer=f"agency:{agency.value}",
        consumers=("requests",),
        messages=(AgencyTaskStatusReported,),
    )


def dlq_topic_name(topic: str) -> str:
    """Name of the dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX


AGENCY_REQUEST_TOPICS: dict[Agency, TopicSpec] = {a: agency_requests_topic(a) for a in Agency}
AGENCY_STATUS_TOPICS: dict[Agency, TopicSpec] = {a: agency_status_topic(a) for a in Agency}

CATALOGUE: tuple[TopicSpec, ...] = (
    PASSPORT_EVENTS_TOPIC,
    REQUEST_EVENTS_TOPIC,
    REQUEST_INTAKE_TOPIC,
    APPOINTMENT_EVENTS_TOPIC,
    NOTIFICATION_EVENTS_TOPIC,
    IN_APP_TOPIC,
    *AGENCY_REQUEST_TOPICS.values(),
    *AGENCY_STATUS_TOPICS.values(),
)


def dead_letter_topics() -> tuple[TopicSpec, ...]:
    """One DLQ per topic that somebody consumes; kept four weeks for inspection."""
    return tuple(
        TopicSpec(
            name=dlq_topic_name(spec.name),
            description=f"Messages of {spec.name} that could not be processed, with the reason.",
            producer="any consumer of " + spec.name,
            consumers=("operators",),
            messages=(),
            partitions=1,
            retention_ms=4 * WEEK_MS,
        )
        for spec in CATALOGUE
    )


_TOPIC_OF_TYPE: dict[type[Message], TopicSpec] = {
    message: spec
    for spec in (
        PASSPORT_EVENTS_TOPIC,
        REQUEST_EVENTS_TOPIC,
        REQUEST_INTAKE_TOPIC,
        APPOINTMENT_EVENTS_TOPIC,
        NOTIFICATION_EVENTS_TOPIC,
        IN_APP_TOPIC,
    )
    for message in spec.messages
}


def topic_of(message: Message) -> str:
    """Catalogue topic name a message is published on."""
    if isinstance(message, AgencyCommand):
        return AGENCY_REQUEST_TOPICS[message.agency].name
    if isinstance(message, AgencyTaskStatusReported):
        return AGENCY_STATUS_TOPICS[message.agency].name
    try:
        return _TOPIC_OF_TYPE[type(message)].name
    except KeyError as exc:
        raise LookupError(f"{type(message).__name__} has no topic in the catalogue") from exc
