"""Templates compiled per language: ``t("literal")`` translated once, at compile time."""

import pytest
from patronage_gateway.web.i18n import translator
from patronage_gateway.web.render import TEMPLATES_BY_LANGUAGE

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_literal_translations_are_compiled_in_and_the_rest_still_called(lang: str) -> None:
    environment = TEMPLATES_BY_LANGUAGE[lang].env
    source = '{{ t("Выйти") }}|{{ t(word) }}|{{ obj.t("Выйти") }}|{{ t("<b>") }}'
    compiled = environment.compile(source, raw=True)
    # Calls are left only for t(word) and obj.t(...): t("Выйти") and t("<b>") are text.
    assert compiled.count("context.call(") == 2
    calls: list[str] = []

    def spy(text: str) -> str:
        calls.append(text)
        return translator(lang)(text)

    class Obj:
        def t(self, text: str) -> str:
            return f"obj:{text}"

    page = environment.from_string(source).render(t=spy, word="Выйти", obj=Obj())
    expected = "Log out" if lang == "en" else "Выйти"
    assert page == f"{expected}|{expected}|obj:Выйти|&lt;b&gt;"
    assert calls == ["Выйти"]  # only the variable one was translated at render time
