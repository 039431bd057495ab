// The translation table: every text the dashboard shows, in English and Chinese. Views call
// Strings.t(key); a binding that calls it is re-evaluated when the language changes.
// "category.<key>" and "status.<key>" use the vocabularies' keys (fb/common/vocabulary.hpp);
// strings_test checks that every key has both texts.
pragma Singleton
import QtQml
import HeadUnit

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

        "banner.dismiss": { en: "Tap to close", zh: "点击关闭" }
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
