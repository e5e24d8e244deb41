"""Broken profiles: every problem reported at once, each with file, line, key path and expectation."""
from __future__ import annotations

import re

import pytest

from engine.profile.loader import load_profile
from engine.kernel.errors import ConfigError


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path, needle, nth=1):
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(needle)


def problems(profile_dir, monkeypatch):
    monkeypatch.chdir(profile_dir.parent)
    with pytest.raises(ConfigError) as info:
        load_profile("profile")
    return [str(p) for p in info.value.problems]


def test_bad_field_type(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "    type: phone", "    type: phon")
    line = line_of(form, "type: phon")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> fields -> Field(id='phone') -> type: "
        "expected one of text, textarea, integer, number, money, date, choice, multichoice, score, phone, reference, file; "
        "got 'phon' (did you mean 'phone'?)"
    ]


def test_unknown_key(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "    max_length: 60", "    max_len: 60")
    line = line_of(form, "max_len: 60")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> fields -> Field(id='title') -> max_len: "
        "unknown key 'max_len' (did you mean 'max_length'?); expected one of: accept, default, filter_by, help, "
        "help_en, id, label, label_en, max, max_length, max_size_kb, min, min_length, options, pattern, private, "
        "required, roles, rule, scale, step, to, type"
    ]


def test_missing_required_key(profile_dir, monkeypatch):
    form = profile_dir / "forms/offline_session.yaml"
    edit(form, "    label: 活动日期\n", "")
    line = line_of(form, "  - id: held_on")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/offline_session.yaml:{line}: At Form(id='offline_session') -> fields -> Field(id='held_on') "
        "-> label: required key 'label' is missing"
    ]


def test_unknown_township_reference(profile_dir, monkeypatch):
    county = profile_dir / "county.yaml"
    edit(county, "    township: t05", "    township: t99")
    line = line_of(county, "township: t99")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/county.yaml:{line}: At County(id='sangzhi') -> stations -> Station(id='s05') -> township: "
        "unknown township 't99' (did you mean 't19'?)"
    ]


def test_unknown_role_in_form_access(profile_dir, monkeypatch):
    form = profile_dir / "forms/offline_session.yaml"
    edit(form, "  list: [liaison_staff, screening_group", "  list: [liason_staff, screening_group")
    line = line_of(form, "liason_staff")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/offline_session.yaml:{line}: At Form(id='offline_session') -> access -> list[0]: "
        "unknown role 'liason_staff' (did you mean 'liaison_staff'?); roles are declared in county.yaml"
    ]


def test_duplicate_id(profile_dir, monkeypatch):
    county = profile_dir / "county.yaml"
    edit(county, "  - id: t02\n", "  - id: t01\n")
    first, second = line_of(county, "  - id: t01", 1), line_of(county, "  - id: t01", 2)
    assert problems(profile_dir, monkeypatch) == [
        f"profile/county.yaml:{second}: At County(id='sangzhi') -> townships -> Township(id='t01') -> id: "
        f"duplicate id 't01' (first at line {first})",
        # and the station that named the township whose id was changed
        f"profile/county.yaml:{line_of(county, 'township: t02')}: At County(id='sangzhi') -> stations -> "
        "Station(id='s02') -> township: unknown township 't02' (did you mean 't23'?)",
    ]


def test_yaml_syntax_error(profile_dir, monkeypatch):
    form = profile_dir / "imports/hotline_12345.yaml"
    edit(form, "roles: [liaison_staff, congress_staff, administrator]", "roles: [liaison_staff, congress_staff")
    line = line_of(form, "roles: [liaison_staff, congress_staff")  # where the bracket opens, not where YAML gave up
    assert problems(profile_dir, monkeypatch) == [
        f"profile/imports/hotline_12345.yaml:{line}: YAML syntax error: the list opened with '[' on this line is not "
        f"closed with ']' (line {line_of(form, 'columns:')} has ':' first)"
    ]


