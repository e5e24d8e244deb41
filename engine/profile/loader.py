"""Load a profile folder: every file parsed, validated whole, cross-checked, then frozen.

All problems of a profile are collected and raised together in one ``ConfigError``, each naming
its file, line and key path, so an administrator fixes a profile in one pass.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from engine.schema.county import GLOBAL_ACTIONS, PUBLIC, County
from engine.schema.demo import Demo
from engine.schema.documents import Document, placeholder_names, placeholders_in
from engine.lang.vote_methods import METHODS
from engine.schema.votes import VoteRules
from engine.schema.funds import FundPool
from engine.schema.delivery import FIGURES, Delivery
from engine.schema.reports import Report
from engine.schema.forms import REFERENCE_TARGETS, Form
from engine.schema.imports import ImportMapping
from engine.profile.problems import breadcrumbs, did_you_mean, problems_from_validation
from engine.schema.workflow import Workflow
from engine.profile.yamlfile import YamlDocument, YamlSyntaxError, load_yaml
from engine.lang.expr import BOOL, Compiled, ExprError, compile_expression, list_of
from engine.lang.tables import CompiledRules, RuleFile, compile_rules
from engine.schema.fieldtypes import FIELD_TYPES
from engine.kernel.errors import ConfigError, ConfigProblem

# What a reaction can do; engine.core.reactions.ACTIONS carries them out.
REACTION_ACTIONS = ("transition", "deadline", "notify", "task")

# Which model reads which file. Folders hold one object per file, named by its id.
SINGLE_FILES: dict[str, type[BaseModel]] = {"county.yaml": County, "demo.yaml": Demo}
FOLDERS: dict[str, type[BaseModel]] = {"forms": Form, "workflows": Workflow, "imports": ImportMapping,
                                       "rules": RuleFile, "documents": Document, "votes": VoteRules,
                                       "funds": FundPool, "delivery": Delivery, "reports": Report}
REQUIRED_FILES = ("county.yaml",)


@dataclass(frozen=True)
class Profile:
    root: Path
    version: str
    county: County
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    imports: Mapping[str, ImportMapping]
    demo: Demo | None
    documents: Mapping[str, Document] = field(default_factory=dict)
    votes: Mapping[str, VoteRules] = field(default_factory=dict)
    funds: Mapping[str, FundPool] = field(default_factory=dict)
    delivery: Mapping[str, Delivery] = field(default_factory=dict)
    reports: Mapping[str, Report] = field(default_factory=dict)
    rules: Mapping[str, CompiledRules] = field(default_factory=dict)
    # (workflow id, form id, transition index) -> the transition's compiled `when`
    conditions: Mapping[tuple[str, str, int], Compiled] = field(default_factory=dict)
    files: tuple[str, ...] = field(default=())

    def roles_for(self, action: str) -> tuple[str, ...]:
        return getattr(self.county.permissions, action)

    def reference_choices(self, target: str) -> list[tuple[str, str, str | None]]:
        """(id, label, label_en) of a township, station or channel list."""
        if target == "townships":
            return [(t.id, t.name, t.name_en) for t in self.county.townships]
        if target == "stations":
            return [(s.id, s.name, s.name_en) for s in self.county.stations]
        if target == "channels":
            return [(c.id, c.label, c.label_en) for c in self.county.channels]
        raise KeyError(target)


def profile_version(root: Path) -> str:
    """Hash of every YAML file's path and bytes: the same files give the same version."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


