import pytest
from cryptography.fernet import Fernet
from patronage_common.crypto import FieldCipher

pytestmark = pytest.mark.unit


def test_round_trip_and_no_plaintext() -> None:
    cipher = FieldCipher([Fernet.generate_key().decode()])
    sealed = cipher.encrypt("СНИЛС 112-233-445 95")
    assert sealed.startswith("enc:")
    assert "112-233" not in sealed
    assert cipher.decrypt(sealed) == "СНИЛС 112-233-445 95"


def test_key_rotation_keeps_old_values_readable_and_rotates_them() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_with_old = FieldCipher([old]).encrypt("диагноз")
    rotating = FieldCipher.from_setting(f"{new}, {old}")
    assert rotating.decrypt(sealed_with_old) == "диагноз"
    rotated = rotating.rotate(sealed_with_old)
    assert FieldCipher([new]).decrypt(rotated) == "диагноз"
    with pytest.raises(ValueError, match="configured keys"):
        FieldCipher([old]).decrypt(FieldCipher([new]).encrypt("x"))


def test_values_stored_before_encryption_pass_through() -> None:
    assert FieldCipher([Fernet.generate_key().decode()]).decrypt("plain") == "plain"
