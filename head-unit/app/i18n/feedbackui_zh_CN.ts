<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>CallbackLine</name>
        <message>
            <source>Call me</source>
            <translation>请给我回电</translation>
        </message>
        <message>
            <source>"Call me" works when the car is parked</source>
            <translation>停车后才能申请回电</translation>
        </message>
    </context>
    <context>
        <name>ComposePanel</name>
        <message>
            <source>What would you like to tell us?</source>
            <translation>您想反馈什么？</translation>
        </message>
        <message>
            <source>Describe it (needed)</source>
            <translation>请简单描述（必填）</translation>
        </message>
        <message>
            <source>Describe it (optional)</source>
            <translation>简单描述（可选）</translation>
        </message>
        <message>
            <source>Driving: tap only, no typing</source>
            <translation>行驶中：仅可点选，不能打字</translation>
        </message>
        <message>
            <source>Saving…</source>
            <translation>正在保存…</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <source>Not saved: %1</source>
            <translation>未保存：%1</translation>
        </message>
        <message>
            <source>Saved. Sending now.</source>
            <translation>已保存，正在发送。</translation>
        </message>
        <message>
            <source>Saved. It will be sent when the car is online.</source>
            <translation>已保存，联网后自动发送。</translation>
        </message>
    </context>
    <context>
        <name>ConnectionIndicator</name>
        <message>
            <source>Online</source>
            <translation>在线</translation>
        </message>
        <message>
            <source>Offline: reports stay queued</source>
            <translation>离线：反馈已保存，联网后发送</translation>
        </message>
    </context>
    <context>
        <name>DescribePage</name>
        <message>
            <source>Back to quick feedback</source>
            <translation>返回快捷反馈</translation>
        </message>
    </context>
    <context>
        <name>Main</name>
        <message>
            <source>Feedback</source>
            <translation>用户反馈</translation>
        </message>
    </context>
    <context>
        <name>MessageBar</name>
        <message>
            <source>Connection not started: %1</source>
            <translation>连接未启动：%1</translation>
        </message>
        <message>
            <source>Storage problem: %1</source>
            <translation>存储问题：%1</translation>
        </message>
        <message>
            <source>Not done: %1</source>
            <translation>未完成：%1</translation>
        </message>
        <message>
            <source>OK</source>
            <translation>知道了</translation>
        </message>
    </context>
    <context>
        <name>NotificationBanner</name>
        <message>
            <source>Tap to close</source>
            <translation>点击关闭</translation>
        </message>
    </context>
    <context>
        <name>ReportCard</name>
        <message>
            <source>(quick tap, no text)</source>
            <translation>（快捷反馈，无文字）</translation>
        </message>
        <message>
            <source>Not accepted: %1</source>
            <translation>未受理：%1</translation>
        </message>
        <message>
            <source>Not sent: %1</source>
            <translation>未发出：%1</translation>
        </message>
        <message>
            <source>Team: %1</source>
            <translation>处理团队：%1</translation>
        </message>
        <message>
            <source>Hide details</source>
            <translation>收起详情</translation>
        </message>
        <message>
            <source>Details</source>
            <translation>详情</translation>
        </message>
    </context>
    <context>
        <name>ReportDetails</name>
        <message>
            <source>Timeline</source>
            <translation>进度</translation>
        </message>
        <message>
            <source>Replies can be typed when parked</source>
            <translation>停车后可输入回复</translation>
        </message>
        <message>
            <source>Reply to the service team</source>
            <translation>回复服务团队</translation>
        </message>
        <message>
            <source>Reply</source>
            <translation>回复</translation>
        </message>
        <message>
            <source>How well was it solved? Rate 1 to 5</source>
            <translation>问题解决得如何？请打 1 到 5 分</translation>
        </message>
        <message>
            <source>Comment (optional)</source>
            <translation>评价（可选）</translation>
        </message>
        <message>
            <source>Rate</source>
            <translation>评分</translation>
        </message>
        <message>
            <source>What is still wrong? (optional)</source>
            <translation>还有什么问题？（可选）</translation>
        </message>
        <message>
            <source>Not fixed: reopen</source>
            <translation>未解决：重新打开</translation>
        </message>
        <message>
            <source>Reopen asked, waiting for the service team</source>
            <translation>已申请重新打开，等待服务团队</translation>
        </message>
    </context>
    <context>
        <name>ReportsPanel</name>
        <message>
            <source>My reports</source>
            <translation>我的反馈</translation>
        </message>
        <message>
            <source>No reports yet. What you send and the service team's answers appear here.</source>
            <translation>暂无反馈。您提交的反馈和服务团队的回复会显示在这里。</translation>
        </message>
    </context>
    <context>
        <name>SurveyCard</name>
        <message>
            <source>Thank you for your score</source>
            <translation>感谢您的评价</translation>
        </message>
        <message>
            <source>How was it? Score 1 to 5</source>
            <translation>请为本次服务打分（1–5）</translation>
        </message>
        <message>
            <source>Comment (optional)</source>
            <translation>评价（可选）</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>提交</translation>
        </message>
    </context>
    <context>
        <name>Texts</name>
        <message>
            <source>Noise</source>
            <translation>异响</translation>
        </message>
        <message>
            <source>Driving feel</source>
            <translation>驾驶感受</translation>
        </message>
        <message>
            <source>Warning lamp</source>
            <translation>故障灯</translation>
        </message>
        <message>
            <source>Screen / UI</source>
            <translation>屏幕与界面</translation>
        </message>
        <message>
            <source>Service</source>
            <translation>售后服务</translation>
        </message>
        <message>
            <source>Idea</source>
            <translation>建议</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <source>Queued</source>
            <translation>待发送</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>已发送</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>已确认</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>已受理</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>处理中</translation>
        </message>
        <message>
            <source>Waiting for you</source>
            <translation>待您回复</translation>
        </message>
        <message>
            <source>Service visit</source>
            <comment>report status</comment>
            <translation>预约到店</translation>
        </message>
        <message>
            <source>Resolved</source>
            <translation>已解决</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>已关闭</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>未受理</translation>
        </message>
        <message>
            <source>Not sent</source>
            <translation>未发送</translation>
        </message>
        <message>
            <source>Pick a time</source>
            <translation>请选择到店时间</translation>
        </message>
        <message>
            <source>We will propose other times</source>
            <translation>我们将为您提供其他时间</translation>
        </message>
        <message>
            <source>Booked</source>
            <translation>已预约</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>已到店</translation>
        </message>
        <message>
            <source>Inspection</source>
            <translation>检查</translation>
        </message>
        <message>
            <source>Diagnosis</source>
            <translation>诊断</translation>
        </message>
        <message>
            <source>Repair</source>
            <translation>维修</translation>
        </message>
        <message>
            <source>Quality check</source>
            <translation>质检</translation>
        </message>
        <message>
            <source>Your car is ready</source>
            <translation>车辆已交付</translation>
        </message>
        <message>
            <source>No visit (declined)</source>
            <translation>无需到店（已拒绝）</translation>
        </message>
        <message>
            <source>No visit (cancelled)</source>
            <translation>预约已取消</translation>
        </message>
        <message>
            <source>Service visit</source>
            <comment>visit stage</comment>
            <translation>到店服务</translation>
        </message>
        <message>
            <source>Time picked, waiting for confirmation</source>
            <translation>已选择时间，等待确认</translation>
        </message>
        <message>
            <source>Declined, waiting for confirmation</source>
            <translation>已拒绝，等待确认</translation>
        </message>
        <message>
            <source>Other times asked for</source>
            <translation>已申请其他时间</translation>
        </message>
        <message>
            <source>Cancelling, waiting for confirmation</source>
            <translation>正在取消，等待确认</translation>
        </message>
        <message>
            <source>Approved, waiting for the dealer</source>
            <translation>已同意，等待经销商处理</translation>
        </message>
        <message>
            <source>Refused, waiting for the dealer</source>
            <translation>已拒绝，等待经销商处理</translation>
        </message>
        <message>
            <source>Answer on its way</source>
            <translation>回复发送中</translation>
        </message>
        <message>
            <source>Waiting for an agent</source>
            <translation>等待客服接听</translation>
        </message>
        <message>
            <source>An agent will call you</source>
            <translation>客服将给您回电</translation>
        </message>
        <message>
            <source>Call logged</source>
            <translation>通话已记录</translation>
        </message>
        <message>
            <source>Callback cancelled</source>
            <translation>回电已取消</translation>
        </message>
        <message>
            <source>Unknown category</source>
            <translation>未知的反馈类别</translation>
        </message>
        <message>
            <source>No typing while driving: choose a category only</source>
            <translation>行驶中不能打字，请只选择类别</translation>
        </message>
        <message>
            <source>Choose a score from 1 to 5</source>
            <translation>请选择 1 到 5 分</translation>
        </message>
        <message>
            <source>Only while the car is parked</source>
            <translation>仅在停车时可用</translation>
        </message>
        <message>
            <source>The report has no case yet</source>
            <translation>该反馈尚未立案</translation>
        </message>
        <message>
            <source>A callback for this report is already open</source>
            <translation>该反馈已有回电请求在处理中</translation>
        </message>
        <message>
            <source>Not possible at this stage of the visit</source>
            <translation>到店服务的当前阶段无法进行此操作</translation>
        </message>
        <message>
            <source>No longer offered: see the latest update</source>
            <translation>该选项已失效，请查看最新更新</translation>
        </message>
        <message>
            <source>Already answered</source>
            <translation>已回复过</translation>
        </message>
        <message>
            <source>An earlier answer is waiting for confirmation</source>
            <translation>之前的回复正在等待确认</translation>
        </message>
        <message>
            <source>The queue is full of more urgent reports</source>
            <translation>待发送队列已满，均为更紧急的反馈</translation>
        </message>
        <message>
            <source>Storage is full</source>
            <translation>存储空间已满</translation>
        </message>
        <message>
            <source>Saved data was damaged and set aside</source>
            <translation>保存的数据已损坏，已单独存放</translation>
        </message>
        <message>
            <source>Storage cannot be opened</source>
            <translation>无法打开存储</translation>
        </message>
        <message>
            <source>Storage was written by a newer version</source>
            <translation>存储数据来自更新的软件版本</translation>
        </message>
        <message>
            <source>Storage read or write error</source>
            <translation>存储读写错误</translation>
        </message>
        <message>
            <source>Storage is busy</source>
            <translation>存储繁忙</translation>
        </message>
        <message>
            <source>Not found</source>
            <translation>未找到</translation>
        </message>
        <message>
            <source>Too large to save</source>
            <translation>内容过大，无法保存</translation>
        </message>
        <message>
            <source>Some details are missing</source>
            <translation>缺少必要内容</translation>
        </message>
        <message>
            <source>Some details are not valid</source>
            <translation>部分内容无效</translation>
        </message>
        <message>
            <source>Too long</source>
            <translation>内容过长</translation>
        </message>
        <message>
            <source>The text has invalid characters</source>
            <translation>文字包含无效字符</translation>
        </message>
        <message>
            <source>The vehicle's certificate is missing or unusable</source>
            <translation>车辆证书缺失或不可用</translation>
        </message>
        <message>
            <source>Cannot reach the service</source>
            <translation>无法连接服务器</translation>
        </message>
        <message>
            <source>Not connected</source>
            <translation>未连接</translation>
        </message>
        <message>
            <source>Storage error</source>
            <translation>存储错误</translation>
        </message>
        <message>
            <source>The data is not valid</source>
            <translation>数据无效</translation>
        </message>
        <message>
            <source>Connection error</source>
            <translation>连接错误</translation>
        </message>
        <message>
            <source>Settings file problem</source>
            <translation>配置文件有误</translation>
        </message>
        <message>
            <source>Something went wrong (%1)</source>
            <translation>出现错误（%1）</translation>
        </message>
        <message>
            <source>Saved in the car</source>
            <translation>已保存在车内</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>已送达</translation>
        </message>
        <message>
            <source>Received by the service team</source>
            <translation>服务团队已受理</translation>
        </message>
        <message>
            <source>Assigned to a team</source>
            <translation>已分派给团队</translation>
        </message>
        <message>
            <source>Waiting for your answer</source>
            <translation>等待您的答复</translation>
        </message>
        <message>
            <source>Workaround offered</source>
            <translation>已提供临时解决办法</translation>
        </message>
        <message>
            <source>Appointment proposed</source>
            <translation>已建议预约</translation>
        </message>
        <message>
            <source>Reopened</source>
            <translation>已重新打开</translation>
        </message>
        <message>
            <source>Message from the service team</source>
            <translation>服务团队留言</translation>
        </message>
        <message>
            <source>Not accepted</source>
            <translation>未受理</translation>
        </message>
        <message>
            <source>Your reply</source>
            <translation>您的回复</translation>
        </message>
        <message>
            <source>You asked to reopen</source>
            <translation>您申请了重新打开</translation>
        </message>
        <message>
            <source>Your rating</source>
            <translation>您的评分</translation>
        </message>
        <message>
            <source>Your answer to the appointment</source>
            <translation>您对预约的答复</translation>
        </message>
        <message>
            <source>Your request was refused</source>
            <translation>您的请求被拒绝</translation>
        </message>
        <message>
            <source>Only a resolved or closed case can be reopened</source>
            <translation>只有已解决或已关闭的工单可以重新打开</translation>
        </message>
        <message>
            <source>The case is closed: reopen it to reply</source>
            <translation>工单已关闭：请先重新打开再回复</translation>
        </message>
        <message>
            <source>The service team could not take this answer</source>
            <translation>服务团队未能受理此答复</translation>
        </message>
        <message>
            <source>The car&apos;s saved copy of this request was damaged: please ask again</source>
            <translation>车上保存的此请求已损坏：请重新提出</translation>
        </message>
        <message>
            <source>the report could not be read</source>
            <translation>无法读取该反馈</translation>
        </message>
        <message>
            <source>this car&apos;s software is too old for the service</source>
            <translation>本车软件版本过旧，服务端无法处理</translation>
        </message>
        <message>
            <source>something the report needs is missing</source>
            <translation>反馈缺少必要的信息</translation>
        </message>
        <message>
            <source>something in the report is not valid</source>
            <translation>反馈中有无效的内容</translation>
        </message>
        <message>
            <source>it names another vehicle</source>
            <translation>反馈指向了另一辆车</translation>
        </message>
        <message>
            <source>it is too large</source>
            <translation>反馈内容过大</translation>
        </message>
        <message>
            <source>its text could not be read</source>
            <translation>反馈文字无法读取</translation>
        </message>
        <message>
            <source>the service did not expect it</source>
            <translation>服务端未预期此消息</translation>
        </message>
        <message>
            <source>its number is already used by another report</source>
            <translation>其编号已被另一条反馈使用</translation>
        </message>
        <message>
            <source>it was sent before with other content</source>
            <translation>此前已以不同内容发送过</translation>
        </message>
        <message>
            <source>the service could not take it</source>
            <translation>服务端无法受理</translation>
        </message>
        <message>
            <source>it could not be sent before its time to live ended</source>
            <translation>有效期内未能发出</translation>
        </message>
        <message>
            <source>the car&apos;s queue was full, and more urgent or newer reports went first</source>
            <translation>车内队列已满，更紧急或更新的反馈优先发出</translation>
        </message>
        <message>
            <source>the car&apos;s saved copy of it was damaged</source>
            <translation>车内保存的副本已损坏</translation>
        </message>
        <message>
            <source>it could not be sent</source>
            <translation>未能发出</translation>
        </message>
        <message>
            <source>You can rate once the case is resolved</source>
            <translation>工单解决后才能评分</translation>
        </message>
        <message>
            <source>Write a few words first</source>
            <translation>请先写几句话</translation>
        </message>
        <message>
            <source>A noise</source>
            <translation>异响</translation>
        </message>
        <message>
            <source>Shifting / driving feel</source>
            <translation>换挡 / 驾驶感受</translation>
        </message>
        <message>
            <source>Brakes</source>
            <translation>刹车</translation>
        </message>
        <message>
            <source>Warning light</source>
            <translation>故障灯</translation>
        </message>
        <message>
            <source>Screen and voice</source>
            <translation>屏幕和语音</translation>
        </message>
        <message>
            <source>Climate</source>
            <translation>空调</translation>
        </message>
        <message>
            <source>Service experience</source>
            <translation>服务体验</translation>
        </message>
        <message>
            <source>An idea</source>
            <translation>建议</translation>
        </message>
        <message>
            <source>Vehicle speed</source>
            <translation>车速</translation>
        </message>
        <message>
            <source>Engine speed</source>
            <translation>发动机转速</translation>
        </message>
        <message>
            <source>Current gear</source>
            <translation>当前挡位</translation>
        </message>
        <message>
            <source>Gear selector</source>
            <translation>换挡杆位置</translation>
        </message>
        <message>
            <source>Accelerator pedal</source>
            <translation>油门踏板</translation>
        </message>
        <message>
            <source>Brake pedal</source>
            <translation>刹车踏板</translation>
        </message>
        <message>
            <source>Coolant temperature</source>
            <translation>冷却液温度</translation>
        </message>
        <message>
            <source>12 V battery</source>
            <translation>12 V 蓄电池</translation>
        </message>
        <message>
            <source>Battery charge</source>
            <translation>电池电量</translation>
        </message>
        <message>
            <source>Charging</source>
            <translation>充电状态</translation>
        </message>
        <message>
            <source>Acceleration</source>
            <translation>加速度</translation>
        </message>
        <message>
            <source>Engine warning light</source>
            <translation>发动机故障灯</translation>
        </message>
        <message>
            <source>Engine noise level</source>
            <translation>发动机噪声</translation>
        </message>
        <message>
            <source>Brake noise level</source>
            <translation>刹车噪声</translation>
        </message>
        <message>
            <source>, </source>
            <comment>list separator</comment>
            <translation>、</translation>
        </message>
    </context>
    <context>
        <name>TimelineEntry</name>
        <message>
            <source>Your rating: %1 of 5</source>
            <translation>您的评分：%1 分（满分 5 分）</translation>
        </message>
    </context>
    <context>
        <name>TopBar</name>
        <message>
            <source>Feedback</source>
            <translation>用户反馈</translation>
        </message>
        <message>
            <source>VIN %1</source>
            <translation>车架号 %1</translation>
        </message>
        <message>
            <source>Driving</source>
            <translation>行驶中</translation>
        </message>
        <message>
            <source>Parked</source>
            <translation>已停车</translation>
        </message>
    </context>
    <context>
        <name>VisitCard</name>
        <message>
            <source>Service visit</source>
            <translation>到店服务</translation>
        </message>
        <message>
            <source>Extra cost needs your approval: %1</source>
            <translation>追加费用需要您确认：%1</translation>
        </message>
        <message>
            <source>Approve</source>
            <translation>同意</translation>
        </message>
        <message>
            <source>Refuse</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <source>Pick</source>
            <translation>选择</translation>
        </message>
        <message>
            <source>No, thanks</source>
            <translation>不需要</translation>
        </message>
        <message>
            <source>Other times</source>
            <translation>换个时间</translation>
        </message>
        <message>
            <source>Booked: %1</source>
            <translation>已预约：%1</translation>
        </message>
        <message>
            <source>Reminder: your visit is on %1</source>
            <translation>提醒：您已预约 %1 到店</translation>
        </message>
        <message>
            <source>Cancel visit</source>
            <translation>取消预约</translation>
        </message>
        <message>
            <source>Quality check failed: back to repair</source>
            <translation>质检未通过，返修中</translation>
        </message>
        <message>
            <source>Expected ready: %1</source>
            <translation>预计完工：%1</translation>
        </message>
        <message>
            <source>Estimate: %1</source>
            <translation>预估费用：%1</translation>
        </message>
    </context>
    <context>
        <name>QuickPanel</name>
        <message>
            <source>What is it about?</source>
            <translation>是关于什么的？</translation>
        </message>
        <message>
            <source>It is happening now</source>
            <translation>现在正在发生</translation>
        </message>
        <message>
            <source>%1: add details</source>
            <translation>%1：补充详情</translation>
        </message>
        <message>
            <source>Something else…</source>
            <translation>其他问题…</translation>
        </message>
    </context>
    <context>
        <name>ReviewPanel</name>
        <message>
            <source>Report: %1</source>
            <translation>反馈：%1</translation>
        </message>
        <message>
            <source>Sent with it, as you chose last time for this kind:</source>
            <translation>随反馈发送（沿用您上次对此类反馈的选择）：</translation>
        </message>
        <message>
            <source>Sent with it (you can remove each part):</source>
            <translation>随反馈发送（每项都可以去掉）：</translation>
        </message>
        <message>
            <source>Location (rounded to about 1 km)</source>
            <translation>位置（精确到约 1 公里）</translation>
        </message>
        <message>
            <source>Not available</source>
            <translation>不可用</translation>
        </message>
        <message>
            <source>The service team may call me back</source>
            <translation>服务团队可以给我回电</translation>
        </message>
        <message>
            <source>On the number on record</source>
            <translation>拨打登记的号码</translation>
        </message>
        <message>
            <source>On %1</source>
            <translation>拨打 %1</translation>
        </message>
        <message>
            <source>Other number</source>
            <translation>其他号码</translation>
        </message>
        <message>
            <source>Typing is locked while driving</source>
            <translation>行驶中不能打字</translation>
        </message>
        <message>
            <source>Details (optional)</source>
            <translation>详情（可选）</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Add details later</source>
            <translation>稍后补充</translation>
        </message>
        <message>
            <source>Saving…</source>
            <translation>正在保存…</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <source>Car signals from when you tapped</source>
            <translation>点击时前后的车辆信号</translation>
        </message>
        <message>
            <source>Send it now, or add details later when parked.</source>
            <translation>可以现在发送，也可以停车后补充详情。</translation>
        </message>
    </context>
</TS>
