"""Accounts and sessions as the gateway stores them."""

from datetime import datetime

from patronage_common.identity import Identity, Role
from patronage_contracts import Agency
from pydantic import BaseModel, ConfigDict, Field


class Account(BaseModel):
    """A person who may log in; ``login`` is the document ``_id``."""

    model_config = ConfigDict(frozen=True)

    login: str
    display_name: str
    role: Role
    district: str | None = None
    hq: str | None = None
    agency: Agency | None = None
    password_hash: str | None = None
    disabled: bool = False

    def identity(self) -> Identity:
        """The identity this account acts with."""
        return Identity(
            subject=self.login,
            role=self.role,
            display_name=self.display_name,
            district=self.district,
            hq=self.hq,
            agency=self.agency,
        )


class DemoAccount(BaseModel):
    """An account of the demo file, with its demo password in the clear."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8)
    display_name: str
    role: Role
    district: str | None = None
    hq: str | None = None
    agency: Agency | None = None


class Session(BaseModel):
    """A server-side session (UI cookie) or API token; stored by the token's hash."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "ui" or "api"
    identity: Identity
    csrf_token: str
    expires_at: datetime