@pytest.mark.parametrize("text, line, words", [
    ("a: 1\nb: 'hello\nc: 2\nd: 3\n", 2, "a quote opened on this line is never closed: add the closing quote"),
    ("a:\n\tb: 1\n", 2, "a tab character: YAML indents with spaces only"),
    ("a:\n  b: 1\n c: 2\n", 3, "a key that does not line up with the lines above: check its indentation"),
    ("a: 1\n- b\n", 2, "a list item ('-') that does not line up with the lines above: check its indentation"),
    ("reason: 合计: 15 分\n", 1, "a ':' where YAML does not expect one: if the text holds ': ', put it in quotes; "
                                "otherwise check this line's indentation against the lines above"),
    ("a: 1\njust words\nb: 2\n", 2, "a line that is neither 'key: value' nor '- item' (a ':' is missing, or the "
                                     "text needs quotes)"),
    ("a: {x: 1\nb: 2\n", 1, "the braces opened with '{' on this line are not closed with '}' (line 2 has ':' first)"),
])
def test_yaml_mistakes_are_said_in_words_at_their_line(text, line, words):
    from engine.profile.yamlfile import YamlSyntaxError, parse_yaml
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml(text)
    assert (info.value.line, info.value.message) == (line, f"YAML syntax error: {words}")


def test_duplicate_key_in_yaml(profile_dir, monkeypatch):
    form = profile_dir / "workflows/suggestion.yaml"
    edit(form, "initial: received\n", "initial: received\ninitial: received\n")
    line = line_of(form, "initial: received", 2)
    assert problems(profile_dir, monkeypatch) == [
        f"profile/workflows/suggestion.yaml:{line}: YAML syntax error: duplicate key 'initial'"
    ]


def test_unknown_form_reference(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "    to: form:offline_session", "    to: form:offline_sessions")
    line = line_of(form, "to: form:offline_sessions")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> fields -> Field(id='session') -> to: "
        "unknown form 'offline_sessions' (did you mean 'offline_session'?)"
    ]


def test_key_that_does_not_apply_to_the_type(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "    max_length: 40\n", "    max_length: 40\n    scale: 5\n")
    line = line_of(form, "scale: 5")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> fields -> Field(id='proposer_name') -> "
        "scale: key 'scale' does not apply to type 'text'; it applies to score"
    ]


def test_rule_condition_on_unknown_field(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "        scope: channel", "        scope: chanel")
    line = line_of(form, "scope: chanel")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> fields -> Field(id='session') -> rule "
        "-> condition -> scope: unknown field 'chanel' (did you mean 'channel'?)"
    ]


def test_bad_value_type(profile_dir, monkeypatch):
    county = profile_dir / "county.yaml"
    edit(county, "year: 2025", "year: next")
    line = line_of(county, "year: next")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/county.yaml:{line}: At County(id='sangzhi') -> year: input should be a valid integer, "
        "unable to parse string as an integer; got 'next'"
    ]


def test_choice_without_options(profile_dir, monkeypatch):
    form = profile_dir / "forms/offline_session.yaml"
    text = form.read_text(encoding="utf-8")
    start = text.index("    options:\n      - {id: courtyard_talk")
    end = text.index("  - id: held_on")
    form.write_text(text[:start] + text[end:], encoding="utf-8")
    line = line_of(form, "    type: choice")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/offline_session.yaml:{line}: At Form(id='offline_session') -> fields -> Field(id='kind') "
        "-> type: type 'choice' needs 'options'"
    ]


def test_import_names_a_field_the_form_lacks(profile_dir, monkeypatch):
    mapping = profile_dir / "imports/hotline_12345.yaml"
    edit(mapping, "  phone: 来电号码", "  telephone: 来电号码")
    line = line_of(mapping, "telephone:")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/imports/hotline_12345.yaml:{line}: At ImportMapping(id='hotline_12345') -> columns -> telephone: "
        "form 'suggestion' has no field 'telephone' (did you mean 'phone'?)"
    ]


def test_id_must_match_file_name(profile_dir, monkeypatch):
    form = profile_dir / "workflows/suggestion.yaml"
    edit(form, "id: suggestion", "id: suggestions")
    line = line_of(form, "id: suggestions")
    found = problems(profile_dir, monkeypatch)
    assert f"profile/workflows/suggestion.yaml:{line}: At Workflow(id='suggestions') -> id: id 'suggestions' must " \
           "match the file name 'suggestion'" in found


