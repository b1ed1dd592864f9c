"""What each agency may see of a family: built from the snapshot, limited by AGENCY_VIEWS."""

from datetime import date
from typing import Any
from uuid import UUID

from patronage_common.store import Document
from patronage_contracts import (
    AGENCY_VIEWS,
    AddressView,
    Agency,
    ApplicantView,
    ChildView,
    HouseholdView,
    MemberView,
)

CHILD = "child"


def family_view(agency: Agency, family: Document, *, member_id: UUID | None) -> dict[str, Any]:
    """HandleHelpRequest's family fields for ``agency``: only what it needs, nothing more.

    ``member_id`` is the member the request concerns (the applicant if not given). A family
    that did not consent to sharing its data with agencies gets none of these fields.
    """
    if not family.get("share_with_agencies"):
        return {}
    parts = AGENCY_VIEWS[agency]
    members: list[Document] = family.get("members") or []
    view: dict[str, Any] = {}
    if "applicant" in parts:
        view["applicant"] = ApplicantView(
            full_name=family["applicant_full_name"], phone=family.get("phone")
        )
    if "children" in parts:
        view["children"] = tuple(
            ChildView(
                full_name=m["full_name"],
                birth_date=date.fromisoformat(m["birth_date"]),
                school=m.get("school"),
                grade=m.get("grade"),
                kindergarten=m.get("kindergarten"),
            )
            for m in members
            if m["relation"] == CHILD
        )
    if "member" in parts:
        wanted = str(member_id) if member_id else family.get("applicant_member_id")
        concerned = next((m for m in members if m["member_id"] == wanted), None)
        if concerned is not None:
            view["member"] = MemberView(
                full_name=concerned["full_name"],
                birth_date=date.fromisoformat(concerned["birth_date"]),
                has_disability=concerned.get("has_disability", False),
            )
    if "address" in parts and family.get("address"):
        view["address"] = AddressView.model_validate(family["address"])
    if "household" in parts:
        view["household"] = HouseholdView(
            categories=tuple(family.get("categories") or ()),
            members_count=len(members),
            children_count=sum(1 for m in members if m["relation"] == CHILD),
        )
    return view
