"""The signed identity: what the gateway states is what a service reads, and nothing forged."""

import time
from datetime import timedelta

import jwt
import pytest
from patronage_common.identity import (
    Identity,
    IdentityError,
    IdentitySigner,
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


def test_a_verified_token_is_refused_with_another_secret_and_once_expired() -> None:
    token = sign_identity(
        Identity(subject="cur-1", role=Role.CURATOR), SECRET, ttl=timedelta(seconds=1)
    )
    assert verify_identity(token, SECRET).subject == "cur-1"
    # Remembered as verified, yet only for this secret and only until it expires.
    with pytest.raises(IdentityError):
        verify_identity(token, "another-secret-of-enough-length-99")
    time.sleep(1.1)
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_the_signer_reuses_a_token_per_identity() -> None:
    signer = IdentitySigner(SECRET)
    curator = Identity(subject="cur-1", role=Role.CURATOR)
    token = signer.token(curator)
    assert signer.token(curator) == token
    # A stated reason is another identity: another token, which states it.
    with_reason = signer.token(curator.with_reason("замещаю коллегу"))
    assert with_reason != token
    assert verify_identity(with_reason, SECRET).break_glass_reason == "замещаю коллегу"
    assert verify_identity(signer.token(curator), SECRET).break_glass_reason is None


def test_the_signer_signs_afresh_when_half_the_lifetime_is_gone() -> None:
    signer = IdentitySigner(SECRET, ttl=timedelta(seconds=2))
    curator = Identity(subject="cur-1", role=Role.CURATOR)
    token = signer.token(curator)
    time.sleep(1.1)
    fresh = signer.token(curator)
    assert fresh != token
    assert verify_identity(fresh, SECRET) == curator