def test_unknown_file_and_missing_county(profile_dir, monkeypatch):
    (profile_dir / "county.yaml").rename(profile_dir / "country.yaml")
    found = problems(profile_dir, monkeypatch)
    assert found == [
        "profile/country.yaml: unknown file; a profile holds county.yaml, demo.yaml, forms/*.yaml, "
        "workflows/*.yaml, imports/*.yaml, rules/*.yaml, documents/*.yaml, votes/*.yaml, funds/*.yaml, "
            "delivery/*.yaml, reports/*.yaml",
        "profile/county.yaml: required file is missing",
    ]


def test_all_problems_reported_at_once(profile_dir, monkeypatch):
    edit(profile_dir / "forms/suggestion.yaml", "    type: phone", "    type: phon")
    edit(profile_dir / "county.yaml", "year: 2025", "year: next")
    edit(profile_dir / "imports/hotline_12345.yaml", "  phone: 来电号码", "  telephone: 来电号码")
    edit(profile_dir / "demo.yaml", "offline_sessions: 68", "offline_sessions: -1")
    found = problems(profile_dir, monkeypatch)
    # the import's reference to the broken suggestion form is not reported twice
    assert len(found) == 3
    assert [re.match(r"profile/([^:]+):", p).group(1) for p in found] == [
        "county.yaml", "demo.yaml", "forms/suggestion.yaml"]


def test_invalid_pattern_and_condition_schema(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, 'pattern: "^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"', 'pattern: "^(1[3-9"')
    edit(form, "schema: {enum: [courtyard_talk, neighbour_talk]}", "schema: {enum: 5}")
    found = problems(profile_dir, monkeypatch)
    assert found == [
        f"profile/forms/suggestion.yaml:{line_of(form, 'schema: {enum: 5}')}: At Form(id='suggestion') -> fields -> "
        "Field(id='session') -> rule -> condition -> schema: not a valid JSON Schema: 5 is not of type 'array'",
        f"profile/forms/suggestion.yaml:{line_of(form, 'pattern:')}: At Form(id='suggestion') -> fields -> "
        "Field(id='phone') -> pattern: not a valid regular expression: unterminated character set at position 3",
    ]


def test_values_named_in_forms_and_imports_must_exist(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "    default: duty_platform", "    default: duty_platfrom")
    edit(form, "schema: {enum: [courtyard_talk, neighbour_talk]}", "schema: {enum: [courtyard_talk, neighbor_talk]}")
    edit(profile_dir / "imports/hotline_12345.yaml", "  channel: hotline_12345", "  channel: hotline")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line_of(form, 'duty_platfrom')}: At Form(id='suggestion') -> fields -> "
        "Field(id='channel') -> default: unknown channel 'duty_platfrom' for field 'channel' "
        "(did you mean 'duty_platform'?)",
        f"profile/forms/suggestion.yaml:{line_of(form, 'neighbor_talk')}: At Form(id='suggestion') -> fields -> "
        "Field(id='session') -> rule -> condition -> schema: unknown channel 'neighbor_talk' for field 'channel' "
        "(did you mean 'neighbour_talk'?)",
        f"profile/imports/hotline_12345.yaml:{line_of(profile_dir / 'imports/hotline_12345.yaml', 'channel: hotline')}: "
        "At ImportMapping(id='hotline_12345') -> fixed -> channel: unknown channel 'hotline' for field 'channel' "
        "(did you mean 'hotline_12345'?)",
    ]


def test_yaml_reads_on_as_true(profile_dir, monkeypatch):
    form = profile_dir / "workflows/suggestion.yaml"
    edit(form, "initial: received\n", "initial: received\non: transition\n")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/workflows/suggestion.yaml:{line_of(form, 'on: transition')}: YAML syntax error: "
        "the key 'on' is read by YAML as true; put it in quotes"
    ]


