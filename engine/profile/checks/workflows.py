"""Checks of workflows: known states, roles, forms and rules; a graph with no unreachable state and no
dead end; conditions and decisions type-checked against the forms that use them."""
from __future__ import annotations



from engine.schema.county import CLOCK_NAMES, County
from engine.profile.problems import did_you_mean
from engine.schema.workflow import REACTION_ACTIONS, Workflow
from engine.lang.expr import Compiled, compile_expression
from engine.lang.syntax import BOOL, ExprError, list_of
from engine.profile.reader import FileReader
from engine.profile.checks.references import expression_names


def check_workflows(loader: FileReader, county: County, grouped: dict, rules: dict) -> dict:
    """Transitions: known states, roles, forms and rules; a graph with no unreachable state and no
    dead end; conditions type-checked against every form that uses the workflow."""
    conditions: dict[tuple[str, str, int], Compiled] = {}
    role_ids = [r.id for r in county.roles]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    for wf_id, (rel, wf) in grouped["workflows"].items():
        if not (wf.transitions or wf.reactions or wf.sheets or wf.merge or wf.split):
            continue  # a workflow without transitions only names its states
        state_ids = [s.id for s in wf.states]
        users = [f for f in forms.values() if f.workflow == wf_id]

        def check_states(at: tuple, states: tuple[str, ...]) -> None:
            for j, state in enumerate(states):
                if state not in state_ids:
                    loader.add(rel, at + (j,) if len(states) > 1 else at,
                               f"unknown state {state!r}{did_you_mean(state, state_ids)}")

        def check_role_list(at: tuple, roles: tuple[str, ...]) -> None:
            for j, role in enumerate(roles):
                if role not in role_ids:
                    loader.add(rel, at + (j,), f"unknown role {role!r}{did_you_mean(role, role_ids)}")

        gathered = check_sheets(loader, rel, wf, forms, check_states, check_role_list, conditions, county)
        for i, t in enumerate(wf.transitions):
            here = ("transitions", i)
            for j, state in enumerate(t.from_):
                if state not in state_ids:
                    loader.add(rel, here + ("from", j) if len(t.from_) > 1 else here + ("from",),
                               f"unknown state {state!r}{did_you_mean(state, state_ids)}")
            if t.to not in state_ids:
                loader.add(rel, here + ("to",), f"unknown state {t.to!r}{did_you_mean(t.to, state_ids)}")
            for j, role in enumerate(t.roles):
                if role not in role_ids:
                    loader.add(rel, here + ("roles", j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
            if not t.automatic and not t.roles:
                loader.add(rel, here + ("action",), f"action '{t.action}' has no allowed role; "
                           "give it roles, or make it automatic")
            if t.automatic and not (t.when or t.on_date or t.decision or t.deadline):
                loader.add(rel, here + ("automatic",),
                           "an automatic transition needs `when`, `decision`, `on_date` or `deadline`")
            for key in ("on_date", "deadline"):
                if getattr(t, key) and not t.automatic:
                    loader.add(rel, here + (key,), f"`{key}` applies to automatic transitions only")
            if t.form and t.form not in forms:
                loader.add(rel, here + ("form",), f"unknown form {t.form!r}{did_you_mean(t.form, list(forms))}")
            if t.decision:
                if check_decision(loader, rel, here + ("decision",), t.decision, rules, grouped):
                    given = dict(gathered)
                    if t.form in forms:
                        given.update(expression_names(forms[t.form]))
                    for form in users:
                        check_decision_inputs(loader, rel, here + ("decision", "rules"), t.decision.rules,
                                               grouped, {**CLOCK_NAMES, **expression_names(form), **given}, form.id)
            if t.when:
                for form in users:
                    try:
                        conditions[(wf_id, form.id, i)] = compile_expression(
                            t.when, {**CLOCK_NAMES, **expression_names(form), **{k: v for k, v in gathered.items() if v}},
                            BOOL)
                    except ExprError as exc:
                        loader.add(rel, here + ("when",), f"for form '{form.id}': {exc.pointed(t.when)}")
        actions = {t.action for t in wf.transitions}
        for i, reaction in enumerate(wf.reactions):
            here = ("reactions", i)
            if reaction.event == "submitted" and reaction.name not in forms:
                loader.add(rel, here + ("name",), f"unknown form {reaction.name!r}{did_you_mean(reaction.name, list(forms))}")
            if reaction.event == "transition" and reaction.name not in actions:
                loader.add(rel, here + ("name",), f"unknown action {reaction.name!r}{did_you_mean(reaction.name, sorted(actions))}")
            todo = [k for k in REACTION_ACTIONS if getattr(reaction.do, k)]
            if len(todo) != 1:
                loader.add(rel, here + ("do",), f"give exactly one of {', '.join(REACTION_ACTIONS)}")
            if reaction.do.task and reaction.do.role not in role_ids:
                loader.add(rel, here + ("do", "task"), "a task needs `role`, one of the roles in county.yaml")
            if reaction.do.transition and reaction.do.transition not in actions:
                loader.add(rel, here + ("do", "transition"), f"unknown action {reaction.do.transition!r}"
                           f"{did_you_mean(reaction.do.transition, sorted(actions))}")
            if reaction.do.deadline and reaction.do.days is None:
                loader.add(rel, here + ("do", "deadline"), "a deadline needs `days`")
            if reaction.do.notify and reaction.do.notify not in role_ids:
                loader.add(rel, here + ("do", "notify"), f"unknown role {reaction.do.notify!r}"
                           f"{did_you_mean(reaction.do.notify, role_ids)}")
            if reaction.where:
                source = forms.get(reaction.name) if reaction.event == "submitted" else None
                if source is None:
                    loader.add(rel, here + ("where",), "`where` applies to submitted events only")
                else:
                    try:
                        conditions[(wf_id, source.id, f"where:{reaction.id}")] = compile_expression(
                            reaction.where, expression_names(source), BOOL)
                    except ExprError as exc:
                        loader.add(rel, here + ("where",), f"for form '{source.id}': {exc.pointed(reaction.where)}")
            if reaction.when:
                for form in users:
                    try:
                        conditions[(wf_id, form.id, f"reaction:{reaction.id}")] = compile_expression(
                            reaction.when, expression_names(form), BOOL)
                    except ExprError as exc:
                        loader.add(rel, here + ("when",), f"for form '{form.id}': {exc.pointed(reaction.when)}")
        moves = [(set(t.from_), t.to) for t in wf.transitions]
        moves += [(set(r.from_), r.to) for r in (wf.merge, wf.split) if r is not None]
        reachable = {wf.initial}
        changed = True
        while changed:
            changed = False
            for sources, target in moves:
                if reachable & sources and target not in reachable:
                    reachable.add(target)
                    changed = True
        leaving = {state for t in wf.transitions for state in t.from_}
        if wf.merge is not None:
            leaving.add(wf.merge.to)  # merged duplicates follow the record they were merged into
        if wf.split is not None:
            leaving.add(wf.split.to)  # reported below as "must be final", not as a dead end
        if wf.split is not None and (split_to := wf.state(wf.split.to)) is not None and not split_to.final:
            loader.add(rel, ("split", "to"), f"state '{wf.split.to}' must be final: a split record is done; "
                       "its parts go on")
        for k, state in enumerate(wf.states):
            if state.id not in reachable:
                loader.add(rel, ("states", k, "id"), f"state '{state.id}' cannot be reached from '{wf.initial}'")
            elif not state.final and state.id not in leaving:
                loader.add(rel, ("states", k, "id"), f"state '{state.id}' is a dead end: add a transition "
                           "from it, or mark it final: true")
    return conditions


def _check_group_sheets(loader: FileReader, rel: str, wf: Workflow, forms: dict, county: County) -> None:
    """A sheet that assigns groups names a groups field of its form; a sheet for the record's
    group only needs groups in county.yaml and a sheet of this workflow that assigns them."""
    assigning = [s for s in wf.sheets if s.assigns_group]
    for i, sheet in enumerate(wf.sheets):
        here = ("sheets", i)
        form = forms.get(sheet.form)
        if sheet.assigns_group and form is not None:
            field = form.field(sheet.assigns_group) if form.has_field(sheet.assigns_group) else None
            if field is None:
                loader.add(rel, here + ("assigns_group",), f"form '{sheet.form}' has no field {sheet.assigns_group!r}"
                           f"{did_you_mean(sheet.assigns_group, [f.id for f in form.fields])}")
            elif field.type != "reference" or field.to != "groups":
                loader.add(rel, here + ("assigns_group",), f"field '{sheet.assigns_group}' of form '{sheet.form}' "
                           "must name a group: give it `type: reference` and `to: groups`")
        if sheet.assigns_group and not county.groups:
            loader.add(rel, here + ("assigns_group",), "county.yaml declares no `groups` to assign records to")
        if sheet.group_only and not assigning:
            loader.add(rel, here + ("group_only",), "no sheet of this workflow assigns records to a group: "
                       "give one of them `assigns_group: <its groups field>`")


def check_sheets(loader: FileReader, rel: str, wf: Workflow, forms: dict, check_states, check_role_list,
                  conditions: dict, county: County) -> dict[str, str | None]:
    """Sheets, gathered lists, merge and split; returns the gathered names with their types."""
    _check_group_sheets(loader, rel, wf, forms, county)
    for i, sheet in enumerate(wf.sheets):
        here = ("sheets", i)
        check_states(here + ("states",), sheet.states)
        check_role_list(here + ("roles",), sheet.roles)
        form = forms.get(sheet.form)
        if form is None and ("forms", sheet.form) in loader.broken:
            continue
        if form is None:
            loader.add(rel, here + ("form",), f"unknown form {sheet.form!r}{did_you_mean(sheet.form, list(forms))}")
        elif sheet.one_per and sheet.single:
            loader.add(rel, here + ("single",), "give `one_per` or `single`, not both")
        elif sheet.one_per and not form.has_field(sheet.one_per):
            loader.add(rel, here + ("one_per",), f"form '{sheet.form}' has no field {sheet.one_per!r}"
                       f"{did_you_mean(sheet.one_per, [f.id for f in form.fields])}")
        if form is not None:
            for j, field_id in enumerate(sheet.person_fields):
                if not form.has_field(field_id):
                    loader.add(rel, here + ("person_fields", j), f"form '{sheet.form}' has no field {field_id!r}"
                               f"{did_you_mean(field_id, [f.id for f in form.fields])}")
            if (sheet.person_fields and sheet.one_per and form.has_field(sheet.one_per)  # else reported above
                    and sheet.one_per not in sheet.person_fields):
                loader.add(rel, here + ("person_fields",), f"list `one_per` ({sheet.one_per}) among the person "
                           "fields: it is what tells one person's sheets from another's")
    for key in ("merge", "split"):
        regroup = getattr(wf, key)
        if regroup is not None:
            check_states((key, "from"), regroup.from_)
            check_states((key, "to"), (regroup.to,))
            check_role_list((key, "roles"), regroup.roles)
    filed = {s.form for s in wf.sheets} | {t.form for t in wf.transitions if t.form}
    gathered: dict[str, str | None] = {}  # None: a broken entry, already reported
    for name, spec in wf.gather.items():
        here = ("gather", name)
        form = forms.get(spec.form)
        if form is None and ("forms", spec.form) in loader.broken:
            gathered[name] = None  # its form's own errors say what is wrong; the rules reading it are not
            continue
        if form is None or spec.form not in filed:
            gathered[name] = None
            loader.add(rel, here + ("form",), f"{spec.form!r} is not a sheet or action form of this workflow"
                       f"{did_you_mean(spec.form, sorted(filed))}")
            continue
        names = expression_names(form)
        if spec.field not in names:
            gathered[name] = None  # reported here once, not again by every rule that reads it
            loader.add(rel, here + ("field",), f"form '{spec.form}' has no field {spec.field!r} that rules can read"
                       f"{did_you_mean(spec.field, list(names))}")
            continue
        gathered[name] = list_of(names[spec.field])
        if spec.where:
            try:
                conditions[(wf.id, spec.form, f"gather:{name}")] = compile_expression(spec.where, names, BOOL)
            except ExprError as exc:
                loader.add(rel, here + ("where",), f"for form '{spec.form}': {exc.pointed(spec.where)}")
    for name, count in wf.counts.items():  # numbers of other records: read like the gathered lists
        here = ("counts", name)
        if name in gathered:
            loader.add(rel, here, f"'{name}' is already a gathered list of this workflow")
            continue
        counted = forms.get(count.form) if count.form else None
        if count.form and counted is None:
            if ("forms", count.form) not in loader.broken:
                loader.add(rel, here + ("form",), f"unknown form {count.form!r}{did_you_mean(count.form, list(forms))}")
        elif counted is None or counted.workflow == wf.id:  # its states are this workflow's
            check_states(here + ("states",), count.states)
        gathered[name] = "number"
        if count.sum is not None:
            summed = [counted] if count.form else [f for f in forms.values() if f.workflow == wf.id]
            for form in (f for f in summed if f is not None):
                kind = expression_names(form).get(count.sum)
                if kind not in ("number", "money"):
                    numeric = [k for k, v in expression_names(form).items() if v in ("number", "money")]
                    loader.add(rel, here + ("sum",), f"form '{form.id}' has no number or money field {count.sum!r}"
                               f"{did_you_mean(count.sum, numeric)}")
                    gathered[name] = None
                    break
                gathered[name] = kind
    return gathered


def check_decision_inputs(loader: FileReader, rel: str, at: tuple, rules_id: str, grouped: dict,
                           given: dict[str, str], form_id: str) -> None:
    """Every input a rule file reads must be given, with its type, by the record's fields, the
    action's form or the workflow's gathered lists: a misnamed input is found now, not at a vote."""
    _, source = grouped["rules"][rules_id]
    for name, kind in source.inputs.items():
        if name not in given:
            loader.add(rel, at, f"rule file '{rules_id}' reads input {name!r}, which neither form '{form_id}', "
                       f"the action's form nor `gather` gives{did_you_mean(name, list(given))}")
        elif given[name] is not None and given[name] != kind and not {given[name], kind} <= {"number", "money"}:
            loader.add(rel, at, f"rule file '{rules_id}' reads {name!r} as {kind}, but it is given as {given[name]}")


def check_decision(loader: FileReader, rel: str, at: tuple, ref, rules: dict, grouped: dict) -> bool:
    if ref.rules not in grouped["rules"]:
        if ("rules", ref.rules) not in loader.broken:
            loader.add(rel, at + ("rules",), f"unknown rule file {ref.rules!r}{did_you_mean(ref.rules, list(grouped['rules']))}")
        return False
    _, source = grouped["rules"][ref.rules]
    tables = {t.id: t for t in source.tables}
    table = tables.get(ref.table)
    if table is None:
        loader.add(rel, at + ("table",), f"rule file '{ref.rules}' has no table {ref.table!r}"
                   f"{did_you_mean(ref.table, list(tables))}")
        return False
    outcomes = [r.outcome for r in table.rows] + ([table.default.outcome] if table.default else [])
    if ref.outcome not in outcomes:
        known = ", ".join(dict.fromkeys(o for o in outcomes if o))
        loader.add(rel, at + ("outcome",), f"table '{ref.table}' never decides {ref.outcome!r}; it decides {known}")
    return True
