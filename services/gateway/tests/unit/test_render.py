"""Templates compiled per language: ``t("literal")`` translated once, at compile time; data
and calls rendered as Jinja renders them, by shorter ways."""

from typing import Any

import pytest
from jinja2 import pass_context
from patronage_gateway.web.i18n import translator
from patronage_gateway.web.render import TEMPLATES_BY_LANGUAGE, Labeler

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


def test_dict_keys_methods_and_context_functions_render_as_jinja_would() -> None:
    environment = TEMPLATES_BY_LANGUAGE["ru"].env
    source = (
        "{{ d.name }}|{{ d.missing }}|{{ d.get('name') }}|"
        "{{ d.items() | list | length }}{{ d['items'] }}|"
        "{{ label('status', 'routed') }}|{{ who() }}|{{ obj.name }}|{% macro m(x) %}<{{ x }}>"
        "{% endmacro %}{{ m(d.name) }}|{% for k in d %}{{ d.get(k) }}{% endfor %}"
    )

    @pass_context
    def who(context: Any) -> str:
        return str(context["whom"])

    class Obj:
        name = "атрибут"

    data = {"name": "<Иван>", "items": "ключ"}
    page = environment.from_string(source).render(
        d=data, label=Labeler("ru"), who=who, whom="куратор", obj=Obj()
    )
    # ``d.items`` is still the dict's method (its key of that name is ``d["items"]``).
    assert page == (
        "&lt;Иван&gt;||&lt;Иван&gt;|2ключ|направлена в ведомство|куратор|атрибут|"
        "<&lt;Иван&gt;>|&lt;Иван&gt;ключ"
    )