def test_person_fields_of_a_sheet_are_its_own_fields_with_one_per(profile_dir, monkeypatch):
    wf = profile_dir / "workflows/suggestion.yaml"
    edit(wf, "    person_fields: [member, member_kind]", "    person_fields: [membr_kind]")
    at = "profile/workflows/suggestion.yaml"
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(wf, 'person_fields:')}: At Workflow(id='suggestion') -> sheets -> Sheet[0] -> person_fields"
        "[0]: form 'screening_score' has no field 'membr_kind' (did you mean 'member_kind'?)",
        f"{at}:{line_of(wf, 'person_fields:')}: At Workflow(id='suggestion') -> sheets -> Sheet[0] -> person_fields: "
        "list `one_per` (member) among the person fields: it is what tells one person's sheets from another's"]


def test_sheet_gather_and_split_mistakes(profile_dir, monkeypatch):
    wf = profile_dir / "workflows/suggestion.yaml"
    edit(wf, "    one_per: member", "    one_per: membr")
    edit(wf, "  urgency: {form: screening_score, field: urgency}", "  urgency: {form: screening_score, field: urgncy}")
    edit(wf, "agreed: {form: review_opinion, field: department, where: \"opinion != 'disagree'\"}",
         "agreed: {form: review_opinion, field: department, where: \"opinon != 'disagree'\"}")
    edit(wf, "  - id: split\n    label: 已拆分\n    label_en: Split\n    description: 拆分为几条建议分别办理。\n    final: true",
         "  - id: split\n    label: 已拆分\n    label_en: Split\n    description: 拆分为几条建议分别办理。")
    found = problems(profile_dir, monkeypatch)
    at = "profile/workflows/suggestion.yaml"
    assert found == [
        f"{at}:{line_of(wf, 'one_per: membr')}: At Workflow(id='suggestion') -> sheets -> Sheet[0] -> one_per: "
        "form 'screening_score' has no field 'membr' (did you mean 'member'?)",
        f"{at}:{line_of(wf, 'field: urgncy')}: At Workflow(id='suggestion') -> gather -> urgency -> field: "
        "form 'screening_score' has no field 'urgncy' that rules can read (did you mean 'urgency'?)",
        f"{at}:{line_of(wf, 'opinon !=')}: At Workflow(id='suggestion') -> gather -> agreed -> where: "
        "for form 'review_opinion': unknown name 'opinon' (did you mean 'opinion'?) (at column 1 of «opinon != 'disagree'»)",
        f"{at}:{line_of(wf, '  to: split')}: At Workflow(id='suggestion') -> split -> to: state 'split' must be final: "
        "a split record is done; its parts go on",
    ]


def test_document_mistakes(profile_dir, monkeypatch):
    doc = profile_dir / "documents/answer_letter.yaml"
    edit(doc, "states: [rejected, pending]", "states: [rejected, pendng]")
    edit(doc, 'salutation: "{proposer_name}同志："', 'salutation: "{proposer}同志："')
    found = problems(profile_dir, monkeypatch)
    at = "profile/documents/answer_letter.yaml"
    assert found[0] == (f"{at}:{line_of(doc, 'states:')}: At Document(id='answer_letter') -> states[1]: "
                        "unknown state 'pendng' of form 'suggestion' (did you mean 'pending'?)")
    assert found[1].startswith(f"{at}:{line_of(doc, 'salutation:')}: At Document(id='answer_letter') -> salutation: "
                               "unknown placeholder {proposer} (did you mean 'proposer_name'?); known: ")
    assert len(found) == 2


def test_demo_groups_must_add_up(profile_dir, monkeypatch):
    demo = profile_dir / "demo.yaml"
    edit(demo, "  duplicates: 4", "  duplicates: 3")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/demo.yaml:{line_of(demo, '  bands:')}: At Demo() -> screening -> bands: the bands (80) and "
        "duplicates (3) add up to 83, not suggestions: 84"]


