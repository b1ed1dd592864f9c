"""Password hashing with argon2id; a fixed hash keeps unknown logins as slow as known ones."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("decoy password for unknown logins")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Does ``password`` match? Unknown accounts (None) cost the same time and fail."""
    try:
        _hasher.verify(password_hash or _decoy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None
