"""The interface's own words in Chinese (the default) and English.

County words (form labels, township names, states) come from the profile; these are the
product's words: buttons, headings and the messages for each problem code the engine raises.
"""
from __future__ import annotations

from decimal import Decimal

from apps.i18n_accounts import ACCOUNT_TEXT
from apps.i18n_batches import BATCH_TEXT
from apps.i18n_days import WINDOW_PROBLEMS, WINDOW_TEXT, shown_days
from apps.i18n_policy import POLICY_TEXT
from apps.i18n_votes import VOTE_TEXT
from engine.kernel.errors import InputError, Problem

LANGS = ("zh", "en")

PROBLEMS: dict[str, tuple[str, str]] = {
    "required": ("此项必填", "this is required"),
    "not_applicable": ("此项在当前选择下不应填写", "does not apply to the current choices"),
    "check_failed": ("{message}", "{message_en}"),  # the county's own words, from the form's `checks`
    "unknown_fields": ("表单中没有这些项：{fields}", "the form has no such fields: {fields}"),
    "type": ("类型不对", "wrong kind of value"),
    "enum": ("不在可选范围内", "not one of the allowed choices"),
    "const": ("取值不对", "wrong value"),
    "minLength": ("至少 {limit} 个字", "at least {limit} characters"),
    "weak_password": ("密码太容易被猜中（常见密码、键盘顺序、姓名或日期），请换一个更长、更不规则的密码",
                      "the password is too easy to guess (a common one, a keyboard run, a name or a date); choose a longer, less regular one"),
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
    "not_number": ("应为数字，收到“{value}”", "expected a number, got '{value}'"),
    "not_step": ("应为 {step} 的整数倍，收到“{value}”", "expected a multiple of {step}, got '{value}'"),
    "money_precision": ("金额最多精确到分：{value}", "amounts go to the fen (2 decimals) at most: {value}"),
    "not_date": ("应为日期（如 2025-03-01），收到“{value}”", "expected a date such as 2025-03-01, got '{value}'"),
    "not_option": ("“{value}”不是可选项", "'{value}' is not one of the options"),
    "not_record": ("应为记录编号，收到“{value}”", "expected a record number, got '{value}'"),
    "xlsx_too_large": ("工作簿的文字表超过 {limit} MB，请另存为 CSV 后导入", "the workbook's text table is over {limit} MB; save it as CSV and import that"),
    "xlsx_cell_too_large": ("工作簿中有单元格远超 {limit} 个字符（Excel 的上限），无法导入；请检查文件", "the workbook holds a cell far over {limit} characters (what Excel allows); it cannot be imported: check the file"),
    "cell_too_large": ("单元格超过 {limit} 个字符（Excel 单元格的上限），本行未导入", "the cell is longer than {limit} characters (what an Excel cell holds); the row was not imported"),
    "row_too_long": ("本行超过 {limit} 个字符，无法读取，未导入", "the row is longer than {limit} characters and cannot be read; not imported"),
    "row_unreadable": ("本行无法读取（含有空字符或引号不成对），未导入", "the row cannot be read (a NUL character or an unclosed quote); not imported"),
    "other_station": ("只能填报、导入本联络站（{station}）的记录", "you may enter and import records of your own station ({station}) only"),
    "other_township": ("只能填报、导入本乡镇（{township}）的记录", "you may enter and import records of your own township ({township}) only"),
    "control_characters": ("含有不可见的控制字符，请删除后重新填写", "contains invisible control characters; remove them"),
    "number_too_large": ("数值过大（须小于 {limit}）：{value}", "the number is too large (it must be below {limit}): {value}"),
    "not_file": ("附件无效", "not a valid attachment"),
    "file_type": ("文件类型只能是：{allowed}", "the file must be one of: {allowed}"),
    "file_size": ("文件不能超过 {limit} KB", "the file must be at most {limit} KB"),
    "no_such_record": ("找不到编号为 {value} 的记录", "no record number {value}"),
    "not_filterable": ("不能按此项筛选", "cannot filter on this field"),
    "not_sortable": ("不能按此项排序", "cannot sort on this"),
    "nothing_to_search": ("请输入要查找的字或词（标点符号不能用来查找）", "type a word to search for (punctuation is not searched)"),
    "search_too_long": ("查找的文字太长，最多 {limit} 个字", "the search is too long: {limit} characters at most"),
    "bad_username": ("用户名只能用英文字母、数字和下划线", "usernames use letters, digits and _ only"),
    "unknown_roles": ("未知角色：{roles}", "unknown roles: {roles}"),
    "unknown_groups": ("未知小组：{groups}（小组在 county.yaml 的 groups 中声明）", "unknown groups: {groups} (groups are declared in county.yaml)"),
    "taken": ("已被占用", "already taken"),
    "missing_columns": ("文件缺少这些列：{columns}", "the file lacks these columns: {columns}"),
    "empty_file": ("文件是空的", "the file is empty"),
    "device_mark": ("“{column}”一栏的“{value}”不是表决器的表态（赞成、反对、弃权或留空）",
                    "'{value}' in column '{column}' is no device mark (yes, no, abstain, or empty)"),
    "device_column": ("“{column}”一栏不是本次票决的候选项目（请用项目编号或标题作表头）",
                      "column '{column}' names no candidate of this ballot (head it with the record number or title)"),
    "device_no_candidates": ("文件中没有候选项目的栏目", "the file has no column for any candidate"),
    "not_csv": ("不是有效的 CSV 文件", "not a valid CSV file"),
    "not_xlsx": ("不是有效的 Excel（xlsx）文件，或文件已损坏", "not a valid Excel (xlsx) file, or the file is damaged"),
    "xlsx_no_sheet": ("工作簿中没有工作表", "the workbook has no worksheet"),
    "xlsx_too_many_texts": ("工作簿的文字表比它的 {cells} 个单元格能用到的多得多，不像是导出的文件，无法导入", "the workbook's text table holds far more texts than its {cells} cells can use; it is no export and cannot be imported"),
    "no_file": ("找不到文件 {value}", "no file {value}"),
    "run_finished": ("导入批次 {value} 已经结束", "import run {value} has already finished"),
    "refused": ("{reason}", "{reason}"),
    "wrong_state": ("当前状态（{state}）下不能填写", "cannot be filed in the current state ({state})"),
    "document_wrong_state": ("当前状态（{state}）下没有这份文书", "this document does not apply in the current state ({state})"),
    "merge_nothing": ("请填写要并入的记录编号", "give the numbers of the records to merge in"),
    "merge_wrong_state": ("记录 {value} 当前不能合并", "record {value} cannot be merged now"),
    "already_merged": ("记录 {value} 已经并入其他建议", "record {value} has already been merged into another"),
    "merge_into_merged": ("记录 {value} 本身已并入其他建议，请并入那一条", "record {value} was itself merged into another; merge into that one"),
    "split_wrong_state": ("记录 {value} 当前不能拆分", "record {value} cannot be split now"),
    "split_too_few": ("至少拆分为两条", "split into two parts at least"),
    "bulk_needs_form": ("“{action}”需要逐条填写表单，请在网页上办理", "'{action}' needs a form for each record; take it in the app"),
    **WINDOW_PROBLEMS,
}