def test_vote_rule_mistakes(profile_dir, monkeypatch):
    vote = profile_dir / "votes/township_congress.yaml"
    at = "profile/votes/township_congress.yaml"
    edit(vote, "  at_least: 2/3 ", "  at_least: two thirds ")
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(vote, 'at_least:')}: At VoteRules(id='township_congress') -> quorum -> at_least: "
        "expected a share such as 1/2, 2/3, 50% or 0.5, got 'two thirds'"]
    edit(vote, "  at_least: two thirds ", "  at_least: 2/3 ")
    edit(vote, "method: approve_and_rank", "method: approve_and_rnk")
    edit(vote, "  chosen: ，当选", "  chosen: ，当选（第 {rnk} 位）")
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(vote, 'method:')}: At VoteRules(id='township_congress') -> method: unknown ballot method "
        "'approve_and_rnk' (did you mean 'approve_and_rank'?); methods are approve_and_rank, yes_no_abstain",
        f"{at}:{line_of(vote, '  chosen:')}: At VoteRules(id='township_congress') -> reasons -> chosen: unknown "
        "placeholder {rnk} (did you mean 'rank'?); known: approvals, base, base_label, candidates, places, rank, "
        "threshold, tied",
    ]


def test_fund_pool_mistakes(profile_dir, monkeypatch):
    fund = profile_dir / "funds/livelihood_pool.yaml"
    edit(fund, "per_project:\n  max: 1000000\n", "per_project:\n  max: 20000000\n")
    edit(fund, "  pay: [finance]", "  pay: [finanse]")
    at = "profile/funds/livelihood_pool.yaml"
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(fund, 'max: 20000000')}: At FundPool(id='livelihood_pool') -> per_project -> max: "
        "a project's cap is more than the whole pool's maximum",
        f"{at}:{line_of(fund, 'pay: [finanse]')}: At FundPool(id='livelihood_pool') -> roles -> pay[0]: "
        "unknown role 'finanse' (did you mean 'finance'?)",
    ]


def test_delivery_errors_name_the_key(profile_dir, monkeypatch):
    path = profile_dir / "delivery/livelihood_delivery.yaml"
    (profile_dir / "demo.yaml").unlink()  # its delivery would be wrong too: checked elsewhere
    edit(path, "milestones: {form: milestone, name: name, due: due}",
         "milestones: {form: milestone, name: name, due: measure}")
    edit(path, "supervision: [supervision_record]", "supervision: [acceptance]")
    edit(path, "when: milestones_behind >= 2", "when: milestone_behind >= 2")
    edit(path, "reason: 督办跟进事项已逾期{follow_up_days_overdue}天", "reason: 督办跟进事项已逾期{days}天")
    edit(path, "notify: [supervisor]", "notify: [supervisors]")
    rel = "profile/delivery/livelihood_delivery.yaml"
    at = "At Delivery(id='livelihood_delivery')"
    assert problems(profile_dir, monkeypatch) == [
        f"{rel}:{line_of(path, 'milestones: {form')}: {at} -> milestones -> due: field 'measure' of form 'milestone' "
        "is a textarea; expected date",
        f"{rel}:{line_of(path, 'supervision: [acceptance]')}: {at} -> supervision[0]: form 'acceptance' is not a "
        "sheet of workflow 'suggestion'; add it under `sheets` there",
        f"{rel}:{line_of(path, 'notify: [supervisors]')}: {at} -> overdue -> notify[0]: unknown role "
        "'supervisors' (did you mean 'supervisor'?)",
        f"{rel}:{line_of(path, 'when: milestone_behind')}: {at} -> escalations -> Escalation(id='watch_list') -> "
        "when: unknown name 'milestone_behind' (did you mean 'milestones_behind'?) (at column 1 of «milestone_behind >= 2»)",
        f"{rel}:{line_of(path, '{days}')}: {at} -> escalations -> Escalation(id='follow_up_overdue') -> reason: "
        "unknown placeholder {days}; known: milestones, milestones_behind, milestones_late, percent, follow_ups_open, "
        "follow_up_days_overdue, days_past_deadline",
    ]


