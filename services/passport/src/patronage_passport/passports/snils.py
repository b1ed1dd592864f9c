"""SNILS (страховой номер индивидуального лицевого счёта) with its checksum."""

import re

_DIGITS = re.compile(r"\D")
CHECKSUM_FROM = 1_001_998  # numbers up to 001-001-998 predate the checksum rule


def normalize_snils(raw: str) -> str:
    """Return ``XXX-XXX-XXX YY`` or raise ``ValueError`` in Russian."""
    digits = _DIGITS.sub("", raw)
    if len(digits) != 11:
        raise ValueError("СНИЛС должен содержать 11 цифр")
    number, control = digits[:9], int(digits[9:])
    if int(number) > CHECKSUM_FROM and control != snils_checksum(number):
        raise ValueError("СНИЛС введён с ошибкой: не сходится контрольное число")
    return f"{number[:3]}-{number[3:6]}-{number[6:]} {digits[9:]}"


def snils_checksum(number: str) -> int:
    """Control number of the first nine digits."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(number))
    while total > 101:
        total %= 101
    return 0 if total in (100, 101) else total
