"""Enumerations of the social passport."""

from enum import StrEnum


class ServiceKind(StrEnum):
    """How the serviceman serves."""

    MOBILIZED = "mobilized"
    CONTRACT = "contract"
    VOLUNTEER = "volunteer"


class ServicemanStatus(StrEnum):
    """Where the serviceman is now."""

    SERVING = "serving"
    WOUNDED = "wounded"
    IN_REHABILITATION = "in_rehabilitation"
    RETURNED = "returned"
    MISSING = "missing"
    DECEASED = "deceased"


class Relation(StrEnum):
    """A member's relation to the family (the applicant is the contact person)."""

    APPLICANT = "applicant"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class ConsentScope(StrEnum):
    """What the family consented to (152-FZ purpose limitation)."""

    PERSONAL_DATA = "personal_data"
    HEALTH_DATA = "health_data"
    SHARE_WITH_AGENCIES = "share_with_agencies"
    CONTACT = "contact"


class NeedStatus(StrEnum):
    """Where a need stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    MET = "met"
    CLOSED = "closed"


class PlanItemStatus(StrEnum):
    """Where a support-plan item stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class MeasureStatus(StrEnum):
    """Where an assigned support measure stands."""

    ASSIGNED = "assigned"
    PROVIDED = "provided"
