"""The signed identity: what the gateway states is what a service reads, and nothing forged."""

from datetime import timedelta

import jwt
import pytest
from patronage_common.identity import (
    Identity,
    IdentityError,
    Role,
    sign_identity,
    verify_identity,
)
from patronage_contracts import Agency

SECRET = "a-test-secret-of-enough-length-1234"


def test_a_signed_identity_reads_back_with_its_scope() -> None:
    identity = Identity(
        subject="worker-1", role=Role.AGENCY_WORKER, agency=Agency.HOUSING, display_name="Иван"
    )
    assert verify_identity(sign_identity(identity, SECRET), SECRET) == identity


def test_break_the_glass_reason_travels_with_the_identity() -> None:
    identity = Identity(subject="cur-1", role=Role.CURATOR).with_reason("замещаю коллегу")
    assert verify_identity(sign_identity(identity, SECRET), SECRET).break_glass_reason == (
        "замещаю коллегу"
    )


def test_another_secret_is_refused() -> None:
    token = sign_identity(Identity(subject="cur-1", role=Role.CURATOR), "other-secret-xxxxxxxxxxx")
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_a_changed_role_breaks_the_signature() -> None:
    token = sign_identity(Identity(subject="cur-1", role=Role.CURATOR), SECRET)
    header, _payload, signature = token.split(".")
    forged_payload = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "role": "regional_admin"},
        "x" * 32,
        algorithm="HS256",
    ).split(".")[1]
    with pytest.raises(IdentityError):
        verify_identity(f"{header}.{forged_payload}.{signature}", SECRET)


def test_an_expired_identity_is_refused() -> None:
    token = sign_identity(
        Identity(subject="cur-1", role=Role.CURATOR), SECRET, ttl=timedelta(seconds=-1)
    )
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_an_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "x", "role": "regional_admin"}, key=None, algorithm="none")
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)
