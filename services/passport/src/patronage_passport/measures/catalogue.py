"""Loading the support-measures catalogue: the packaged one or a region's override file."""

from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .models import Measure, Rule

PACKAGED_CATALOGUE = "catalogue.yaml"
_PACKAGE = __name__.rpartition(".")[0]


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the file and the measure."""


class Catalogue:
    """An ordered, read-only set of measures with unique codes."""

    __slots__ = ("_by_code", "_measures")

    def __init__(self, measures: Iterable[Measure]) -> None:
        """Keep the measures in the given order; refuse duplicate codes."""
        self._measures = tuple(measures)
        self._by_code: dict[str, Measure] = {}
        for measure in self._measures:
            if measure.code in self._by_code:
                raise CatalogueError(f"код меры «{measure.code}» повторяется в каталоге")
            self._by_code[measure.code] = measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures in catalogue order."""
        return self._measures

    def get(self, code: str) -> Measure:
        """The measure with this code; ``KeyError`` naming the code when there is none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"в каталоге нет меры с кодом «{code}»") from None

    def __contains__(self, code: object) -> bool:
        """Whether a measure with this code is catalogued."""
        return code in self._by_code

    def __iter__(self) -> Iterator[Measure]:
        """The measures in catalogue order."""
        return iter(self._measures)

    def __len__(self) -> int:
        """How many measures are catalogued."""
        return len(self._measures)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The packaged catalogue, or a region's override file of the same shape."""
    if path is None:
        source = f"{_PACKAGE}/{PACKAGED_CATALOGUE}"
        text = resources.files(_PACKAGE).joinpath(PACKAGED_CATALOGUE).read_text("utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogueError(
                f"каталог мер {source}: не удалось прочитать файл ({exc})"
            ) from exc
    return parse_catalogue(text, source=source)


def parse_catalogue(text: str, *, source: str = "<text>") -> Catalogue:
    """A catalogue from YAML text: a list of measures."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"каталог мер {source}: ошибка YAML: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise CatalogueError(f"каталог мер {source}: ожидается непустой список мер")
    measures = [_measure(entry, number, source) for number, entry in enumerate(data, start=1)]
    try:
        return Catalogue(measures)
    except CatalogueError as exc:
        raise CatalogueError(f"каталог мер {source}: {exc}") from None


def _measure(entry: Any, number: int, source: str) -> Measure:
    where = f"каталог мер {source}, запись {number}"
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: мера должна быть словарём с ключами code, title, …")
    code = entry.get("code")
    if code is not None:
        where = f"{where}, мера «{code}»"
    try:
        return Measure.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise CatalogueError(f"{where}: {problems}") from None


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(part) for part in error["loc"]) or "мера"
    if error["type"] == "extra_forbidden":
        allowed = Rule.model_fields if error["loc"][:1] == ("rule",) else Measure.model_fields
        return f"{loc}: неизвестный ключ (допустимы: {', '.join(allowed)})"
    if error["type"] == "missing":
        return f"{loc}: обязательный ключ не указан"
    if error["type"] == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{loc}: недопустимое значение {error['input']!r} (допустимы: {expected})"
    return f"{loc}: {error['msg']}"
