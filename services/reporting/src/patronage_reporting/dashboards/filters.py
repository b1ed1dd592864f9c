"""Dashboard filters and the viewer's scope over them (pure rules)."""

from dataclasses import dataclass, replace
from datetime import date

from patronage_contracts import Agency, NeedCategory

from ..deps import Viewer, ViewerRole
from ..figures import keys

MAX_PERIOD_DAYS = 3 * 366


class ScopeError(Exception):
    """The viewer may not see what the filters ask for; the message is for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: a period and optionally a district/HQ, agency, category."""

    first: date
    last: date
    district: str | None = None
    hq: str | None = None
    agency: Agency | None = None
    category: NeedCategory | None = None

    @property
    def geo(self) -> str:
        """The geo of the figures: the district, else the HQ, else the region."""
        if self.district:
            return keys.geo_district(self.district)
        if self.hq:
            return keys.geo_hq(self.hq)
        return keys.REGION

    @property
    def agency_part(self) -> str:
        """Agency part of figure ids."""
        return self.agency.value if self.agency else keys.ALL_AGENCIES

    @property
    def category_part(self) -> str:
        """Category part of figure ids."""
        return self.category.value if self.category else keys.ALL_CATEGORIES

    def describe(self) -> str:
        """The filters, in Russian (the header block of an export)."""
        parts = [f"период {self.first:%d.%m.%Y}–{self.last:%d.%m.%Y}"]
        if self.district:
            parts.append(f"район {self.district}")
        if self.hq:
            parts.append(f"штаб {self.hq}")
        if self.agency:
            parts.append(f"ведомство {self.agency.value}")
        if self.category:
            parts.append(f"категория {self.category.value}")
        return ", ".join(parts)


def validate_period(first: date, last: date) -> None:
    """Refuse a period that ends before it starts or is too long."""
    if last < first:
        raise ScopeError("to", "Конец периода раньше его начала")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise ScopeError("to", "Период длиннее трёх лет")


def scoped(filters: Filters, viewer: Viewer) -> Filters:
    """The filters narrowed to what the viewer may see; ScopeError if they ask for more."""
    if viewer.role is ViewerRole.REGIONAL:
        return filters
    if viewer.role is ViewerRole.DISTRICT_HEAD:
        if filters.district not in (None, viewer.district):
            raise ScopeError("district", "Глава района видит только свой район")
        if filters.hq is not None:
            raise ScopeError("hq", "Глава района видит только свой район")
        return replace(filters, district=viewer.district)
    if viewer.role is ViewerRole.HQ:
        if filters.district is not None or filters.hq not in (None, viewer.hq):
            raise ScopeError("hq", "Координатор штаба видит только свой штаб")
        return replace(filters, hq=viewer.hq)
    if filters.agency is not None and filters.agency.value != viewer.agency:
        raise ScopeError("agency", "Ведомство видит только свои показатели")
    try:
        agency = Agency(viewer.agency or "")
    except ValueError:
        raise ScopeError("agency", "Неизвестное ведомство") from None
    return replace(filters, agency=agency)


def may_see_families(viewer: Viewer) -> bool:
    """Coverage and curator workload are not an agency's figures."""
    return viewer.role is not ViewerRole.AGENCY
