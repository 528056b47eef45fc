"""The console's Chinese words: labels of the API's codes, and refusals said plainly."""
from services.customer.contract.imports import LIFECYCLE_LABELS
from services.customer.contract.levels import LEVEL_NAMES

STATUS = {"new": "新建", "assigned": "已分派", "in_progress": "处理中", "waiting": "挂起",
          "resolved": "已解决", "closed": "已关闭", "cancelled": "已撤销"}
KIND = {"consultation": "咨询", "after_sales": "售后", "complaint": "投诉", "suggestion": "建议"}
CHANNEL = {"phone": "电话", "web": "网页", "sms": "短信", "email": "邮件", "fax": "传真",
           "walk_in": "来访", "wechat": "微信"}
URGENCY = {"low": "低", "medium": "中", "high": "高", "urgent": "紧急"}
ROLE = {"agent": "座席", "supervisor": "主管", "manager": "经理", "general_manager": "总经理",
        "admin": "系统管理员", "auditor": "审计员", "field": "上门服务", "telephony": "话务接口"}
LEVEL = LEVEL_NAMES
CUSTOMER_KIND = {"person": "个人", "organization": "单位"}
LIFECYCLE = LIFECYCLE_LABELS
SLA = {"ok": "正常", "due": "即将超时", "breached": "已超时", "paused": "暂停", "done": "已结束"}
WAITING_ON = {"customer": "等待客户", "parts": "等待配件"}
EVENT = {"offered": "来电振铃", "answered": "已接听"}
# The actions a ticket's detail page may offer, in the order shown.
ACTION = {"accept": "受理", "in_progress": "开始处理", "waiting": "挂起", "resolved": "解决",
          "closed": "关闭", "reopen": "重新打开", "cancelled": "撤销", "transfer": "转派",
          "dispatch": "派工上门", "remind": "提醒"}
STEP = {"created": "创建", "accepted": "受理", "assigned": "分派", "transferred": "转派",
        "handed_back": "退回", "status": "状态变更", "reopened": "重新打开", "updated": "修改",
        "dispatched": "派工", "handled": "上门处理", "dispatch_overdue": "上门超时",
        "escalated": "升级", "kb_linked": "关联知识", "kb_unlinked": "取消关联知识"}
# Notifications (issue 11): messages to customers, templates, bulk sends, robots.
MESSAGE_CHANNEL = {"sms": "短信", "email": "邮件", "robot": "群机器人", "webhook": "Webhook"}
MESSAGE_STATUS = {"queued": "排队中", "sending": "发送中", "sent": "已发送", "delivered": "已送达",
                  "failed": "失败", "skipped": "已跳过"}
PURPOSE = {"service": "服务", "marketing": "营销"}
QUIET_MODE = {"defer": "推迟到免打扰时段结束", "send": "照常发送"}
LOCALE = {"zh-CN": "中文", "en": "英文"}
SKIP_REASON = {"opted_out": "已退订", "frequency_cap_day": "超过每日上限",
               "frequency_cap_week": "超过每周上限", "no_address": "无号码/邮箱",
               "no_customer": "客户不存在", "quiet_hours": "免打扰时段",
               "not_a_mobile": "非手机号码",
               "interrupted_send_found_at_provider": "中断后已核实送出"}
MESSAGE_REASON = {**SKIP_REASON, "undelivered": "未送达", "throttled": "服务商限流，稍后重试"}
BATCH_STATE = {"accepted": "已受理", "queuing": "正在排队", "queued": "已全部排队",
               "failed": "失败"}
OPT_SCOPE = {"marketing": "营销消息", "all": "全部消息"}
OPT_SOURCE = {"uplink": "客户回复退订", "staff": "客服设置"}
TARGET_KIND = {"robot": "群机器人", "webhook": "Webhook"}
TARGET_EVENT = {"ticket_created": "新建工单", "ticket_assigned": "工单分派",
                "ticket_transferred": "工单转派", "ticket_dispatched": "派工上门",
                "ticket_resolved": "工单解决", "ticket_closed": "工单关闭",
                "ticket_sla_breached": "工单超时", "daily_report": "客服日报"}