class _Loader:
    def __init__(self, root: Path, shown_root: str):
        self.root = root
        self.shown_root = shown_root
        self.problems: list[ConfigProblem] = []
        self.docs: dict[str, YamlDocument] = {}
        self.models: dict[str, type[BaseModel]] = {}
        self.objects: dict[str, BaseModel] = {}
        # (folder, id) of files that failed to load: references to them are not reported again
        self.broken: set[tuple[str, str]] = set()

    def shown(self, rel: str) -> str:
        return f"{self.shown_root.rstrip('/')}/{rel}" if self.shown_root else rel

    def add(self, rel: str, path: tuple, message: str) -> None:
        doc = self.docs.get(rel)
        model = self.models.get(rel)
        crumbs = tuple(breadcrumbs(model, doc.data, path)) if doc and model else ()
        self.problems.append(ConfigProblem(self.shown(rel), doc.line_of(path) if doc else None, crumbs, message))

    def read(self, rel: str, model: type[BaseModel]) -> BaseModel | None:
        try:
            doc = load_yaml(self.root / rel)
        except YamlSyntaxError as exc:
            self.problems.append(ConfigProblem(self.shown(rel), exc.line, (), exc.message))
            return None
        except UnicodeDecodeError:
            self.problems.append(ConfigProblem(self.shown(rel), None, (), "not UTF-8 text"))
            return None
        self.docs[rel] = doc
        self.models[rel] = model
        if not isinstance(doc.data, dict):
            kind = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
            self.problems.append(ConfigProblem(
                self.shown(rel), 1, (), f"expected a mapping of keys ({model.__name__}); the file is {kind}"))
            return None
        self.check_duplicate_ids(rel, doc.data, ())
        try:
            obj = model.model_validate(doc.data)
        except ValidationError as exc:
            self.problems.extend(problems_from_validation(exc, model, doc, self.shown(rel)))
            return None
        self.objects[rel] = obj
        return obj

    def check_duplicate_ids(self, rel: str, value: Any, path: tuple) -> None:
        """Any list of objects with ids must not repeat an id (fields, options, townships ...)."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_duplicate_ids(rel, item, path + (key,))
        elif isinstance(value, list):
            first_line: dict[Any, int] = {}
            for i, item in enumerate(value):
                if isinstance(item, dict) and "id" in item and isinstance(item["id"], (str, int)):
                    here = path + (i,)
                    if item["id"] in first_line:
                        self.add(rel, here + ("id",),
                                 f"duplicate id {item['id']!r} (first at line {first_line[item['id']]})")
                    else:
                        first_line[item["id"]] = self.docs[rel].line_of(here) or 0
                self.check_duplicate_ids(rel, item, path + (i,))


def load_profile(root: str | Path) -> Profile:
    """Read, validate and freeze a profile folder, or raise ConfigError listing every problem."""
    shown_root = str(root)
    root = Path(root)
    loader = _Loader(root, shown_root)
    if not root.is_dir():
        raise ConfigError([ConfigProblem(shown_root, None, (), "profile folder not found")])

    for rel in REQUIRED_FILES:
        if not (root / rel).is_file():
            loader.problems.append(ConfigProblem(loader.shown(rel), None, (), "required file is missing"))

    singles: dict[str, BaseModel] = {}
    grouped: dict[str, dict[str, tuple[str, BaseModel]]] = {folder: {} for folder in FOLDERS}
    for path in sorted(root.rglob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if path.suffix == ".yml":
            loader.problems.append(ConfigProblem(loader.shown(rel), None, (), "use the ending .yaml"))
        elif rel in SINGLE_FILES:
            obj = loader.read(rel, SINGLE_FILES[rel])
            if obj is not None:
                singles[rel] = obj
        elif len(parts) == 2 and parts[0] in FOLDERS:
            obj = loader.read(rel, FOLDERS[parts[0]])
            if obj is None:
                loader.broken.add((parts[0], path.stem))
            else:
                if obj.id != path.stem:
                    loader.add(rel, ("id",), f"id {obj.id!r} must match the file name {path.stem!r}")
                grouped[parts[0]][obj.id] = (rel, obj)
        else:
            expected = ", ".join(list(SINGLE_FILES) + [f"{f}/*.yaml" for f in FOLDERS])
            loader.problems.append(ConfigProblem(
                loader.shown(rel), None, (), f"unknown file; a profile holds {expected}"))

    # Expressions are type-checked and compiled here, once, so a mistake is found at load.
    compiled_rules = {}
    for rules_id, (rel, rules) in grouped["rules"].items():
        compiled, problems = compile_rules(rules, loader.shown(rel))
        for path, message in problems:
            loader.add(rel, path, message)
        if compiled is not None:
            compiled_rules[rules_id] = compiled

    county = singles.get("county.yaml")
    conditions: dict[tuple[str, str, int], Compiled] = {}
    if county is not None:
        _cross_check(loader, county, grouped, singles.get("demo.yaml"))
        conditions = _check_workflows(loader, county, grouped, compiled_rules)
        _check_documents(loader, county, grouped)
        _check_votes(loader, grouped)
        _check_funds(loader, county, grouped)
        _check_delivery(loader, county, grouped, conditions)
        _check_reports(loader, county, grouped)
    if loader.problems or county is None:
        raise ConfigError(loader.problems)
    return Profile(
        root=root,
        version=profile_version(root),
        county=county,
        forms=MappingProxyType({k: v for k, (_, v) in grouped["forms"].items()}),
        workflows=MappingProxyType({k: v for k, (_, v) in grouped["workflows"].items()}),
        imports=MappingProxyType({k: v for k, (_, v) in grouped["imports"].items()}),
        documents=MappingProxyType({k: v for k, (_, v) in grouped["documents"].items()}),
        votes=MappingProxyType({k: v for k, (_, v) in grouped["votes"].items()}),
        funds=MappingProxyType({k: v for k, (_, v) in grouped["funds"].items()}),
        delivery=MappingProxyType({k: v for k, (_, v) in grouped["delivery"].items()}),
        reports=MappingProxyType({k: v for k, (_, v) in grouped["reports"].items()}),
        demo=singles.get("demo.yaml"),
        rules=MappingProxyType(compiled_rules),
        conditions=MappingProxyType(conditions),
        files=tuple(sorted(loader.docs)),
    )


def _cross_check(loader: _Loader, county: County, grouped: dict, demo: Demo | None) -> None:
    """References between objects and files; each problem points at the referring key."""
    cy = "county.yaml"
    role_ids = [r.id for r in county.roles]
    township_ids = [t.id for t in county.townships]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    broken_forms = {stem for folder, stem in loader.broken if folder == "forms"}

    def check_roles(rel: str, path: tuple, roles: tuple[str, ...], allow_public: bool) -> None:
        allowed = role_ids + ([PUBLIC] if allow_public else [])
        for i, role in enumerate(roles):
            if role not in allowed:
                loader.add(rel, path + (i,), f"unknown role {role!r}{did_you_mean(role, allowed)}; "
                           f"roles are declared in county.yaml")

    if PUBLIC in role_ids:
        loader.add(cy, ("roles", role_ids.index(PUBLIC), "id"),
                   f"'{PUBLIC}' is built in (anyone, signed in or not) and cannot be declared")
    for i, station in enumerate(county.stations):
        if station.township not in township_ids:
            loader.add(cy, ("stations", i, "township"),
                       f"unknown township {station.township!r}{did_you_mean(station.township, township_ids)}")
    for action in GLOBAL_ACTIONS:
        check_roles(cy, ("permissions", action), getattr(county.permissions, action), False)

    for form_id, (rel, form) in grouped["forms"].items():
        field_ids = [f.id for f in form.fields]
        for a in ("submit", "list", "view"):
            check_roles(rel, ("access", a), getattr(form.access, a), a == "submit" or a == "view")
        if form.workflow and form.workflow not in grouped["workflows"] \
                and ("workflows", form.workflow) not in loader.broken:
            loader.add(rel, ("workflow",), f"unknown workflow {form.workflow!r}; "
                       f"workflows are files in workflows/")
        for name in form.title_fields():
            if name not in field_ids:
                loader.add(rel, ("title",), f"unknown field {name!r} in title{did_you_mean(name, field_ids)}")
        for key in ("list_columns", "filters"):
            for i, fid in enumerate(getattr(form, key)):
                if fid not in field_ids:
                    loader.add(rel, (key, i), f"unknown field {fid!r}{did_you_mean(fid, field_ids)}")
        for i, f in enumerate(form.fields):
            here = ("fields", i)
            check_roles(rel, here + ("roles",), f.roles, True)
            if f.type == "reference" and f.to and f.to.startswith("form:"):
                target = f.to.removeprefix("form:")
                if target not in forms and target not in broken_forms:
                    loader.add(rel, here + ("to",), f"unknown form {target!r}{did_you_mean(target, list(forms))}")
            if f.filter_by:
                other = next((g for g in form.fields if g.id == f.filter_by), None)
                if other is None or other.type != "reference" or other.to not in REFERENCE_TARGETS:
                    loader.add(rel, here + ("filter_by",),
                               f"expected the id of a township, station or channel field of this form; got {f.filter_by!r}")
                elif (f.to, other.to) != ("stations", "townships"):
                    loader.add(rel, here + ("filter_by",),
                               f"only a stations field can be filtered, by a townships field; got {f.to} by {other.to}")
            if f.rule and f.rule.condition.scope not in field_ids:
                scope = f.rule.condition.scope
                loader.add(rel, here + ("rule", "condition", "scope"),
                           f"unknown field {scope!r}{did_you_mean(scope, field_ids)}")
            elif f.rule and f.rule.condition.scope == f.id:
                loader.add(rel, here + ("rule", "condition", "scope"), "a field's rule cannot look at the field itself")
            elif f.rule:  # values a condition names must exist in the list the field chooses from
                target = form.field(f.rule.condition.scope)
                schema = f.rule.condition.schema_
                named = list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema else [])
                for value in named:
                    problem = _unknown_value(county, target, value)
                    if problem:
                        loader.add(rel, here + ("rule", "condition", "schema"), problem)
            if f.default is not None:
                problem = _unknown_value(county, f, f.default)
                if problem:
                    loader.add(rel, here + ("default",), problem)

    for wf_id, (rel, wf) in grouped["workflows"].items():
        state_ids = [s.id for s in wf.states]
        if wf.initial not in state_ids:
            loader.add(rel, ("initial",), f"unknown state {wf.initial!r}{did_you_mean(wf.initial, state_ids)}")

    for imp_id, (rel, imp) in grouped["imports"].items():
        check_roles(rel, ("roles",), imp.roles, False)
        form = forms.get(imp.form)
        if form is None and imp.form in broken_forms:
            continue
        if form is None:
            loader.add(rel, ("form",), f"unknown form {imp.form!r}{did_you_mean(imp.form, list(forms))}")
            continue
        field_ids = [f.id for f in form.fields]
        for fid, value in imp.fixed.items():
            problem = _unknown_value(county, form.field(fid), value) if form.has_field(fid) else None
            if problem:
                loader.add(rel, ("fixed", fid), problem)
        for key in ("columns", "fixed"):
            for fid in getattr(imp, key):
                if fid not in field_ids:
                    loader.add(rel, (key, fid), f"form {imp.form!r} has no field {fid!r}{did_you_mean(fid, field_ids)}")

    if demo is not None:
        for key in ("session_form", "suggestion_form"):
            fid = getattr(demo, key)
            if fid not in forms and fid not in broken_forms:
                loader.add("demo.yaml", (key,), f"unknown form {fid!r}{did_you_mean(fid, list(forms))}")
        for i, account in enumerate(demo.accounts):
            check_roles("demo.yaml", ("accounts", i, "roles"), account.roles, False)
            if account.township and account.township not in township_ids:
                loader.add("demo.yaml", ("accounts", i, "township"), f"unknown township {account.township!r}")
        for key, form_key in (("suggestion_samples", "suggestion_form"), ("session_samples", "session_form")):
            form = forms.get(getattr(demo, form_key))
            if form is None:
                continue
            for i, sample in enumerate(getattr(demo, key)):
                for fid in sample:
                    if not form.has_field(fid):
                        loader.add("demo.yaml", (key, i, fid), f"form {form.id!r} has no field {fid!r}")
        _check_demo_stages(loader, demo, forms, {k: v for k, (_, v) in grouped["delivery"].items()})


def _check_demo_stages(loader: _Loader, demo: Demo, forms: dict, deliveries: dict) -> None:
    """The demo's stages name real forms and fields, and its groups add up to its suggestions."""
    def fields_of(at: tuple, form_id: str, values) -> None:
        form = forms.get(form_id)
        if form is None:
            loader.add("demo.yaml", at, f"unknown form {form_id!r}{did_you_mean(form_id, list(forms))}")
            return
        for fid in values:
            if not form.has_field(fid):
                loader.add("demo.yaml", at, f"form {form_id!r} has no field {fid!r}"
                           f"{did_you_mean(fid, [f.id for f in form.fields])}")

    screening = demo.screening
    if screening is not None:
        for i, member in enumerate(screening.members):
            fields_of(("screening", "members", i), screening.sheet, member)
        for i, band in enumerate(screening.bands):
            fields_of(("screening", "bands", i, "marks"), screening.sheet, band.marks)
        if screening.answers is not None:
            for i, values in enumerate(screening.answers.values):
                fields_of(("screening", "answers", "values", i), screening.answers.sheet, values)
        planned = sum(b.count for b in screening.bands) + screening.duplicates
        if planned != demo.suggestions:
            loader.add("demo.yaml", ("screening", "bands"), f"the bands ({planned - screening.duplicates}) and "
                       f"duplicates ({screening.duplicates}) add up to {planned}, not suggestions: {demo.suggestions}")
    if demo.review is not None:
        for i, opinion in enumerate(demo.review.opinions):
            fields_of(("review", "opinions", i), demo.review.sheet, opinion)
    rating = demo.evaluation
    if rating is not None:
        for i, values in enumerate(rating.values):
            fields_of(("evaluation", "values", i), rating.sheet, {**values, rating.rater_field: 1, rating.rating_field: 1})
        fields_of(("evaluation", "order", "values"), rating.order.action, rating.order.values)
    spec = demo.delivery
    if spec is not None:
        d = deliveries.get(spec.delivery)
        if d is None:
            loader.add("demo.yaml", ("delivery", "delivery"), f"unknown delivery {spec.delivery!r}"
                       f"{did_you_mean(spec.delivery, list(deliveries))}")
            return
        fields_of(("delivery", "listing"), d.responsibility.form, spec.listing)
        fields_of(("delivery", "report"), d.progress.form, spec.report)
        for i, values in enumerate(spec.supervision):
            fields_of(("delivery", "supervision", i), d.supervision[0], values)
        for i, values in enumerate(spec.follow_ups):
            fields_of(("delivery", "follow_ups", i), d.follow_up.form, values)
        if spec.duty_form:
            for i, values in enumerate(spec.duties):
                fields_of(("delivery", "duties", i), spec.duty_form, values)
        if spec.needs and d.funding_needs is None:
            loader.add("demo.yaml", ("delivery", "needs"), f"delivery {d.id!r} has no funding_needs")
        elif d.funding_needs is not None:
            for i, values in enumerate(spec.needs):
                fields_of(("delivery", "needs", i), d.funding_needs.form, values)


