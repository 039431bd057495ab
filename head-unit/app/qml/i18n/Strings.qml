// The translation table: every text the dashboard shows, in English and Chinese. Views call
// Strings.t(key); a binding that calls it is re-evaluated when the language changes.
// "category.<key>" and "status.<key>" use the vocabularies' keys (fb/common/vocabulary.hpp);
// strings_test checks that every key has both texts.
pragma Singleton
import QtQml
import FeedbackUi

QtObject {
    id: strings

    /// "en" or "zh"
    readonly property string language: FeedbackController.language

    readonly property var table: ({
        "app.title": { en: "Feedback", zh: "用户反馈" },
        "app.vin": { en: "VIN %1", zh: "车架号 %1" },
        "language.switch": { en: "中文", zh: "English" },
        "vehicle.moving": { en: "Driving", zh: "行驶中" },
        "vehicle.parked": { en: "Parked", zh: "已停车" },

        "link.online": { en: "Online", zh: "在线" },
        "link.offline": { en: "Offline: reports stay queued", zh: "离线：反馈已保存，联网后发送" },
        "link.notStarted": { en: "Connection not started: %1", zh: "连接未启动：%1" },
        "storage.problem": { en: "Storage problem: %1", zh: "存储问题：%1" },

        "compose.title": { en: "What would you like to tell us?", zh: "您想反馈什么？" },
        "compose.placeholder": { en: "Describe it (optional)", zh: "简单描述（可选）" },
        "compose.placeholderRequired": { en: "Describe it (needed)", zh: "请简单描述（必填）" },
        "compose.movingHint": { en: "Driving: tap only, no typing", zh: "行驶中：仅可点选，不能打字" },
        "compose.send": { en: "Send", zh: "发送" },
        "compose.saving": { en: "Saving…", zh: "正在保存…" },
        "compose.savedOnline": { en: "Saved. Sending now.", zh: "已保存，正在发送。" },
        "compose.savedOffline": { en: "Saved. It will be sent when the car is online.", zh: "已保存，联网后自动发送。" },
        "compose.notSaved": { en: "Not saved: %1", zh: "未保存：%1" },

        "category.noise": { en: "Noise", zh: "异响" },
        "category.driving_feel": { en: "Driving feel", zh: "驾驶感受" },
        "category.warning_lamp": { en: "Warning lamp", zh: "故障灯" },
        "category.ui": { en: "Screen / UI", zh: "屏幕与界面" },
        "category.service": { en: "Service", zh: "售后服务" },
        "category.idea": { en: "Idea", zh: "建议" },
        "category.other": { en: "Other", zh: "其他" },

        "reports.title": { en: "My reports", zh: "我的反馈" },
        "reports.empty": { en: "No reports yet. What you send and the service team's answers appear here.", zh: "暂无反馈。您提交的反馈和服务团队的回复会显示在这里。" },
        "reports.team": { en: "Team: %1", zh: "处理团队：%1" },
        "reports.rejected": { en: "Not accepted: %1", zh: "未受理：%1" },
        "reports.noText": { en: "(quick tap, no text)", zh: "（快捷反馈，无文字）" },

        "status.queued": { en: "Queued", zh: "待发送" },
        "status.sent": { en: "Sent", zh: "已发送" },
        "status.acknowledged": { en: "Acknowledged", zh: "已确认" },
        "status.received": { en: "Received", zh: "已受理" },
        "status.in_progress": { en: "In progress", zh: "处理中" },
        "status.waiting_for_driver": { en: "Waiting for you", zh: "待您回复" },
        "status.appointment": { en: "Service visit", zh: "预约到店" },
        "status.resolved": { en: "Resolved", zh: "已解决" },
        "status.closed": { en: "Closed", zh: "已关闭" },
        "status.rejected": { en: "Rejected", zh: "未受理" },
        "status.dropped": { en: "Not sent", zh: "未发送" },
        "dropped.expired": { en: "Not sent: it waited longer than its time to live", zh: "未发送：等待时间超过有效期" },
        "dropped.evicted_for_space": { en: "Not sent: removed to make room for more urgent reports", zh: "未发送：为更紧急的反馈腾出空间而被移除" },
        "dropped.store_damaged": { en: "Not sent: its saved copy was damaged", zh: "未发送：保存的数据已损坏" },

        "banner.dismiss": { en: "Tap to close", zh: "点击关闭" },

        "visit.title": { en: "Service visit", zh: "到店服务" },
        "visit.stage.proposed": { en: "Pick a time", zh: "请选择到店时间" },
        "visit.stage.reschedule_requested": { en: "We will propose other times", zh: "我们将为您提供其他时间" },
        "visit.stage.booked": { en: "Booked", zh: "已预约" },
        "visit.stage.checked_in": { en: "Checked in", zh: "已到店" },
        "visit.stage.inspection": { en: "Inspection", zh: "检查" },
        "visit.stage.diagnosis": { en: "Diagnosis", zh: "诊断" },
        "visit.stage.repair": { en: "Repair", zh: "维修" },
        "visit.stage.quality_check": { en: "Quality check", zh: "质检" },
        "visit.stage.handed_over": { en: "Your car is ready", zh: "车辆已交付" },
        "visit.stage.declined": { en: "No visit (declined)", zh: "无需到店（已拒绝）" },
        "visit.stage.cancelled": { en: "No visit (cancelled)", zh: "预约已取消" },
        "visit.stage.stage_unspecified": { en: "Service visit", zh: "到店服务" },
        "visit.pending.pick_slot": { en: "Time picked, waiting for confirmation", zh: "已选择时间，等待确认" },
        "visit.pending.decline": { en: "Declined, waiting for confirmation", zh: "已拒绝，等待确认" },
        "visit.pending.reschedule": { en: "Other times asked for", zh: "已申请其他时间" },
        "visit.pending.cancel": { en: "Cancelling, waiting for confirmation", zh: "正在取消，等待确认" },
        "visit.pending.approve_extra": { en: "Approved, waiting for the dealer", zh: "已同意，等待经销商处理" },
        "visit.pending.refuse_extra": { en: "Refused, waiting for the dealer", zh: "已拒绝，等待经销商处理" },
        "visit.pending.action_unspecified": { en: "Answer on its way", zh: "回复发送中" },
        "visit.pick": { en: "Pick", zh: "选择" },
        "visit.decline": { en: "No, thanks", zh: "不需要" },
        "visit.otherTimes": { en: "Other times", zh: "换个时间" },
        "visit.cancel": { en: "Cancel visit", zh: "取消预约" },
        "visit.booked": { en: "Booked: %1", zh: "已预约：%1" },
        "visit.reminder": { en: "Reminder: your visit is on %1", zh: "提醒：您已预约 %1 到店" },
        "visit.readyAt": { en: "Expected ready: %1", zh: "预计完工：%1" },
        "visit.estimate": { en: "Estimate: %1", zh: "预估费用：%1" },
        "visit.qualityFailed": { en: "Quality check failed: back to repair", zh: "质检未通过，返修中" },
        "visit.extra.title": { en: "Extra cost needs your approval: %1", zh: "追加费用需要您确认：%1" },
        "visit.extra.approve": { en: "Approve", zh: "同意" },
        "visit.extra.refuse": { en: "Refuse", zh: "拒绝" },

        "survey.title": { en: "How was it? Score 1 to 5", zh: "请为本次服务打分（1–5）" },
        "survey.comment": { en: "Comment (optional)", zh: "评价（可选）" },
        "survey.send": { en: "Send", zh: "提交" },
        "survey.thanks": { en: "Thank you for your score", zh: "感谢您的评价" },

        "callback.callMe": { en: "Call me", zh: "请给我回电" },
        "callback.parkedOnly": { en: "\"Call me\" works when the car is parked", zh: "停车后才能申请回电" },
        "callback.state.asked": { en: "Waiting for an agent", zh: "等待客服接听" },
        "callback.state.queued": { en: "Waiting for an agent", zh: "等待客服接听" },
        "callback.state.picked_up": { en: "An agent will call you", zh: "客服将给您回电" },
        "callback.state.logged": { en: "Call logged", zh: "通话已记录" },
        "callback.state.cancelled": { en: "Callback cancelled", zh: "回电已取消" },

        "answer.failed": { en: "Not sent: %1", zh: "未发送：%1" }
    })

    /// The text for `key` in the current language; the key itself when unknown.
    function t(key) {
        const entry = table[key]
        if (entry === undefined)
            return key
        const text = entry[strings.language]
        return text === undefined ? entry.en : text
    }

    /// True when `key` has a text in both languages.
    function translated(key) {
        const entry = table[key]
        return entry !== undefined && !!entry.en && !!entry.zh
    }

    /// Keys with a missing or empty translation (the test wants none).
    function untranslated() {
        return Object.keys(table).filter(key => !table[key].en || !table[key].zh)
    }
}