# Follow-ups 回访, questionnaires 问卷, satisfaction 满意度, campaigns 市场活动 (issue 12).
FOLLOWUP_STATUS = {"open": "待回访", "done": "已完成", "missed": "漏回访"}
FOLLOWUP_OUTCOME = {"reached": "已联系上", "unreachable": "联系不上", "erased": "已销毁"}
NOT_REACHED = {"no_answer": "无人接听", "busy": "占线/忙", "wrong_number": "号码错误",
               "refused": "拒绝回访", "other": "其他"}
SATISFACTION = {"very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般",
                "dissatisfied": "不满意", "very_dissatisfied": "非常不满意"}
AFTER_SALES = {"delivery": "送货", "installation": "安装", "repair": "维修",
               "maintenance": "保养", "return": "退货", "exchange": "换货"}
DELAY_UNIT = {"hours": "个工作小时", "days": "个工作日"}
QUESTION_KIND = {"single": "单选", "multiple": "多选", "scale": "1–5分", "nps": "推荐意愿0–10",
                 "text": "填空"}
QUESTIONNAIRE_STATUS = {"draft": "草稿", "published": "已发布"}
ANSWER_SOURCE = {"agent": "座席回访", "ivr": "按键评价", "link": "短信/邮件链接"}
CAMPAIGN_STATE = {"freezing": "名单生成中", "failed": "名单生成失败", "upcoming": "未开始",
                  "ongoing": "进行中", "ended": "已结束"}
VENUE = {"onsite": "店内", "elsewhere": "店外"}
INVITATION_STATUS = {"to_call": "待邀约", "not_invited": "未邀约", "invited": "已邀约",
                     "declined": "已婉拒", "accepted": "已接受", "came": "已到场"}
NOT_INVITED = {"refused": "拒绝", "busy": "忙，稍后再打", "no_answer": "未接听",
               "sold_the_car": "已卖车", "moved": "已搬迁", "wrong_number": "空号/错号",
               "other": "其他"}
VISIT_SATISFACTION = {"satisfied": "满意", "average": "一般", "unsatisfied": "不满意"}
FIELD_TYPE = {"text": "文本", "number": "数字", "date": "日期", "datetime": "日期时间",
              "choice": "单选", "multi_choice": "多选", "address": "地址", "phone": "电话",
              "boolean": "是/否"}

_BY_STATUS = {
    400: "填写有误", 401: "请重新登录", 403: "无权进行此操作", 404: "找不到，或不在您的权限范围内",
    409: "当前状态不允许此操作", 413: "文件太大", 414: "地址太长", 422: "请求无法处理",
    429: "操作过于频繁，请稍后再试", 502: "服务出错，请稍后再试", 503: "服务暂不可用，请稍后再试",
    504: "服务响应超时，请稍后再试",
}


def refusal(exc: Exception, status: int) -> str:
    """A refusal in Chinese: what kind of refusal, then the service's own reason."""
    head = _BY_STATUS.get(status, "出错了，请稍后再试")
    reason = getattr(exc, "message", "") if status < 500 else ""
    if not reason or any("\u4e00" <= ch <= "\u9fff" for ch in reason[:1]):
        return reason or head
    return f"{head}（{reason}）"


REASONS = {
    "required": "必填", "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空", "Not a valid UUID.": "格式不对",
    "Not a valid number.": "不是有效的数字", "Not a valid integer.": "不是有效的整数",
    "Not a valid datetime.": "不是有效的日期时间", "Not a valid date.": "不是有效的日期",
    "Unknown field.": "无此字段", "no such field in this category's form": "此类别的表单没有该字段",
    "no such category": "无此类别", "the category is inactive": "类别已停用",
}


def reasons(texts) -> list[str]:
    """A field's reasons in Chinese where the words are known, else as the service said."""
    if isinstance(texts, str | dict):
        texts = [texts]
    return [REASONS.get(t, t) if isinstance(t, str) else str(t) for t in texts or ()]


def label(table: dict, code) -> str:
    return table.get(code, code or "")
