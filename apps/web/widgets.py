"""One Streamlit widget per field type, behind a registry keyed by the engine's type names.

A renderer draws the widget for a field and returns the raw value the engine's validation reads
(text for money, so no float ever touches an amount). A test checks that every field type in
engine.schema.fieldtypes.FIELD_TYPES has a renderer here.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

import streamlit as st

from apps.i18n import text
from engine.schema.forms import Field
from engine.core.runtime import Runtime
from engine.core import records
from engine.core.actors import Actor


class Context:
    """What a renderer may look at: the runtime, who is filling the form, and the other values."""

    def __init__(self, rt: Runtime, actor: Actor, lang: str, values: Mapping[str, Any],
                 required: frozenset[str] = frozenset()):
        self.rt = rt
        self.actor = actor
        self.lang = lang
        self.values = values
        self.required = required  # fields required for the values entered so far (rules apply)


Renderer = Callable[[Field, str, Context], Any]
RENDERERS: dict[str, Renderer] = {}


def renderer(*type_names: str):
    def register(fn: Renderer) -> Renderer:
        for name in type_names:
            RENDERERS[name] = fn
        return fn
    return register


def _label(f: Field, ctx: Context) -> str:
    return f.text(ctx.lang) + (" *" if f.id in ctx.required else "")


@renderer("text", "phone")
def text_input(f: Field, key: str, ctx: Context) -> Any:
    return st.text_input(_label(f, ctx), key=key, max_chars=f.max_length, help=f.help_text(ctx.lang),
                         value=str(f.default) if f.default is not None and key not in st.session_state else None)


@renderer("textarea")
def text_area(f: Field, key: str, ctx: Context) -> Any:
    return st.text_area(_label(f, ctx), key=key, max_chars=f.max_length, help=f.help_text(ctx.lang))


@renderer("integer")
def integer_input(f: Field, key: str, ctx: Context) -> Any:
    return st.number_input(_label(f, ctx), key=key, step=1, value=None, help=f.help_text(ctx.lang),
                           min_value=int(f.min) if f.min is not None else None,
                           max_value=int(f.max) if f.max is not None else None)


@renderer("number")
def number_input(f: Field, key: str, ctx: Context) -> Any:
    step = f.step or Decimal("0.01")  # the widget's float goes back to the digits shown (NumberType.parse)
    decimals = max(0, -step.normalize().as_tuple().exponent)
    return st.number_input(_label(f, ctx), key=key, step=float(step), value=None, format=f"%.{decimals}f",
                           help=f.help_text(ctx.lang), min_value=float(f.min) if f.min is not None else None,
                           max_value=float(f.max) if f.max is not None else None)


@renderer("money")
def money_input(f: Field, key: str, ctx: Context) -> Any:
    # text, not number_input: number_input returns float, and money never goes through float
    return st.text_input(_label(f, ctx), key=key, placeholder="0.00", help=f.help_text(ctx.lang))


@renderer("date")
def date_input(f: Field, key: str, ctx: Context) -> Any:
    return st.date_input(_label(f, ctx), key=key, value=None, help=f.help_text(ctx.lang), format="YYYY-MM-DD")


@renderer("choice")
def choice_input(f: Field, key: str, ctx: Context) -> Any:
    labels = {o.id: o.text(ctx.lang) for o in f.options}
    return _select(f, key, ctx, list(labels), labels)


@renderer("multichoice")
def multichoice_input(f: Field, key: str, ctx: Context) -> Any:
    labels = {o.id: o.text(ctx.lang) for o in f.options}
    return st.multiselect(_label(f, ctx), list(labels), key=key, format_func=labels.get, placeholder=text("ui.choose", ctx.lang),
                          help=f.help_text(ctx.lang), max_selections=int(f.max) if f.max is not None else None)


@renderer("score")
def score_input(f: Field, key: str, ctx: Context) -> Any:
    return st.radio(_label(f, ctx), list(range(1, (f.scale or 5) + 1)), key=key, index=None, horizontal=True,
                    help=f.help_text(ctx.lang))


@renderer("reference")
def reference_input(f: Field, key: str, ctx: Context) -> Any:
    if f.to.startswith("form:"):
        return _record_select(f, key, ctx)
    choices = ctx.rt.profile.reference_choices(f.to)
    if f.filter_by:  # stations of the chosen township only
        allowed = set(ctx.rt.stations_of(ctx.values.get(f.filter_by)))
        choices = [c for c in choices if c[0] in allowed]
    labels = {c[0]: (c[2] if ctx.lang == "en" and c[2] else c[1]) for c in choices}
    if key in st.session_state and st.session_state[key] is not None and st.session_state[key] not in labels:
        del st.session_state[key]  # the township changed: its old station no longer applies
    if f.filter_by and len(labels) == 1 and st.session_state.get(key) is None:
        st.session_state[key] = next(iter(labels))  # the township's only station
    default = f.default if f.default in labels else None
    if f.to == "townships" and ctx.actor.township in labels:
        default = ctx.actor.township  # staff of one township usually record for it
    return _select(f, key, ctx, list(labels), labels, default)


def _record_select(f: Field, key: str, ctx: Context) -> Any:
    target = f.to.removeprefix("form:")
    form = ctx.rt.forms[target].form
    if not ctx.actor.may(form.access.list):
        st.caption(f"{f.text(ctx.lang)}: {form.text(ctx.lang)}")
        return None
    filters = {}
    township = ctx.values.get("township")
    if township and "township" in form.filters:
        filters["township"] = township
    page = records.list_records(ctx.rt, ctx.actor, target, filters, page=1, page_size=200)
    labels = {r.id: f"#{r.id} {r.title}" for r in page.items}
    return _select(f, key, ctx, list(labels), labels)


def _select(f: Field, key: str, ctx: Context, options: list, labels: Mapping, default: Any = None) -> Any:
    index = options.index(default) if default in options and key not in st.session_state else None
    return st.selectbox(_label(f, ctx), options, key=key, index=index, format_func=lambda v: labels.get(v, v),
                        help=f.help_text(ctx.lang), placeholder="—")


@renderer("file")
def file_input(f: Field, key: str, ctx: Context) -> Any:
    upload = st.file_uploader(_label(f, ctx), key=key, type=list(f.accept) or None, help=f.help_text(ctx.lang),
                              max_upload_size=max(1, -(-f.max_size_kb // 1024)) if f.max_size_kb else None)
    if f.accept or f.max_size_kb:  # what the uploader says in English, said in the page's language
        st.caption(text("ui.file_rules", ctx.lang, types="、".join(a.upper() for a in f.accept) or "—",
                        size=f"{f.max_size_kb} KB" if f.max_size_kb else "—"))
    return upload  # the page turns it into (name, bytes) for the engine