def test_report_errors_name_the_key(profile_dir, monkeypatch):
    path = profile_dir / "reports/annual_report.yaml"
    edit(path, "year_field: submitted_on", "year_field: submited_on")
    edit(path, "    count_by: township\n", "    count_by: title\n")
    edit(path, "states: [pending]}", "states: [pendng]}")
    edit(path, "    votes: township_congress", "    votes: township_congres")
    rel, at = "profile/reports/annual_report.yaml", "At Report(id='annual_report')"
    assert problems(profile_dir, monkeypatch) == [
        f"{rel}:{line_of(path, 'year_field')}: {at} -> year_field: form 'suggestion' has no date field "
        "'submited_on' (did you mean 'submitted_on'?)",
        f"{rel}:{line_of(path, 'count_by: title')}: {at} -> sections -> Section[1] -> count_by: field 'title' is a "
        "text; count_by takes a choice or reference field, or state",
        f"{rel}:{line_of(path, 'pendng')}: {at} -> sections -> Section[2] -> groups -> Group[2] -> states[0]: "
        "unknown state 'pendng' of form 'suggestion' (did you mean 'pending'?)",
        f"{rel}:{line_of(path, 'township_congres')}: {at} -> sections -> Section[3] -> votes: unknown vote "
        "'township_congres' (did you mean 'township_congress'?) (in votes/)",
    ]


def test_a_report_section_is_one_kind_and_sheet_placeholders_are_checked(profile_dir, monkeypatch):
    report = profile_dir / "reports/annual_report.yaml"
    edit(report, "    count_by: channel\n", "    count_by: channel\n    fund: livelihood_pool\n")
    notice = profile_dir / "documents/rectification_notice.yaml"
    edit(notice, "{rectification_order.responsible_unit}", "{rectification_ordr.responsible_unit}")
    edit(notice, "{rectification_order.explanation}", "{rectification_order.explanaton}")
    doc = "profile/documents/rectification_notice.yaml"
    at = "At Document(id='rectification_notice') -> columns"
    assert problems(profile_dir, monkeypatch) == [
        f"{doc}:{line_of(notice, 'rectification_ordr')}: {at} -> Column[3] -> value: unknown placeholder "
        "{rectification_ordr.responsible_unit}: 'rectification_ordr' is not a sheet or action form of form "
        "'suggestion' (did you mean 'rectification_order'?)",
        f"{doc}:{line_of(notice, 'explanaton')}: {at} -> Column[4] -> value: unknown placeholder "
        "{rectification_order.explanaton}: form 'rectification_order' has no field 'explanaton' "
        "(did you mean 'explanation'?)",
        f"profile/reports/annual_report.yaml:{line_of(report, 'count_by: channel') - 2}: At Report(id='annual_report') "
        "-> sections -> Section[0] -> label: a section needs exactly one of count_by, votes, fund, delivery; "
        "it has count_by, fund",
    ]


LAUGHS = "".join(f"{name}: &{name} [{', '.join([prev] * 9)}]\n" for name, prev in
                 zip("bcdefghi", ["*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"]))


