"""The interface's words for work on many records at once: sheets in batches (成批填写) and
actions on the ticked records of a list (批量办理). Part of apps.i18n's TEXT."""
from __future__ import annotations

BATCH_TEXT: dict[str, tuple[str, str]] = {
    "grid.section": ("成批填写", "In batches"),
    "grid.nav": ("成批填写：{form}", "In batches: {form}"),
    "grid.title": ("成批填写{form}", "{form} in batches"),
    "grid.persons": ("填写人", "Who fills them in"),
    "grid.how": ("下表列出最早的 {shown} 条（共 {total} 条）待填记录，每条记录、每位填写人一行；可从 Excel 复制粘贴。留空的行不保存；有错的行单独列出，其余照常保存。",
                 "The oldest {shown} of {total} records waiting, one row per record and person; paste from Excel if you like. Empty rows are not saved; rows with mistakes are listed, the others are saved."),
    "grid.all_filed": ("这些记录都已由上面的填写人填写。", "Every record here has been filled in by these persons."),
    "grid.save": ("保存已填写的 {n} 行", "Save the {n} filled rows"),
    "grid.saved": ("已保存 {n} 份；{refused} 行未保存，请按提示修改后再保存。", "Saved {n}; {refused} rows not saved: correct them and save again."),
    "grid.saved_all": ("已保存 {n} 份。", "Saved {n}."),
    "grid.row_refused": ("第 {row} 行（#{record} {title}）未保存：{why}", "Row {row} (#{record} {title}) not saved: {why}"),
    "bulk.toggle": ("批量办理", "Act on several"), "bulk.help": ("勾选本页的多条记录，一次办理同一事项；每条仍按规则逐一判断。",
                                                              "Tick records of this page and take one action on them; each is still decided by the rules."),
    "bulk.action": ("办理事项", "Action"), "bulk.go": ("办理选中的 {n} 条", "Act on the {n} ticked"),
    "bulk.confirm_title": ("确认批量办理", "Act on several?"),
    "bulk.confirm": ("对 {n} 条记录执行“{action}”：{ids}。每条按规则逐一判断，不符合的保持原状并列出原因。",
                     "Take '{action}' on {n} records: {ids}. Each is decided by the rules; those refused stay as they are, with the reason."),
    "bulk.confirm_go": ("确认办理", "Do it"),
    "bulk.done": ("已对 {n} 条记录执行“{action}”。", "'{action}' taken on {n} records."),
    "bulk.refused": ("#{id} 未办理：{why}", "#{id} not moved: {why}"),
    "bulk.why.wrong_state": ("当前状态不能办理此事项", "not in a state this action starts from"),
    "bulk.why.not_allowed": ("您的角色不能办理此事项", "your role may not take this action"),
    "bulk.why.other_township": ("不是本乡镇的记录", "a record of another township"),
    "bulk.why.not_found": ("找不到这条记录", "no such record"),
    "bulk.why.condition_false": ("不符合办理条件", "its conditions are not met"),
    "bulk.why.undecidable": ("规则无法对这条记录作出判断，请打开记录逐条办理", "the rules cannot decide this record; open it to act on it alone"),
    "bulk.why.unknown_action": ("这类记录没有此事项", "this kind of record has no such action"),
    "bulk.why.bulk_needs_form": ("此事项需要逐条填写表单", "this action needs its form filled in, one record at a time"),
}
