"""Kafka subscribers: every projected event of the passport, requests and appointments topics."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Message, message_type
from patronage_contracts.topics import (
    APPOINTMENT_EVENTS_TOPIC,
    PASSPORT_EVENTS_TOPIC,
    REQUEST_EVENTS_TOPIC,
)

from ..appointment_figures.projection import PROJECTIONS as APPOINTMENT_PROJECTIONS
from ..family_figures.projection import PROJECTIONS as FAMILY_PROJECTIONS
from ..request_figures.projection import PROJECTIONS as REQUEST_PROJECTIONS
from ..settings import ReportingSettings
from .engine import apply_live

REQUESTS_CONSUMER = "reporting.requests"
PASSPORT_CONSUMER = "reporting.passport"
APPOINTMENTS_CONSUMER = "reporting.appointments"

request_events = EventRouter(
    REQUEST_EVENTS_TOPIC.name, consumer=REQUESTS_CONSUMER, description="Request figures"
)
passport_events = EventRouter(
    PASSPORT_EVENTS_TOPIC.name, consumer=PASSPORT_CONSUMER, description="Family figures"
)
appointment_events = EventRouter(
    APPOINTMENT_EVENTS_TOPIC.name,
    consumer=APPOINTMENTS_CONSUMER,
    description="Appointment figures",
)


async def project_event(event: Message, runtime: ServiceRuntime) -> None:
    """Project one contract event into the reporting state and figures."""
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    await apply_live(db=runtime.db, event=event.model_dump(mode="json"), zone=settings.zone)


for _name in REQUEST_PROJECTIONS:
    request_events.add(message_type(_name), project_event)
for _name in FAMILY_PROJECTIONS:
    passport_events.add(message_type(_name), project_event)
for _name in APPOINTMENT_PROJECTIONS:
    appointment_events.add(message_type(_name), project_event)

EVENT_ROUTERS = (request_events, passport_events, appointment_events)