def _unknown_value(county: County, f, value) -> str | None:
    """A problem if `value` is not one of the choices of field `f` (an option, a township ...)."""
    if f.type in ("choice", "multichoice"):
        ids = [o.id for o in f.options]
        what = "option"
    elif f.type == "reference" and f.to in REFERENCE_TARGETS:
        lists = {"townships": county.townships, "stations": county.stations, "channels": county.channels}
        ids = [x.id for x in lists[f.to]]
        what = f.to[:-1]
    else:
        return None
    for item in value if isinstance(value, list) else [value]:
        if item not in ids:
            return f"unknown {what} {item!r} for field '{f.id}'{did_you_mean(str(item), ids)}"
    return None


def expression_names(form: Form) -> dict[str, str]:
    """The names (and types) a condition on this form's records may use: its fields."""
    names = {}
    for f in form.fields:
        kind = FIELD_TYPES[f.type].expr_type
        if f.type == "reference" and f.to and f.to.startswith("form:"):
            kind = "number"  # a record number
        if kind is not None:
            names[f.id] = kind
    return names


def _check_workflows(loader: _Loader, county: County, grouped: dict, rules: dict) -> dict:
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

        gathered = _check_sheets(loader, rel, wf, forms, check_states, check_role_list, conditions)
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
                if _check_decision(loader, rel, here + ("decision",), t.decision, rules, grouped):
                    given = dict(gathered)
                    if t.form in forms:
                        given.update(expression_names(forms[t.form]))
                    for form in users:
                        _check_decision_inputs(loader, rel, here + ("decision", "rules"), t.decision.rules,
                                               grouped, {**expression_names(form), **given}, form.id)
            if t.when:
                for form in users:
                    try:
                        conditions[(wf_id, form.id, i)] = compile_expression(
                            t.when, {**expression_names(form), **{k: v for k, v in gathered.items() if v}}, BOOL)
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