TEXT: dict[str, tuple[str, str]] = {
    **VOTE_TEXT,
    **ACCOUNT_TEXT,
    **BATCH_TEXT,
    **POLICY_TEXT,
    **WINDOW_TEXT,
    "app_title": ("民生实事项目人大代表票决", "Livelihood projects decided by deputies' vote"),
    "language": ("语言", "Language"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "username": ("用户名", "Username"),
    "who": ("经办人", "By"), "who.system": ("系统（按规则自动）", "The system (by the rules)"),
    "who.public": ("群众（网上提交）", "The public (online)"),
    "password": ("密码", "Password"),
    "sign_in.bad_login": ("用户名或密码不对", "Wrong username or password"),
    "sign_in.wait": ("密码错误次数过多，请 {seconds} 秒后再试", "Too many wrong passwords: try again in {seconds} seconds"),
    "sign_in.locked": ("该账号因多次密码错误已被锁定，请联系系统管理员解锁", "This account is locked after too many wrong passwords; ask an administrator to unlock it"),
    "sign_in.locked_now": ("密码已连续错误 {failures} 次，该账号已被锁定，请联系系统管理员解锁", "{failures} wrong passwords in a row: the account is now locked; ask an administrator to unlock it"),
    "sign_in.demo_account": ("这是演示账号，只能在 minsheng demo 生成的演示数据库中使用", "This is a demo account: it works only in a database made by minsheng demo"),
    "session_ended": ("登录已失效（超时，或账号的密码、角色、状态已更改），请重新登录", "Your session has ended (timed out, or the account's password, roles or state changed); please sign in again"),
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
    "file_label": ("文件", "File"),
    "saved_record": ("已保存，记录编号 {id}", "Saved as record {id}"),
    "action.record.submit": ("提交", "Submitted"),
    "action.import.batch": ("导入", "Imported"),
    "action.flag.raised": ("系统提醒：逾期或督办", "Alert raised (late or escalated)"),
    "action.flag.cleared": ("提醒解除", "Alert cleared"),
    "action.notify": ("通知相关人员", "Role notified"),
    "choose": ("请选择", "Choose"),
    "none": ("（无）", "(none)"),
    "internal_error": ("系统出错了，错误已记录，请稍后再试或联系管理员。", "Something went wrong. It has been logged; please try again later or tell the administrator."),
    "profile_error": ("配置文件有错误，请管理员运行 minsheng check 查看：", "The profile has errors; the administrator can run minsheng check to see them:"),
    "private_note": ("仅工作人员可见", "staff only"),
    "action_refused": ("未能办理：{reason}", "Not done: {reason}"),
    "rules.wrong_input": ("规则的输入类型不对，未作决定：{fields}", "Inputs of the wrong type, nothing decided: {details}"),
    "rules.overlap": ("规则表 {table} 中 {rows} 这几行同时符合，规则有重叠，请管理员修正规则", "rows {rows} of table {table} all match: the rules overlap; an administrator must correct them"),
    "rules.disagree": ("规则表 {table} 中同时符合的行结论不一致：{rows}，请管理员修正规则", "rows of table {table} that match together disagree: {rows}; an administrator must correct them"),
    "refused.unknown_action": ("没有这项操作", "there is no such action"),
    "refused.wrong_state": ("当前状态下不能办理", "not possible in the current state"),
    "refused.not_allowed": ("您没有权限", "you are not allowed"),
    "refused.condition_false": ("条件不满足", "its condition does not hold"),
    "refused.changed_meanwhile": ("记录刚被他人办理，请刷新", "someone else just changed it; reload"),
    "refused.no_workflow": ("此表单没有办理流程", "this form has no workflow"),
    "action.record.transition": ("办理", "Action"),
    "attachment": ("附件", "Attachment"),
    "action.sheet.file": ("填报", "Sheet filed"),
    "action.record.group": ("分配到小组", "Assigned to a group"),
    "filed": ("填报{form}", "{form} filed"),
    "action.record.merge": ("合并", "Merged"),
    "action.record.merged_here": ("并入重复建议", "Duplicates merged in"),
    "action.record.split": ("拆分", "Split"),
    "action.record.split_part": ("由拆分产生", "Made by a split"),
    "decision_reason": ("办理意见", "Why"),
    "decision_details": ("查看依据", "How this was decided"),
    "decision_source": ("规则文件 {rules} · 规则版本 {version} · 命中规则 {rows}",
                        "rule file {rules} · policy version {version} · rows {rows}"),
    "file_sheet": ("填写{form}", "File: {form}"),
    "one_per_note": ("同一{field}再次填写时，以最后一次为准。", "A later sheet with the same {field} replaces the earlier one."),
    "sheet_filed": ("已保存{form}。", "{form} saved."),
    "sheets": ("已填报的表单", "Sheets filed"),
    "form": ("表单", "Form"),
    "counts": ("是否计入", "Counts"),
    "replaced": ("已被替代", "replaced"),
    "merge_title": ("合并重复建议", "Merge duplicates"),
    "merge_help": ("把内容相同的建议并入本条：它们随本条一起办理，每位建议人都会收到结果。",
                   "Merge suggestions asking for the same thing into this one: they follow it, and every proposer hears the outcome."),
    "merge_ids": ("要并入的记录编号（用逗号分隔）", "Record numbers to merge in (comma-separated)"),
    "merge_do": ("合并", "Merge"),
    "merged_n": ("已并入 {n} 条建议。", "{n} suggestions merged in."),
    "note": ("说明", "Note"),
    "split_title": ("拆分建议", "Split"),
    "split_help": ("一条建议包含几件事时，拆分为几条分别筛选；建议人等其他信息保留。",
                   "When a suggestion asks for several things, split it so each is screened on its own; the proposer and other details are kept."),
    "split_parts": ("拆分为几条", "Number of parts"),
    "split_part": ("第 {n} 条", "Part {n}"),
    "split_part_title": ("第 {n} 条标题", "Part {n}: title"),
    "split_part_content": ("第 {n} 条内容", "Part {n}: details"),
    "split_do": ("拆分", "Split"),
    "split_done": ("已拆分为 {ids}。", "Split into {ids}."),
    "related.merged_into": ("已并入", "Merged into"),
    "related.merged_here": ("并入本条的建议", "Merged into this one"),
    "related.split_from": ("拆分自", "Split from"),
    "related.parts": ("拆分为", "Split into"),
    "merged_here_count": ("另有 {n} 条相同的建议并入本条一并办理", "{n} suggestions asking the same were merged into this one"),
    "download": ("下载{what}（PDF）", "Download {what} (PDF)"),
    "copy_text": ("{what}（点右上角图标复制）", "{what} (copy with the icon on the right)"),
    "awaiting": ("待办：{form}", "To do: {form}"),
    "start.title": ("我的待办", "My work"),
    "start.who": ("{name}，以下事项等待您办理：", "{name}, this is what waits for you:"),
    "start.nothing": ("目前没有等待您办理的事项。", "Nothing waits for you now."),
    "start.file": ("填报{form}", "File: {form}"),
    "start.ballot": ("待投票的票决", "Ballots to cast"),
    "start.count": ("{n} 条", "{n}"),
    "start.go": ("去办理", "Open"),
    "awaiting_none": ("都已完成。", "Nothing left to do."),
    "notices": ("公示", "Public notices"),
    "go_to_record": ("按编号打开", "Open number"),
    "menu": ("菜单", "Menu"),
    "ui.upload": ("选择文件", "Upload"), "ui.drop_here": ("或把文件拖到这里", "or drop a file here"),
    "ui.year": ("年", "yyyy"), "ui.month": ("月", "mm"), "ui.day": ("日", "dd"),
    "ui.choose": ("请选择", "Choose"),
    "ui.skip_to_content": ("跳到正文", "Skip to main content"),
    "ui.file_rules": ("可上传：{types}；每个文件不超过 {size}", "Accepted: {types}; at most {size} a file"),
    "menu.sign_in": ("工作人员登录：点左上角的 » 打开侧栏。", "Staff sign in: tap » at the top left to open the sidebar."),
    "projects.nav": ("民生实事项目公开", "The year's projects"),
    "projects.title": ("{year}年民生实事项目公开", "Livelihood projects of {year}"),
    "projects.about": ("人大代表票决产生的每个项目：实施单位、资金、进度和代表测评结果（{what}）。",
                       "Every project the deputies chose: its unit, money, progress and the deputies' rating ({what})."),
    "projects.all": ("全部乡镇（{n} 个项目）", "All townships ({n} projects)"),
    "projects.select": ("点选一行查看项目从建议到测评的全过程。", "Select a row to see the project's whole chain."),
    "projects.rating": ("代表测评", "Deputies' rating"),
    "find_words": ("查找", "Search"),
    "search_hint": ("标题或内容中的字词，如：路灯", "words of the title or the content"),
    "sort": ("排序", "Sort"),
    "sort.newest": ("最新在前", "Newest first"),
    "sort.oldest": ("最早在前", "Oldest first"),
    "sort.title": ("按标题", "By title"),
    "sort.state": ("按状态", "By status"),
    "sort.by": ("按{field}", "By {field}"),
    "no_records_found": ("没有找到含有这些字词的记录。", "No record holds these words."),
    "export_xlsx": ("导出 Excel", "Export to Excel"),
    "download_xlsx": ("下载（{n} 行）", "Download ({n} rows)"),
    "exporting": ("正在生成表格……", "Making the spreadsheet…"),
    "export_hint": ("导出筛选、查找后的整个列表（最多 {limit} 行）", "the whole filtered list (at most {limit} rows)"),
    "created_at": ("提交时间", "Submitted"),
    "fund.year": ("{year} 年度", "Year {year}"), "fund.total": ("资金池总额（元）", "Pool total (yuan)"),
    "fund.allocated": ("已分配", "Allocated"), "fund.unallocated": ("未分配", "Unallocated"),
    "fund.paid": ("已支付", "Paid"), "fund.by_township": ("各乡镇资金", "By township"),
    "fund.by_project": ("各项目资金", "By project"), "fund.share_paid": ("支付进度", "Paid share"),
    "fund.export": ("导出资金台账（Excel，供审计）", "Export the ledger (Excel, for audit)"),
    "fund.no": ("序号", "No."), "fund.date": ("日期", "Date"), "fund.kind": ("类别", "Kind"),
    "fund.source": ("资金来源", "Source"), "fund.project": ("项目", "Project"), "fund.amount": ("金额（元）", "Amount (yuan)"),
    "fund.payee": ("收款单位", "Payee"), "fund.purpose": ("用途", "Purpose"), "fund.approver": ("审批人", "Approver"),
    "fund.document": ("凭证号", "Voucher"), "fund.reverses": ("冲销序号", "Reverses no."),
    "fund.by": ("录入人", "Entered by"), "fund.at": ("录入时间", "Entered at"),
    "fund.record": ("登记资金", "Record an entry"),
    "fund.contribute": ("资金入池", "Money into the pool"), "fund.allocate": ("分配到项目", "Allocate to a project"),
    "fund.pay": ("拨付", "Payment"), "fund.reverse": ("冲销（更正）", "Reverse (correct) an entry"),
    "fund.entry_no": ("要冲销的台账序号", "Ledger no. to reverse"), "fund.reason": ("冲销原因", "Reason"),
    "fund.choose_project": ("项目", "Project"), "fund.saved": ("已登记{kind}：{concerns}，{amount} 元（台账序号 {entry}）。", "Recorded ({kind}): {concerns}, {amount} yuan (ledger no. {entry})."),
    "fund.reversed": ("已冲销台账序号 {reversed}（冲销记录序号 {entry}）。", "Reversed ledger no. {reversed} (as no. {entry})."),
    "fund.pick_project": ("请选择项目（可输入名称查找）", "Choose a project (type to search)"),
    "fund.pick_project_first": ("先选择项目，这里会显示它已分配、已拨付和待拨付的金额。", "Choose a project first: its allocated, paid and remaining money shows here."),
    "fund.left_to_pay": ("待拨付", "Left to pay"),
    "fund.ledger": ("资金台账（最近 {n} 笔）", "Ledger (latest {n} entries)"),
    "fund.kind.contribution": ("入池", "In"), "fund.kind.allocation": ("分配", "Allocation"),
    "fund.kind.payment": ("拨付", "Payment"),
    "fund.refused.pool_over_max": ("资金池总额将达 {total} 元，超过上限 {max} 元", "the pool would reach {total}, above its maximum {max}"),
    "fund.refused.source_over_max": ("该来源资金将达 {total} 元，超过上限 {max} 元", "this source would reach {total}, above its maximum {max}"),
    "fund.refused.pool_under_min": ("资金池现有 {total} 元，未达到下限 {min} 元，暂不能分配", "the pool holds {total}, below its minimum {min}: nothing can be allocated yet"),
    "fund.refused.over_pool": ("分配合计将达 {allocated} 元，超过资金池总额 {total} 元", "allocations would reach {allocated}, more than the pool's {total}"),
    "fund.refused.over_share": ("该项目分配将达 {project} 元，超过其资金需求 {needs} 元的 {share}%（{most} 元），其余应由配套资金承担",
                                "this project would get {project}, more than {share}% of its needs of {needs} ({most}); the rest is matched by others"),
    "fund.refused.project_over_max": ("该项目分配将达 {project} 元，超过单个项目上限 {max} 元", "this project would get {project}, above the cap {max}"),
    "fund.refused.over_allocation": ("拨付合计将达 {paid} 元，超过该项目分配的 {allocated} 元", "payments would reach {paid}, more than the {allocated} allocated"),
    "fund.refused.not_a_project": ("记录 {record} 不是可分配资金的项目", "record {record} is not a project that can receive money"),
    "fund.refused.reversal_of_reversal": ("冲销记录不能再冲销", "a reversal cannot be reversed"),
    "fund.refused.already_reversed": ("台账序号 {entry} 已经冲销过", "ledger no. {entry} is already reversed"),
    "fund.refused.would_leave_allocations_uncovered": ("冲销后资金池仅余 {total} 元，不足已分配的 {allocated} 元", "the pool would hold {total}, less than the {allocated} allocated"),
    "fund.refused.would_leave_payments_uncovered": ("冲销后该项目分配仅余 {allocated} 元，不足已拨付的 {paid} 元", "the project would keep {allocated}, less than the {paid} paid"),
    "dl.title": ("实施与监督", "Delivery and supervision"),
    "report.count": ("数量", "Count"), "report.state": ("办理结果", "Outcome"), "report.township": ("乡镇", "Township"),
    "report.candidates": ("候选项目", "Candidates"), "report.places": ("应选项目", "Places"),
    "report.ballots": ("收回选票", "Ballots"), "report.chosen": ("票决通过", "Chosen"),
    "report.allocated": ("已分配", "Allocated"), "report.paid": ("已拨付", "Paid"),
    "report.projects": ("项目数", "Projects"), "report.completed": ("已竣工", "Completed"),
    "report.on_time_rate": ("节点按期率（%）", "Milestones on time (%)"), "report.rated": ("测评满意", "Rated satisfactory"),
    "report.rectifying": ("整改", "Rectification"), "report.total": ("合计", "Total"),
    "report.year": ("报告年度", "Year"), "report.make": ("生成报告", "Make the report"),
    "report.xlsx": ("下载 Excel", "Download Excel"), "report.pdf": ("下载 PDF", "Download PDF"),
    "trace.title": ("办理全过程（一链到底）", "The whole chain"),
    "trace.submitted": ("提出建议", "Suggestion made"),
    "trace.merged": ("与相同的建议合并，随项目 #{id} 办理", "Merged with the same request; follows project #{id}"),
    "trace.milestone": ("里程碑“{name}”（计划 {due}）：{status}", "Milestone “{name}” (planned {due}): {status}"),
    "trace.progress": ("目前进度 {percent}%，实施单位：{unit}，完成时限：{deadline}",
                       "Progress now {percent}%; implementing unit: {unit}; deadline: {deadline}"),
    "trace.money": ("资金：已分配 {allocated} 元，已拨付 {paid} 元", "Funds: {allocated} allocated, {paid} paid (yuan)"),
    "dl.year": ("考核年度", "Assessment year"),
    "dl.projects": ("项目数", "Projects"), "dl.under_way": ("实施中", "Under way"), "dl.completed": ("已完成", "Completed"),
    "dl.watched": ("重点督办", "On the watch list"), "dl.behind": ("逾期节点", "Milestones behind"),
    "dl.follow_ups": ("未办结督办事项", "Open follow-ups"), "dl.my_alerts": ("需要我关注的提醒", "Alerts for me"),
    "dl.no_alerts": ("没有需要关注的提醒。", "Nothing needs your attention."),
    "dl.watch_list": ("人大重点督办项目", "The congress's watch list"),
    "dl.by_township": ("各乡镇实施情况", "By township"), "dl.mean_percent": ("平均进度（%）", "Mean progress (%)"),
    "dl.on_time_rate": ("节点按期完成率（%）", "Milestones on time (%)"),
    "dl.all_projects": ("全部项目", "All projects"), "dl.watched_only": ("只看重点督办项目", "Watch list only"),
    "dl.percent": ("进度", "Progress"), "dl.unit": ("实施单位", "Implementing unit"), "dl.deadline": ("完成时限", "Deadline"),
    "dl.needs": ("资金需求（元）", "Needs (yuan)"), "dl.alerts": ("提醒", "Alerts"),
    "dl.scorecard": ("乡镇年度考核：民生实事项目", "Townships' annual assessment: livelihood projects"),
    "dl.milestones_due": ("已到期节点", "Milestones due"), "dl.on_time": ("按期完成", "On time"),
    "dl.rated": ("测评满意", "Rated satisfactory"), "dl.rectifying": ("整改中", "Being rectified"),
    "dl.export_list": ("导出项目责任清单（Excel）", "Export the responsibility list (Excel)"),
    "dl.export_list_pdf": ("打印项目责任清单（PDF）", "Print the responsibility list (PDF)"),
    "dl.export_scorecard": ("导出乡镇考核表（Excel）", "Export the township scorecard (Excel)"),
    "dl.list_title": ("{year}年民生实事项目责任清单", "{year} livelihood projects: responsibility list"),
    "dl.project": ("项目名称", "Project"), "dl.milestones": ("里程碑节点", "Milestones"),
    "dl.milestone": ("节点", "Milestone"), "dl.planned": ("计划日期", "Planned"), "dl.reached": ("完成日期", "Reached"),
    "dl.status": ("情况", "Status"), "dl.status.on_time": ("按期完成", "On time"),
    "dl.status.late": ("逾期完成", "Reached late"), "dl.status.behind": ("逾期未完成", "Late"),
    "dl.status.pending": ("未到期", "Not yet due"),
    "dl.flags": ("提醒与督办记录", "Alerts and escalations"), "dl.raised": ("提出时间", "Raised"),
    "dl.cleared": ("解除", "Cleared"), "dl.open": ("未解除", "Open"),
    "dl.follow_up_list": ("督办跟进事项", "Follow-up actions"), "dl.open_record": ("打开 #{id}", "Open #{id}"),
    "dl.about": ("所属项目", "Project"), "dl.defaults": ("留空的日期按规定填写：{dates}", "Dates left empty are filled by the rules: {dates}"),
    "dl.money": ("已分配 {allocated} 元，已拨付 {paid} 元，资金需求 {needs} 元",
                 "Allocated {allocated}, paid {paid}, needs {needs} (yuan)"),
    "township": ("乡镇", "Township"),
}


def text(key: str, lang: str = "zh", **params) -> str:
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**params)


