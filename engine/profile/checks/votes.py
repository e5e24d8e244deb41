"""Checks of votes/*.yaml against the forms and workflows they name."""
from __future__ import annotations

from engine.schema.documents import placeholders_in
from engine.lang.vote_methods import METHODS
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader


def check_votes(loader: FileReader, grouped: dict) -> None:
    """Votes: a known form and states, a known ballot method, reasons with known placeholders."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    line_names = {"approvals", "base", "base_label", "threshold", "rank", "places", "candidates", "tied"}
    for rel, rules in grouped["votes"].values():
        if rules.method not in METHODS:
            loader.add(rel, ("method",), f"unknown ballot method {rules.method!r}"
                       f"{did_you_mean(rules.method, list(METHODS))}; methods are {', '.join(METHODS)}")
        form = forms.get(rules.form)
        if form is None:
            if ("forms", rules.form) not in loader.broken:
                loader.add(rel, ("form",), f"unknown form {rules.form!r}{did_you_mean(rules.form, list(forms))}")
        elif form.workflow in workflows:
            wf = workflows[form.workflow]
            state_ids = [s.id for s in wf.states]
            for j, state in enumerate(rules.candidate_states):
                if state not in state_ids:
                    loader.add(rel, ("candidate_states", j), f"unknown state {state!r} of form '{rules.form}'"
                               f"{did_you_mean(state, state_ids)}")
            for key in ("chosen_action", "not_chosen_action"):
                action = getattr(rules, key)
                starts = {s for t in wf.transitions if t.action == action and not t.automatic for s in t.from_}
                if action and not set(rules.candidate_states) <= starts:
                    actions = sorted({t.action for t in wf.transitions})
                    loader.add(rel, (key,), f"workflow '{wf.id}' has no action {action!r} from "
                               f"{', '.join(rules.candidate_states)}{did_you_mean(action, actions)}")
        roster_form = forms.get(rules.roster.form)
        if roster_form is None:
            if ("forms", rules.roster.form) not in loader.broken:
                loader.add(rel, ("roster", "form"), f"unknown form {rules.roster.form!r}"
                           f"{did_you_mean(rules.roster.form, list(forms))}")
        else:
            votes_in = rules.roster.votes_in
            if votes_in is not None and roster_form.has_field(votes_in) and roster_form.field(votes_in).to != "townships":
                loader.add(rel, ("roster", "votes_in"), f"field '{votes_in}' of form '{roster_form.id}' is not a "
                           "township (a reference to townships)")
            for key in ("account", "name", "weight", "votes_in"):
                fid = getattr(rules.roster, key)
                if fid is None:
                    continue
                if not roster_form.has_field(fid):
                    loader.add(rel, ("roster", key), f"form '{roster_form.id}' has no field {fid!r}"
                               f"{did_you_mean(fid, [f.id for f in roster_form.fields])}")
        cost_form = forms.get(rules.cost_sheet) if rules.cost_sheet else form
        if rules.cost_sheet and cost_form is None:
            loader.add(rel, ("cost_sheet",), f"unknown form {rules.cost_sheet!r}{did_you_mean(rules.cost_sheet, list(forms))}")
        elif cost_form is not None and rules.cost_field and not cost_form.has_field(rules.cost_field):
            loader.add(rel, ("cost_field",), f"form '{cost_form.id}' has no field {rules.cost_field!r}"
                       f"{did_you_mean(rules.cost_field, [f.id for f in cost_form.fields])}")
        money_names = {"cost", "left", "budget"} if rules.places_by == "budget" else set()
        for key in type(rules.reasons).model_fields:
            known = {"places", "passed", "missing"} if key == "shortfall" else line_names | money_names
            for name in placeholders_in(getattr(rules.reasons, key) or ""):
                if name not in known:
                    loader.add(rel, ("reasons", key), f"unknown placeholder {{{name}}}"
                               f"{did_you_mean(name, sorted(known))}; known: {', '.join(sorted(known))}")
