"""Application-level encryption of the most sensitive fields (Fernet, rotatable keys).

Values are stored as ``enc:<token>``. The first key encrypts; all keys decrypt, so a new
key can be put first and old values re-encrypted (``rotate``) at leisure.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:"

DEVELOPMENT_KEY = "bm90LWEtc2VjcmV0LWRldmVsb3BtZW50LW9ubHkta2U="


class FieldCipher:
    """Encrypts and decrypts single text fields."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_setting(cls, value: str) -> "FieldCipher":
        """Keys from a comma-separated setting, the encrypting one first."""
        return cls([k.strip() for k in value.split(",") if k.strip()])

    def encrypt(self, text: str) -> str:
        """Ciphertext of ``text``."""
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, value: str) -> str:
        """Plain text of a stored value (values stored before encryption pass through)."""
        if not value.startswith(PREFIX):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ValueError("encrypted field cannot be read with the configured keys") from exc

    def rotate(self, value: str) -> str:
        """Re-encrypt a stored value with the current first key."""
        if not value.startswith(PREFIX):
            return self.encrypt(value)
        return PREFIX + self._fernet.rotate(value[len(PREFIX) :].encode()).decode()