def test_a_billion_laughs_is_refused_at_once(profile_dir, monkeypatch):
    """Aliases that repeat aliases would expand to 9**9 values (gigabytes); the file is refused."""
    import time
    bomb = profile_dir / "forms/laughs.yaml"
    bomb.write_text('a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    found = problems(profile_dir, monkeypatch)
    assert time.perf_counter() - started < 10  # refused, not expanded (it took over 60 s and 4.7 GB before)
    assert found == ["profile/forms/laughs.yaml:1: the file expands to more than 200,000 values; YAML aliases "
                     "(*name) that repeat other aliases make it grow without end"]


@pytest.mark.parametrize("text, expected", [
    ("id: odd\nopened: 2025-02-30\n",
     "profile/forms/odd.yaml:2: YAML syntax error: '2025-02-30' is not a date that exists; write it as it is "
     "meant, or in quotes as text"),
    ("id: odd\nloop: &a [*a]\n",
     "profile/forms/odd.yaml:2: lists or mappings nested more than 64 deep (an alias *name used inside its own "
     "anchor &name repeats itself without end)"),
    ("id: odd\ndeep: " + "[" * 1100 + "]" * 1100 + "\n", "profile/forms/odd.yaml:2: lists or mappings nested more than 64 deep"),
    ("id: odd\nmax: " + "9" * 5000 + "\n",
     "profile/forms/odd.yaml:2: YAML syntax error: a number of 5,000 digits; no value of a profile has more than 30"),
    ("id: odd\nlabel: 奇\x07怪\n", "profile/forms/odd.yaml:2: the character U+0007 is not allowed in a YAML file: remove it"),
])
def test_a_file_no_yaml_reader_can_hold_names_its_line(profile_dir, monkeypatch, text, expected):
    """An impossible date, an alias inside itself, nesting past 1,000, a 5,000-digit number and a
    control character gave "internal error" instead of the line."""
    (profile_dir / "forms/odd.yaml").write_text(text, encoding="utf-8")
    assert problems(profile_dir, monkeypatch) == [expected]


def test_a_profile_folder_name_too_long_is_said_in_words():
    from engine.profile.loader import load_profile
    with pytest.raises(ConfigError) as refused:
        load_profile("x" * 300)
    assert str(refused.value.problems[0]) == "x" * 120 + "…: the profile folder cannot be read: File name too long"


def test_a_file_too_large_for_a_profile_is_refused(profile_dir, monkeypatch):
    big = profile_dir / "forms/big.yaml"
    big.write_text("id: big\n# " + "x" * (3 * 1024 * 1024) + "\n", encoding="utf-8")
    assert problems(profile_dir, monkeypatch) == [
        "profile/forms/big.yaml: the file is 3.0 MB; a profile file may be at most 2 MB"]


def test_unknown_role_that_may_read_personal_data(profile_dir, monkeypatch):
    form = profile_dir / "forms/suggestion.yaml"
    edit(form, "  personal_data: [liaison_staff, congress_staff, administrator]",
         "  personal_data: [liaison_staff, congres_staff, administrator]")
    line = line_of(form, "congres_staff")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{line}: At Form(id='suggestion') -> access -> personal_data[1]: "
        "unknown role 'congres_staff' (did you mean 'congress_staff'?); roles are declared in county.yaml"
    ]


def test_a_sign_in_rule_out_of_its_range(profile_dir, monkeypatch):
    county = profile_dir / "county.yaml"
    edit(county, 'date_format: "{year}年{month}月{day}日"\n',
         'date_format: "{year}年{month}月{day}日"\nsign_in:\n  password_min_length: 4\n')
    line = line_of(county, "password_min_length")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/county.yaml:{line}: At County(id='sangzhi') -> sign_in -> password_min_length: input should "
        "be greater than or equal to 8; got 4"
    ]


def test_a_wrong_id_inside_a_file_is_one_mistake_not_one_per_reference(profile_dir, monkeypatch):
    form = profile_dir / "forms/project_rating.yaml"
    edit(form, "id: project_rating\n", "id: project_ratings\n")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/forms/project_rating.yaml:{line_of(form, 'id: project_ratings')}: At Form(id='project_ratings') -> id: "
        "id 'project_ratings' must match the file name 'project_rating'"]


def test_a_broken_sheet_form_is_one_error_not_one_for_every_rule_and_demo_line_that_reads_it(tmp_path):
    """A typo in the score sheet's field type used to bring fifteen follow-on errors: the demo's
    bands and members naming an 'unknown form', every screening transition's rules missing their
    inputs. Now the form's own error stands alone."""
    from tests.conftest import CONFIG
    (tmp_path / "forms").mkdir()
    (tmp_path / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (tmp_path / "forms" / "screening_score.yaml").write_text("fields:\n  - {id: necessity, type: numbr}\n",
                                                             encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_profile(tmp_path)
    assert [str(p) for p in refused.value.problems] == [
        f"{tmp_path}/forms/screening_score.yaml:2: At Form(id='screening_score') -> fields -> Field(id='necessity') "
        "-> type: expected one of text, textarea, integer, number, money, date, choice, multichoice, score, phone, "
        f"reference, file; got 'numbr' (did you mean 'number'?) (merged with {CONFIG}/forms/screening_score.yaml)"]
