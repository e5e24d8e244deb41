"""The interface's own words in Chinese (the default) and English.

County words (form labels, township names, states) come from the profile; these are the
product's words: buttons, headings and the messages for each problem code the engine raises.
"""
from __future__ import annotations

from engine.errors import InputError, Problem

LANGS = ("zh", "en")

PROBLEMS: dict[str, tuple[str, str]] = {
    "required": ("此项必填", "this is required"),
    "not_applicable": ("此项在当前选择下不应填写", "does not apply to the current choices"),
    "unknown_fields": ("表单中没有这些项：{fields}", "the form has no such fields: {fields}"),
    "type": ("类型不对", "wrong kind of value"),
    "enum": ("不在可选范围内", "not one of the allowed choices"),
    "const": ("取值不对", "wrong value"),
    "minLength": ("至少 {limit} 个字", "at least {limit} characters"),
    "maxLength": ("最多 {limit} 个字", "at most {limit} characters"),
    "pattern": ("格式不对", "wrong format"),
    "minimum": ("不能小于 {limit}", "must be at least {limit}"),
    "maximum": ("不能大于 {limit}", "must be at most {limit}"),
    "minItems": ("至少选 {limit} 项", "choose at least {limit}"),
    "maxItems": ("最多选 {limit} 项", "choose at most {limit}"),
    "uniqueItems": ("有重复项", "has repeated items"),
    "format": ("格式不对", "wrong format"),
    "items": ("有不在可选范围内的项", "has an item that is not allowed"),
    "schema": ("取值不符合要求", "value not accepted"),
    "not_integer": ("应为整数，收到“{value}”", "expected a whole number, got '{value}'"),
    "not_money": ("应为金额（元），收到“{value}”", "expected an amount in yuan, got '{value}'"),
    "money_precision": ("金额最多精确到分：{value}", "amounts go to the fen (2 decimals) at most: {value}"),
    "not_date": ("应为日期（如 2025-03-01），收到“{value}”", "expected a date such as 2025-03-01, got '{value}'"),
    "not_option": ("“{value}”不是可选项", "'{value}' is not one of the options"),
    "not_record": ("应为记录编号，收到“{value}”", "expected a record number, got '{value}'"),
    "not_file": ("附件无效", "not a valid attachment"),
    "file_type": ("文件类型只能是：{allowed}", "the file must be one of: {allowed}"),
    "file_size": ("文件不能超过 {limit} KB", "the file must be at most {limit} KB"),
    "no_such_record": ("找不到编号为 {value} 的记录", "no record number {value}"),
    "not_filterable": ("不能按此项筛选", "cannot filter on this field"),
    "bad_username": ("用户名只能用英文字母、数字和下划线", "usernames use letters, digits and _ only"),
    "unknown_roles": ("未知角色：{roles}", "unknown roles: {roles}"),
    "taken": ("已被占用", "already taken"),
    "missing_columns": ("文件缺少这些列：{columns}", "the file lacks these columns: {columns}"),
    "empty_file": ("文件是空的", "the file is empty"),
    "not_csv": ("不是有效的 CSV 文件", "not a valid CSV file"),
    "not_xlsx": ("不是有效的 Excel（xlsx）文件", "not a valid Excel (xlsx) file"),
    "no_file": ("找不到文件 {value}", "no file {value}"),
}

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("民生实事项目人大代表票决", "Livelihood projects decided by deputies' vote"),
    "language": ("语言", "Language"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码不对", "Wrong username or password"),
    "signed_in_as": ("当前用户：{name}", "Signed in as {name}"),
    "public_pages": ("公众服务", "For the public"),
    "staff_pages": ("工作人员", "Staff"),
    "submit": ("提交", "Submit"),
    "new_record": ("填报：{form}", "New: {form}"),
    "list_records": ("{form}列表", "{form}: list"),
    "lookup": ("凭回执码查询", "Follow by receipt code"),
    "lookup_help": ("请输入提交建议时得到的回执码，例如 {example}", "Enter the receipt code you got when you submitted, e.g. {example}"),
    "receipt_code": ("回执码", "Receipt code"),
    "search": ("查询", "Look up"),
    "not_found": ("没有找到这个回执码，请检查后重试。", "No suggestion has this receipt code. Please check it and try again."),
    "submitted": ("提交成功！请保存您的回执码：", "Submitted. Keep your receipt code:"),
    "submitted_note": ("凭回执码可随时查询办理进度。", "Use it at any time to follow your suggestion."),
    "fix_errors": ("请修改标出的项后再提交。", "Please correct the marked fields and submit again."),
    "status": ("办理状态", "Status"),
    "history": ("办理记录", "History"),
    "submitted_at": ("提交时间", "Submitted"),
    "when": ("时间", "When"),
    "total": ("共 {n} 条", "{n} in all"),
    "page": ("页码", "Page"),
    "page_of": ("第 {page} / {pages} 页", "page {page} of {pages}"),
    "all": ("全部", "All"),
    "no_records": ("没有记录。", "No records."),
    "open": ("查看", "Open"),
    "record_no": ("记录编号", "Record number"),
    "title": ("标题", "Title"),
    "details": ("详情", "Details"),
    "back": ("返回列表", "Back to the list"),
    "linked": ("关联的记录", "Linked records"),
    "not_allowed": ("您没有权限做这件事。", "You are not allowed to do this."),
    "sign_in_first": ("请先在左侧登录。", "Please sign in first (on the left)."),
    "select_to_open": ("点选一行查看详情。", "Select a row to open it."),
    "import": ("批量导入", "Bulk import"),
    "import_kind": ("导入格式", "Import format"),
    "import_file": ("选择 CSV 或 Excel 文件", "Choose a CSV or Excel file"),
    "import_start": ("开始导入", "Start import"),
    "import_done": ("导入完成：读取 {read} 行，新增 {added} 条，重复 {duplicate} 条，有误 {rejected} 行。",
                    "Done: {read} rows read, {added} added, {duplicate} duplicates, {rejected} rejected."),
    "import_rejected_rows": ("有误的行", "Rejected rows"),
    "row": ("行号", "Row"),
    "field": ("项目", "Field"),
    "reason": ("原因", "Reason"),
    "whole_row": ("整行", "whole row"),
    "action.record.submit": ("提交", "Submitted"),
    "action.import.batch": ("导入", "Imported"),
    "choose": ("请选择", "Choose"),
    "none": ("（无）", "(none)"),
    "internal_error": ("系统出错了，错误已记录，请稍后再试或联系管理员。", "Something went wrong. It has been logged; please try again later or tell the administrator."),
    "profile_error": ("配置文件有错误，请管理员运行 minsheng check 查看：", "The profile has errors; the administrator can run minsheng check to see them:"),
    "private_note": ("仅工作人员可见", "staff only"),
    "action_refused": ("未能办理：{reason}", "Not done: {reason}"),
    "refused.unknown_action": ("没有这项操作", "there is no such action"),
    "refused.wrong_state": ("当前状态下不能办理", "not possible in the current state"),
    "refused.not_allowed": ("您没有权限", "you are not allowed"),
    "refused.condition_false": ("条件不满足", "its condition does not hold"),
    "refused.changed_meanwhile": ("记录刚被他人办理，请刷新", "someone else just changed it; reload"),
    "refused.no_workflow": ("此表单没有办理流程", "this form has no workflow"),
    "action.record.transition": ("办理", "Action"),
    "attachment": ("附件", "Attachment"),
}


def text(key: str, lang: str = "zh", **params) -> str:
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**params)


def problem_text(problem: Problem, lang: str = "zh") -> str:
    zh, en = PROBLEMS.get(problem.code, (problem.code, problem.code))
    template = en if lang == "en" else zh
    try:
        return template.format(**problem.params)
    except (KeyError, IndexError):
        return template


def input_error_lines(error: InputError, labels: dict[str, str], lang: str = "zh") -> list[str]:
    """'label: reason' lines for an InputError, labels from the form (or the field id)."""
    whole = text("whole_row", lang)
    return [f"{labels.get(fid, fid) if fid else whole}: {problem_text(p, lang)}" for fid, p in error.problems.items()]
