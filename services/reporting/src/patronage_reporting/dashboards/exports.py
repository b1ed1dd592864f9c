"""Exports: a dashboard as a table with Russian headers and a header block, CSV or XLSX."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from patronage_contracts import (
    Agency,
    NeedCategory,
    RecipientRole,
    RequestStatus,
    SpecialistKind,
)
from patronage_contracts.appointments import SPECIALIST_KIND_RU
from patronage_contracts.labels import (
    AGENCY_RU,
    NEED_CATEGORY_RU,
    RECIPIENT_ROLE_RU,
    REQUEST_STATUS_RU,
)

Cell = str | int | float | None

TASK_STATUS_RU = {"sent": "направлена, ответа нет"}
CLOCK_RU = {"first_response": "первый ответ", "resolution": "решение"}


@dataclass(frozen=True)
class Table:
    """A report as a table: what it is, for whom, when, and its rows."""

    title: str
    viewer: str
    filters: str
    generated_at: datetime
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]

    def header_block(self) -> list[list[Cell]]:
        """The lines above the table: what, when, for whom, with which filters."""
        return [
            ["Отчёт", self.title],
            ["Сформирован", self.generated_at.strftime("%d.%m.%Y %H:%M %Z").strip()],
            ["Для кого", self.viewer],
            ["Отбор", self.filters],
            [],
        ]


def to_csv(table: Table) -> bytes:
    """CSV (semicolon-separated, UTF-8 with BOM so that Excel reads Cyrillic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(table.header_block())
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    """An XLSX workbook with one sheet: the header block, then the table."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Отчёт"
    for line in table.header_block():
        sheet.append(line)
    sheet.append(list(table.columns))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(list(row))
    for index, _ in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def status_ru(status: str) -> str:
    """A request or agency task status in Russian."""
    try:
        return REQUEST_STATUS_RU[RequestStatus(status)]
    except ValueError:
        return TASK_STATUS_RU.get(status, status)


def category_ru(category: str) -> str:
    """A need category in Russian."""
    try:
        return NEED_CATEGORY_RU[NeedCategory(category)]
    except ValueError:
        return category


def agency_ru(agency: str) -> str:
    """An agency in Russian."""
    try:
        return AGENCY_RU[Agency(agency)]
    except ValueError:
        return agency


def recipient_ru(role: str) -> str:
    """Who a request is escalated to, in Russian."""
    try:
        return RECIPIENT_ROLE_RU[RecipientRole(role)]
    except ValueError:
        return role


def hours(seconds: float | None) -> float | None:
    """Seconds as hours with one decimal."""
    return None if seconds is None else round(seconds / 3600, 1)


def requests_rows(figures: dict[str, Any]) -> list[list[Cell]]:
    """The requests dashboard as indicator/value rows."""
    rows: list[list[Cell]] = []
    for status, n in sorted(figures["live"]["by_status"].items()):
        rows.append([f"Сейчас в статусе «{status_ru(status)}»", n])
    period = figures["period"]
    rows.append(["Поступило за период", period["created"]])
    for status, n in sorted(period["entered"].items()):
        rows.append([f"Перешли в статус «{status_ru(status)}» за период", n])
    for clock, label in (("first_response", "первого ответа"), ("resolution", "решения")):
        summary = period[clock]
        rows.append([f"Время {label}: число заявок", summary["count"]])
        rows.append([f"Время {label}: медиана, ч", hours(summary["median_s"])])
        rows.append([f"Время {label}: 90-й процентиль, ч", hours(summary["p90_s"])])
    for clock, sla in period["sla"].items():
        rows.append([f"Соблюдение сроков ({CLOCK_RU[clock]}), %", sla["compliance_percent"]])
        rows.append([f"Предупреждений о сроке ({CLOCK_RU[clock]})", sla["warned"]])
        rows.append([f"Нарушений срока ({CLOCK_RU[clock]})", sla["breached"]])
    for level, n in period["escalations"].items():
        rows.append([f"Эскалаций: {recipient_ru(level)}", n])
    satisfaction = period["satisfaction"]
    rows.append(["Оценок семей", satisfaction["count"]])
    rows.append(["Средняя оценка", satisfaction["average"]])
    return rows


def families_rows(figures: dict[str, Any]) -> list[list[Cell]]:
    """Coverage by district, then needs and measures, as indicator/value rows."""
    coverage = figures["coverage"]
    rows: list[list[Cell]] = [
        ["Семей с паспортом", coverage["families"]],
        ["Семей, имеющих право на сопровождение", coverage["eligible"]],
        ["Подключено (куратор и согласие)", coverage["connected"]],
        ["Доля подключённых, %", coverage["connected_percent"]],
    ]
    for district, f in coverage["by_district"].items():
        rows.append(
            [f"Район {district}: подключено / имеют право", f"{f['connected']} / {f['eligible']}"]
        )
    for category, n in sorted(figures["needs_open"].items()):
        rows.append([f"Открытые потребности: {category_ru(category)}", n])
    for code, m in figures["measures"].items():
        rows.append(
            [f"Мера {code}: назначено / предоставлено", f"{m['assigned']} / {m['provided']}"]
        )
    return rows


WORKLOAD_COLUMNS = (
    "Куратор",
    "Семей",
    "Открытых потребностей",
    "Открытых заявок",
    "Просроченных пунктов плана",
)


def workload_rows(rows: list[dict[str, Any]]) -> list[list[Cell]]:
    """Curator workload rows."""
    return [
        [
            r["curator_id"],
            r["families"],
            r["open_needs"],
            r["open_requests"],
            r["overdue_plan_items"],
        ]
        for r in rows
    ]


OVERDUE_COLUMNS = (
    "Заявка",
    "Срок",
    "Что просрочено",
    "Просрочка, ч",
    "Категория",
    "Район",
    "Ведомства",
)


def overdue_rows(rows: list[dict[str, Any]]) -> list[list[Cell]]:
    """Overdue request rows."""
    return [
        [
            r["request_id"],
            r["due_at"],
            CLOCK_RU.get(r["clock"], r["clock"]),
            hours(r["late_s"]),
            category_ru(r.get("category") or ""),
            r.get("district"),
            ", ".join(agency_ru(a) for a in r.get("agencies", [])),
        ]
        for r in rows
    ]


def appointments_rows(figures: dict[str, Any]) -> list[list[Cell]]:
    """Appointments by kind of specialist, then by specialist, as indicator/value rows."""
    rows: list[list[Cell]] = []
    labels = (
        ("booked", "Записей на приём за период"),
        ("cancelled", "Отмен за период"),
        ("rescheduled", "Переносов за период"),
    )
    for what, label in labels:
        for kind, n in sorted(figures["period"][what].items()):
            rows.append([f"{label}: {specialist_kind_ru(kind)}", n])
    for kind, n in sorted(figures["active"].items()):
        rows.append([f"Предстоящих приёмов сейчас: {specialist_kind_ru(kind)}", n])
    for s in figures["by_specialist"]:
        who = s["title"] or s["specialist_id"]
        rows.append(
            [
                f"{who}: записей / отмен / переносов / предстоит",
                f"{s['booked']} / {s['cancelled']} / {s['rescheduled']} / {s['active']}",
            ]
        )
    return rows


def specialist_kind_ru(kind: str) -> str:
    """A kind of specialist in Russian."""
    try:
        return SPECIALIST_KIND_RU[SpecialistKind(kind)]
    except ValueError:
        return "не указан"