def problem_text(problem: Problem, lang: str = "zh") -> str:
    zh, en = PROBLEMS.get(problem.code, (problem.code, problem.code))
    template = en if lang == "en" else zh
    try:
        return template.format(**shown_days(problem.params, lang))
    except (KeyError, IndexError):
        return template


def input_error_lines(error: InputError, labels: dict[str, str], lang: str = "zh") -> list[str]:
    """'label: reason' lines for an InputError, labels from the form (or the field id); in
    Chinese with the full-width colon, and the field's label in place of an unknown field id."""
    whole = text("whole_row", lang)
    colon = ": " if lang == "en" else "："
    return [f"{labels.get(fid, fid) if fid else whole}{colon}{problem_text(p, lang)}" for fid, p in error.problems.items()]


def report_words(lang: str = "zh") -> dict[str, str]:
    """The words of a report's fixed columns (engine.output.reports.WORDS)."""
    from engine.output.reports import WORDS
    return {w: text(f"report.{w}", lang) for w in WORDS}


def denied_text(exc: Exception, lang: str = "zh") -> str:
    """A refusal for want of a right in words: whose records the user may act on, or what not."""
    key = f"denied.{str(exc).partition(':')[0]}"
    return text(key, lang) if key in TEXT else f"{text('not_allowed', lang)} ({exc})"


def refusal_text(exc: Exception, lang: str = "zh") -> str | None:
    """A refused step (a transition, a fund entry, a vote step, a sign-in) in words, or None when
    the error carries no code this table knows: the command line and every page say the same.
    Each refusal class names the namespace of its words (`words`); a transition refused by a
    decision says the rules' own reason."""
    code, words = getattr(exc, "code", None), getattr(type(exc), "words", None)
    if code is None or words is None:
        return None
    params = dict(getattr(exc, "params", {}) or {})
    explanation = params.get("explanation")
    reason = explanation.get("reason") if isinstance(explanation, dict) else None
    key = words + code
    if reason is None and key not in TEXT:
        return None
    shown = {k: f"{v:,.2f}" if isinstance(v, Decimal) else v for k, v in params.items()}
    try:
        said = reason or text(key, lang, **shown)
    except (KeyError, IndexError):
        said = TEXT[key][1 if lang == "en" else 0]
    return text("action_refused", lang, reason=said) if words == "refused." else said
