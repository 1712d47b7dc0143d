"""Template tags for documents written in two languages.

``{% both %}...{% endboth %}`` renders its content once in the language of the document; in a bilingual part of a
bundle (an exhibit slip, whose evidence appears once), in Welsh and then in English, joined by `` / ``::

    {% load safety_workflow_i18n %}
    <p class="mark">{% both %}{% translate "Exhibit" %} {{ exhibit.mark }}{% endboth %}</p>
"""

from __future__ import annotations

import copy
from typing import Any

from django import template
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..i18n import BILINGUAL_SEPARATOR, ENGLISH, WELSH

register = template.Library()


class BothNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> str:
        if not context.get("bilingual"):
            return self.nodelist.render(context)
        texts = []
        for language in (WELSH, ENGLISH):
            with translation.override(language):
                english = context.get("exhibit_english") if language == ENGLISH else None
                if english and context.get("exhibit") is not None:  # the exhibit's dates, written in English
                    with context.push(exhibit=_with(context["exhibit"], english)):
                        texts.append(self.nodelist.render(context))
                else:
                    texts.append(self.nodelist.render(context))
        texts = list(dict.fromkeys(texts))  # a text with no words to translate (a mark, a hash) once
        return format_html_join(mark_safe(BILINGUAL_SEPARATOR), '<span lang="{}">{}</span>',  # noqa: S308
                                ((lang, mark_safe(text)) for lang, text in zip((WELSH, "en-GB"), texts, strict=False)))  # noqa: S308


def _with(exhibit: Any, values: dict[str, Any]) -> Any:
    twin = copy.copy(exhibit)
    for name, value in values.items():
        setattr(twin, name, value)
    return twin


@register.tag("both")
def do_both(parser: Any, token: Any) -> BothNode:
    nodelist = parser.parse(("endboth",))
    parser.delete_first_token()
    return BothNode(nodelist)
