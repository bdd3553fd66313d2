"""The audit log in words: Chinese names for the actions and the detail's fields, the stored JSON as a sentence.

The log stores ASCII action keys and JSON details (data_access.records.audit, read the same on the command line); the
审计日志 page shows them as 导入 / 撤销导入 … and "批次：3；文件：march.csv；新增：120".
"""
import json

ACTIONS = {
    "import": "导入", "undo": "撤销导入", "export": "导出", "adjustment": "加减分", "population": "修改人口",
    "unit_add": "新增单位", "seed_demo": "生成演示数据", "login": "登录", "login_failed": "登录失败",
    "meeting_create": "新建会议", "meeting_delete": "删除会议", "agenda_add": "加入议程", "agenda_save": "保存议程",
    "user_add": "新增用户", "user_disable": "停用用户", "user_enable": "启用用户", "user_reset": "重置密码",
}
FIELDS = {
    "batch": "批次", "file": "文件", "files": "文件", "new": "新增", "updated": "更新", "unchanged": "未变",
    "rejected": "拒收", "new_units": "新单位", "briefing": "简报考核期", "meeting": "会议", "item": "事项",
    "kind": "类型", "ref": "对象", "date": "日期", "period": "考核期", "removed": "移除事项", "id": "编号",
    "unit_id": "单位", "unit_type": "单位类型", "name": "名称", "mode": "方式", "points": "分值", "reason": "原因",
    "role": "角色", "unit": "单位", "months": "月份", "cases": "工单", "units": "单位数",
    "first_day": "起始日", "last_day": "截止日", "batches": "批次数", "replaced_cases": "替换工单", "seed": "随机种子",
    "scale": "规模", "seconds": "用时（秒）",
}
EMPTY = "—"


def action_text(action: str) -> str:
    return ACTIONS.get(action, action)


def _value(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{FIELDS.get(k, k)} {_value(v)}" for k, v in value.items())
    return str(value)


def detail_text(action: str, detail: str | None) -> str:
    """The detail as "字段：值；…"; text that is not a JSON object is shown as it is."""
    try:
        data = json.loads(detail) if detail else None
    except ValueError:
        return detail or EMPTY
    if not isinstance(data, dict):
        return _value(data)
    if action == "population":  # unit id → population
        return "；".join(f"单位 {k}：人口 {_value(v)}" for k, v in data.items()) or EMPTY
    return "；".join(f"{FIELDS.get(k, k)}：{_value(v)}" for k, v in data.items()) or EMPTY