def _check_sheets(loader: _Loader, rel: str, wf: Workflow, forms: dict, check_states, check_role_list,
                  conditions: dict) -> dict[str, str | None]:
    """Sheets, gathered lists, merge and split; returns the gathered names with their types."""
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
    return gathered


def _check_decision_inputs(loader: _Loader, rel: str, at: tuple, rules_id: str, grouped: dict,
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


def _check_decision(loader: _Loader, rel: str, at: tuple, ref, rules: dict, grouped: dict) -> bool:
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


def _check_documents(loader: _Loader, county: County, grouped: dict) -> None:
    """Documents: a known form, its workflow's states, known roles, and known placeholders."""
    role_ids = [r.id for r in county.roles] + [PUBLIC]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    for doc_id, (rel, doc) in grouped["documents"].items():
        form = forms.get(doc.form)
        if form is None:
            if ("forms", doc.form) not in loader.broken:  # a broken form is reported once, in its own file
                loader.add(rel, ("form",), f"unknown form {doc.form!r}{did_you_mean(doc.form, list(forms))}")
            continue
        if form.workflow and ("workflows", form.workflow) in loader.broken:
            continue
        if doc.kind != "result" and not doc.states:
            loader.add(rel, ("states",), f"a {doc.kind} needs `states`")
        wf = workflows.get(form.workflow) if form.workflow else None
        state_ids = [s.id for s in wf.states] if wf else []
        for j, state in enumerate(doc.states):
            if state not in state_ids:
                loader.add(rel, ("states", j), f"unknown state {state!r} of form '{doc.form}'"
                           f"{did_you_mean(state, state_ids)}")
        for j, role in enumerate(doc.roles):
            if role not in role_ids:
                loader.add(rel, ("roles", j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        known = placeholder_names(form, doc.kind)
        texts = [(("title",), doc.title), (("salutation",), doc.salutation)]
        texts += [(("paragraphs", j), p) for j, p in enumerate(doc.paragraphs)]
        texts += [(("closing", j), p) for j, p in enumerate(doc.closing)]
        texts += [(("columns", j, "value"), c.value) for j, c in enumerate(doc.columns)]
        for path, text in texts:
            if text is None:
                continue
            try:
                names = placeholders_in(text)
            except ValueError as exc:
                loader.add(rel, path, f"cannot read the placeholders: {exc}")
                continue
            for name in names:
                if "." in name:  # {sheet_form.field}: a field of the latest such sheet or action form
                    problem = _sheet_placeholder(name, form, workflows, forms)
                    if problem:
                        loader.add(rel, path, problem)
                elif name not in known:
                    loader.add(rel, path, f"unknown placeholder {{{name}}}{did_you_mean(name, sorted(known))}; "
                               f"known: {', '.join(sorted(known))}")
        if doc.kind not in ("notice", "result") and doc.columns:
            loader.add(rel, ("columns",), f"a {doc.kind} has no table: `columns` belongs to notices")
        if doc.kind in ("notice", "result") and not doc.columns:
            loader.add(rel, ("columns",), f"a {doc.kind} needs `columns`")


def _sheet_placeholder(name: str, form: Form, workflows: dict, forms: dict) -> str | None:
    """A problem with a {sheet_form.field} placeholder, or None."""
    wf = workflows.get(form.workflow) if form.workflow else None
    filed = sorted({s.form for s in wf.sheets} | {t.form for t in wf.transitions if t.form}) if wf else []
    sheet_id, _, field_id = name.partition(".")
    if sheet_id not in filed:
        return (f"unknown placeholder {{{name}}}: {sheet_id!r} is not a sheet or action form of form "
                f"'{form.id}'{did_you_mean(sheet_id, filed)}")
    sheet = forms.get(sheet_id)
    if sheet is not None and not sheet.has_field(field_id):
        return (f"unknown placeholder {{{name}}}: form {sheet_id!r} has no field {field_id!r}"
                f"{did_you_mean(field_id, [f.id for f in sheet.fields])}")
    return None


def _check_votes(loader: _Loader, grouped: dict) -> None:
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
            for key in ("account", "name"):
                fid = getattr(rules.roster, key)
                if not roster_form.has_field(fid):
                    loader.add(rel, ("roster", key), f"form '{roster_form.id}' has no field {fid!r}"
                               f"{did_you_mean(fid, [f.id for f in roster_form.fields])}")
        for key in type(rules.reasons).model_fields:
            known = {"places", "passed", "missing"} if key == "shortfall" else line_names
            for name in placeholders_in(getattr(rules.reasons, key)):
                if name not in known:
                    loader.add(rel, ("reasons", key), f"unknown placeholder {{{name}}}"
                               f"{did_you_mean(name, sorted(known))}; known: {', '.join(sorted(known))}")


def _check_funds(loader: _Loader, county: County, grouped: dict) -> None:
    """Fund pools: a known form and states, known roles, a per-project cap within the total."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, pool in grouped["funds"].values():
        form = forms.get(pool.form)
        if form is None:
            if ("forms", pool.form) not in loader.broken:
                loader.add(rel, ("form",), f"unknown form {pool.form!r}{did_you_mean(pool.form, list(forms))}")
        elif form.workflow in workflows:
            state_ids = [s.id for s in workflows[form.workflow].states]
            for j, state in enumerate(pool.project_states):
                if state not in state_ids:
                    loader.add(rel, ("project_states", j), f"unknown state {state!r} of form '{pool.form}'"
                               f"{did_you_mean(state, state_ids)}")
        for key in type(pool.roles).model_fields:
            for j, role in enumerate(getattr(pool.roles, key)):
                if role not in role_ids:
                    loader.add(rel, ("roles", key, j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        if pool.per_project and pool.per_project.max and pool.total.max and pool.per_project.max > pool.total.max:
            loader.add(rel, ("per_project", "max"), "a project's cap is more than the whole pool's maximum")


def _check_delivery(loader: _Loader, county: County, grouped: dict, conditions: dict) -> None:
    """Delivery: known forms filed as sheets on the projects, fields of the right types, known
    roles and fund, escalation conditions over the project's figures (compiled here)."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, spec in grouped["delivery"].values():
        def unknown(path: tuple, kind: str, value: str, known: list[str]) -> None:
            loader.add(rel, path, f"unknown {kind} {value!r}{did_you_mean(value, known)}")

        form = forms.get(spec.form)
        if form is None:
            if ("forms", spec.form) not in loader.broken:
                unknown(("form",), "form", spec.form, list(forms))
            continue
        wf = workflows.get(form.workflow) if form.workflow else None
        if wf is None:
            if not form.workflow or ("workflows", form.workflow) not in loader.broken:
                loader.add(rel, ("form",), f"form '{spec.form}' has no workflow: projects need states")
            continue
        state_ids = [s.id for s in wf.states]
        for key in ("states", "done_states", "rated_states", "rectification_states"):
            for j, state in enumerate(getattr(spec, key)):
                if state not in state_ids:
                    unknown((key, j), f"state of form '{spec.form}'", state, state_ids)
        sheet_forms = [s.form for s in wf.sheets]

        def check_form(path: tuple, form_id: str, sub: Any = None, fields: dict[str, tuple[str, ...]] = {}) -> None:
            """The form exists, is a sheet on the projects, and `sub`'s keys name its fields of these types."""
            sheet_form = forms.get(form_id)
            if sheet_form is None:
                if ("forms", form_id) not in loader.broken:
                    unknown(path, "form", form_id, list(forms))
                return
            if form_id not in sheet_forms:
                loader.add(rel, path, f"form '{form_id}' is not a sheet of workflow '{wf.id}'; "
                           "add it under `sheets` there")
            for key, types in fields.items():
                fid = getattr(sub, key)
                if not sheet_form.has_field(fid):
                    unknown(path[:-1] + (key,), f"field of form '{form_id}'", fid, [f.id for f in sheet_form.fields])
                elif sheet_form.field(fid).type not in types:
                    loader.add(rel, path[:-1] + (key,), f"field '{fid}' of form '{form_id}' is a "
                               f"{sheet_form.field(fid).type}; expected {' or '.join(types)}")

        texts = ("text", "textarea", "choice")
        check_form(("responsibility", "form"), spec.responsibility.form, spec.responsibility,
                   {"deadline": ("date",), "unit": texts})
        check_form(("milestones", "form"), spec.milestones.form, spec.milestones, {"name": texts, "due": ("date",)})
        check_form(("progress", "form"), spec.progress.form, spec.progress,
                   {"percent": ("integer",), "date": ("date",), "milestone": texts})
        check_form(("follow_up", "form"), spec.follow_up.form, spec.follow_up, {"due": ("date",)})
        if spec.funding_needs is not None:
            check_form(("funding_needs", "form"), spec.funding_needs.form, spec.funding_needs, {"amount": ("money",)})
        for j, form_id in enumerate(spec.supervision):
            check_form(("supervision", j), form_id)
        resp = forms.get(spec.responsibility.form)
        if resp is not None:
            for name in spec.responsibility.defaults:
                if not resp.has_field(name) or resp.field(name).type != "date":
                    loader.add(rel, ("responsibility", "defaults", name),
                               f"form '{resp.id}' has no date field {name!r}")
            for j, name in enumerate(spec.responsibility.columns):
                if not resp.has_field(name):
                    unknown(("responsibility", "columns", j), f"field of form '{resp.id}'", name,
                            [f.id for f in resp.fields])
        follow = forms.get(spec.follow_up.form)
        if follow is not None and not follow.workflow:
            loader.add(rel, ("follow_up", "form"), f"form '{follow.id}' needs a workflow: a follow-up action "
                       "is tracked until its workflow reaches a final state")
        if spec.fund is not None and spec.fund not in grouped["funds"]:
            unknown(("fund",), "fund pool", spec.fund, list(grouped["funds"]))
        for path, roles in [(("roles", "view"), spec.roles.view), (("overdue", "notify"), spec.overdue.notify)] + [
                (("escalations", i, "notify"), e.notify) for i, e in enumerate(spec.escalations)]:
            for j, role in enumerate(roles):
                if role not in role_ids:
                    unknown(path + (j,), "role", role, role_ids)
        for name in placeholders_in(spec.overdue.reason):
            if name not in ("milestone", "due"):
                loader.add(rel, ("overdue", "reason"), f"unknown placeholder {{{name}}}; known: due, milestone")
        figures = {name: "number" for name in FIGURES}
        for i, rule in enumerate(spec.escalations):
            try:
                conditions[("delivery", spec.id, f"escalation:{rule.id}")] = compile_expression(
                    rule.when, figures, BOOL)
            except ExprError as exc:
                loader.add(rel, ("escalations", i, "when"), exc.pointed(rule.when))
            for name in placeholders_in(rule.reason):
                if name not in FIGURES:
                    loader.add(rel, ("escalations", i, "reason"), f"unknown placeholder {{{name}}}"
                               f"{did_you_mean(name, list(FIGURES))}; known: {', '.join(FIGURES)}")


def _check_reports(loader: _Loader, county: County, grouped: dict) -> None:
    """Reports: a known form with a date field for the year, known roles, and sections that name
    fields, states, votes, funds and deliveries that exist."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, spec in grouped["reports"].values():
        for j, role in enumerate(spec.roles):
            if role not in role_ids:
                loader.add(rel, ("roles", j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        form = forms.get(spec.form)
        if form is None:
            if ("forms", spec.form) not in loader.broken:
                loader.add(rel, ("form",), f"unknown form {spec.form!r}{did_you_mean(spec.form, list(forms))}")
            continue
        if not form.has_field(spec.year_field) or form.field(spec.year_field).type != "date":
            dates = [f.id for f in form.fields if f.type == "date"]
            loader.add(rel, ("year_field",), f"form '{form.id}' has no date field {spec.year_field!r}"
                       f"{did_you_mean(spec.year_field, dates)}")
        wf = workflows.get(form.workflow) if form.workflow else None
        state_ids = [s.id for s in wf.states] if wf else None  # None: a broken workflow, reported there
        for i, section in enumerate(spec.sections):
            at = ("sections", i)
            if section.count_by and section.count_by != "state":
                if not form.has_field(section.count_by):
                    loader.add(rel, at + ("count_by",), f"form '{form.id}' has no field {section.count_by!r}"
                               f"{did_you_mean(section.count_by, [f.id for f in form.fields] + ['state'])}")
                elif form.field(section.count_by).type not in ("choice", "reference"):
                    loader.add(rel, at + ("count_by",), f"field '{section.count_by}' is a "
                               f"{form.field(section.count_by).type}; count_by takes a choice or reference field, or state")
            for g, group in enumerate(section.groups if state_ids is not None else ()):
                for j, state in enumerate(group.states):
                    if state not in state_ids:
                        loader.add(rel, at + ("groups", g, "states", j), f"unknown state {state!r} of form "
                                   f"'{form.id}'{did_you_mean(state, state_ids)}")
            for key, folder, noun in (("votes", "votes", "vote"), ("fund", "funds", "fund pool"),
                                      ("delivery", "delivery", "delivery")):
                ref = getattr(section, key)
                if ref and ref not in grouped[folder] and (folder, ref) not in loader.broken:
                    loader.add(rel, at + (key,), f"unknown {noun} {ref!r}{did_you_mean(ref, list(grouped[folder]))} "
                               f"(in {folder}/)")
