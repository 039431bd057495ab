// After-sales pages (docs/visits.md): the live callback queue with its 60-second countdowns,
// a case's service visits (propose, follow, cancel) and the dealer's "My visits" with the
// stage entry form. Loaded before app.js, which routes to these pages.
"use strict";

const VISIT_STAGES = ["checked_in", "inspection", "diagnosis", "repair", "quality_check", "handed_over"];
const VISIT_FINAL = ["handed_over", "declined", "cancelled"];
// Before check-in a visit may get other slots (proposed again) or be cancelled; not after (the API's rules).
const RESLOTTABLE = ["proposed", "reschedule_requested", "booked"];
const CALLBACK_POLL_MS = 1500;
const CALLBACK_BADGE_MS = 5000;
const CALLBACK_TARGET_MS = 60 * 1000;
const RECENT_CALLBACKS = 20;
const CALLBACK_OUTCOMES = ["reached", "no_answer", "call_back_later", "wrong_number"];

const canWorkCallbacks = () => ["agent", "team_lead", "admin"].includes(me?.role);
const seesCallbacks = () => canWorkCallbacks() || me?.role === "auditor";
const canProposeVisits = () => ["agent", "team_lead", "admin"].includes(me?.role);
const entersStages = () => me?.role === "dealer" || me?.role === "admin";
const visitUrl = (id) => `/api/v1/visits/${encodeURIComponent(id)}`;

// ---- formatting ----

function fmtMoney(m) {
  if (!m || m.minor == null) return t("common.none");
  try {
    return new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-GB", { style: "currency", currency: m.currency || "CNY" })
      .format(m.minor / 100);
  } catch {
    return `${(m.minor / 100).toFixed(2)} ${m.currency || ""}`.trim();
  }
}
/// "12.3 s" or "2m 05s": pick-up times are short.
function fmtSeconds(ms) {
  if (ms == null || !Number.isFinite(ms)) return t("common.na");
  return ms < 60000 ? t("cb.seconds", (ms / 1000).toFixed(1)) : fmtDuration(ms);
}
/// A major-unit amount typed by a person ("1,250.5") as minor units, or null.
function parseMinor(text) {
  const n = Number(String(text).replace(/[,\s]/g, ""));
  return text !== "" && Number.isFinite(n) && n >= 0 ? Math.round(n * 100) : null;
}
function quantile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// ---- the navigation badge: callbacks waiting ----

let badgeTimer = null;

/// `more`: the API said more are waiting than it listed (its page is at most 500).
function setCallbackBadge(n, more = false) {
  const badge = document.querySelector("[data-testid=callbacks-badge]");
  if (!badge) return;
  badge.textContent = n ? `${n}${more ? "+" : ""}` : "";
  badge.hidden = !n;
  badge.dataset.count = String(n || 0);
}

async function refreshCallbackBadge() {
  if (!me || !seesCallbacks()) return;
  try {
    const data = await api("GET", "/api/v1/callbacks?state=queued");
    setCallbackBadge((data?.items || []).length, data?.more === true);
  } catch {
    // The badge is a hint; the page itself shows the API's errors.
  }
}

/// Starts (once) the slow background poll behind the badge; the callbacks page updates it faster.
function startCallbackBadge() {
  if (badgeTimer == null) badgeTimer = setInterval(refreshCallbackBadge, CALLBACK_BADGE_MS);
  refreshCallbackBadge();
}

// ---- live callbacks ----

async function renderCallbacks(page) {
  if (!seesCallbacks()) throw new ApiError(403, { detail: t("cb.not_for_role") });
  const waiting = h("tbody", { testid: "callback-queue" });
  const moreWaiting = h("p", { class: "muted", testid: "callback-more", hidden: true });
  const working = h("div", { testid: "callback-working" });
  const recent = h("tbody", { testid: "callback-recent" });
  const stats = h("p", { testid: "callback-stats" });
  const status = h("p", { class: "muted", testid: "callback-status", "aria-live": "polite" });
  const errors = h("div");
  const rows = new Map();   // id -> row of the waiting table (kept across polls: its countdown ticks)
  const forms = new Map();  // id -> outcome form of a picked-up callback (kept: the agent may be typing)
  let offset = 0;           // server clock minus local clock, from the last answer
  let target = CALLBACK_TARGET_MS;
  const serverNow = () => Date.now() + offset;

  const tick = () => rows.forEach((row) => renderCountdown(row.querySelector("[data-testid=callback-countdown]"),
                                                          row._cb, serverNow(), target));
  const poll = async () => {
    const sent = Date.now();
    const [queued, picked, logged] = await Promise.all(
      ["queued", "picked_up", "logged"].map((s) => api("GET", `/api/v1/callbacks?state=${s}`)));
    const received = Date.now();
    // The answer was made somewhere between sending and receiving: assume the middle.
    if (queued?.server_time_ms != null) offset = queued.server_time_ms - (sent + received) / 2;
    target = queued?.target_ms ?? CALLBACK_TARGET_MS;

    const items = queued?.items || [];  // the API's order: oldest first, the most urgent on top
    const keep = new Set(items.map((c) => c.id));
    for (const [id, row] of rows) if (!keep.has(id)) { row.remove(); rows.delete(id); }
    items.forEach((c, i) => {
      let row = rows.get(c.id);
      if (!row) { row = callbackRow(c, guarded); rows.set(c.id, row); }
      row._cb = c;
      if (waiting.children[i] !== row) waiting.insertBefore(row, waiting.children[i] || null);
    });
    waiting.querySelector("[data-testid=callback-empty]")?.remove();
    if (!items.length) waiting.append(h("tr", { testid: "callback-empty" }, h("td", { colspan: 6, class: "muted" }, t("cb.none_waiting"))));
    setCallbackBadge(items.length, queued?.more === true);
    moreWaiting.hidden = queued?.more !== true;
    moreWaiting.textContent = moreWaiting.hidden ? "" : t("cb.more_waiting", items.length);

    // An agent logs its own calls; a lead or an admin any; the auditor none (it reads only).
    const mine = (picked?.items || []).filter((c) => me.role !== "auditor" && (me.role !== "agent" || c.agent === me.name));
    const open = new Set(mine.map((c) => c.id));
    for (const [id, form] of forms) if (!open.has(id)) { form.remove(); forms.delete(id); }
    for (const c of mine) if (!forms.has(c.id)) { const f = outcomeForm(c, guarded); forms.set(c.id, f); working.append(f); }
    working.querySelector("[data-testid=callback-working-empty]")?.remove();
    if (!mine.length) working.append(h("p", { class: "muted", testid: "callback-working-empty" }, t("cb.none_working")));

    const done = [...(logged?.items || [])].sort((a, b) => (b.logged_ms ?? 0) - (a.logged_ms ?? 0)).slice(0, RECENT_CALLBACKS);
    recent.replaceChildren(...(done.length ? done.map(recentRow)
      : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, t("common.empty")))]));
    const times = [...(picked?.items || []), ...(logged?.items || [])]
      .filter((c) => c.picked_ms != null && c.requested_ms != null).map((c) => c.picked_ms - c.requested_ms).sort((a, b) => a - b);
    const within = times.filter((ms) => ms <= target).length;
    stats.replaceChildren(t("cb.stats", times.length, times.length ? fmtPercent(within / times.length) : t("common.na"),
                            fmtSeconds(quantile(times, 0.5)), fmtSeconds(quantile(times, 0.9))));
    status.textContent = `${t("common.updated", fmtTime(Date.now()))} · ${t("cb.auto")}`;
    page.dataset.polls = String(Number(page.dataset.polls || 0) + 1);  // for tests: answers taken in
    tick();
  };
  let inFlight = null;  // one poll at a time: a slow answer is not overtaken by the next tick's
  const guarded = () => (inFlight ??= poll().then(() => errors.replaceChildren(), (err) => errors.replaceChildren(problemBox(err)))
    .finally(() => { inFlight = null; }));

  page.replaceChildren(
    h("h1", {}, t("cb.title")), h("p", { class: "muted" }, t("cb.hint")), errors,
    h("section", { class: "card", "aria-labelledby": "cb-waiting-h" }, h("h2", { id: "cb-waiting-h" }, t("cb.waiting")),
      h("table", { class: "grid", testid: "callback-table" },
        h("thead", {}, h("tr", {}, ["case", "vin", "phone", "requested", "countdown", ""].map((c) =>
          h("th", { scope: "col" }, c ? t(`cb.col.${c}`) : "")))), waiting), moreWaiting),
    h("section", { class: "card", "aria-labelledby": "cb-working-h" }, h("h2", { id: "cb-working-h" }, t("cb.working")), working),
    h("section", { class: "card", "aria-labelledby": "cb-recent-h" }, h("h2", { id: "cb-recent-h" }, t("cb.recent")), stats,
      h("table", { class: "grid", testid: "callback-recent-table" },
        h("thead", {}, h("tr", {}, ["case", "requested", "pickup", "agent", "outcome", "logged"].map((c) =>
          h("th", { scope: "col" }, t(`cb.col.${c}`))))), recent)),
    status);
  await guarded();
  timers.push(setInterval(tick, 250));
  timers.push(setInterval(guarded, CALLBACK_POLL_MS));
}

function renderCountdown(cell, c, now, target) {
  if (!cell || !c) return;
  const due = c.due_ms ?? c.requested_ms + target;
  const left = due - now;
  const overdue = left < 0;
  cell.className = `sla ${overdue ? "sla-overdue" : left <= target / 4 ? "sla-due_soon" : "sla-on_track"}`;
  cell.dataset.overdue = overdue ? "true" : "false";
  cell.dataset.leftMs = String(Math.round(left));
  cell.textContent = overdue ? t("cb.overdue", fmtSeconds(-left)) : t("cb.left", Math.ceil(left / 1000));
}

function callbackRow(c, refresh) {
  const errors = h("div");
  const pick = h("button", { type: "button", testid: "callback-pickup" }, t("cb.pickup"));
  pick.hidden = !canWorkCallbacks();
  pick.addEventListener("click", async () => {
    pick.disabled = true;
    errors.replaceChildren();
    try {
      await api("POST", `/api/v1/callbacks/${encodeURIComponent(c.id)}/pickup`, {});
      await refresh();  // the callback moves from the queue to "my calls" at once
    } catch (err) {
      errors.replaceChildren(problemBox(err));
      pick.disabled = false;
    }
  });
  return h("tr", { testid: "callback-row", "data-callback": c.id, "data-case": c.case_number },
    h("td", {}, c.case_number ? h("a", { href: `#/case/${encodeURIComponent(c.case_number)}` }, c.case_number) : t("common.none")),
    h("td", {}, c.vin || t("common.none")), h("td", {}, c.phone || t("common.none")),
    h("td", {}, fmtTime(c.requested_ms), c.language ? h("span", { class: "muted" }, ` · ${c.language}`) : null),
    h("td", { testid: "callback-countdown", class: "sla" }), h("td", {}, pick, errors));
}

function outcomeForm(c, refresh) {
  const errors = h("div");
  const outcome = h("input", { name: "outcome", required: true, list: "callback-outcomes", testid: "callback-outcome",
                               autocomplete: "off" });
  const note = h("textarea", { name: "note", rows: 2, testid: "callback-note" });
  const form = h("form", { class: "card callback-call", testid: "callback-call", "data-callback": c.id },
    h("h3", {}, t("cb.calling", c.case_number || c.id)),
    dl([[t("cb.col.phone"), c.phone], [t("cb.col.vin"), c.vin], [t("case.language"), c.language],
        [t("cb.col.pickup"), c.picked_ms != null ? fmtSeconds(c.picked_ms - c.requested_ms) : null], [t("cb.col.agent"), c.agent]]),
    field(t("cb.outcome"), outcome),
    h("datalist", { id: "callback-outcomes" }, CALLBACK_OUTCOMES.map((o) => h("option", { value: o }, term("outcome", o)))),
    field(t("cb.note"), note), errors,
    h("button", { type: "submit", testid: "callback-log" }, t("cb.log")));
  return onSubmit(form, errors, async () => {
    await api("POST", `/api/v1/callbacks/${encodeURIComponent(c.id)}/outcome`,
              { outcome: outcome.value.trim(), note: note.value.trim() });
    form.remove();
    await refresh();
  });
}

function recentRow(c) {
  const pickup = c.picked_ms != null && c.requested_ms != null ? c.picked_ms - c.requested_ms : null;
  const late = pickup != null && pickup > ((c.due_ms ?? c.requested_ms + CALLBACK_TARGET_MS) - c.requested_ms);
  return h("tr", { testid: "callback-logged", "data-callback": c.id },
    h("td", {}, c.case_number ? h("a", { href: `#/case/${encodeURIComponent(c.case_number)}` }, c.case_number) : t("common.none")),
    h("td", {}, fmtTime(c.requested_ms)),
    h("td", { class: late ? "sla sla-overdue" : "sla sla-on_track", testid: "callback-pickup-time",
              "data-ms": pickup ?? "" }, fmtSeconds(pickup)),
    h("td", {}, c.agent || t("common.none")), h("td", {}, term("outcome", c.outcome)), h("td", {}, fmtTime(c.logged_ms)));
}

// ---- visits: shared view ----

/// The stage a dealer may enter next (docs/visits.md: strictly in order), or null when none.
/// A failed quality check leaves the visit in repair: the rework comes next, then the check.
function nextVisitStage(v) {
  if (v.state === "booked") return "checked_in";
  const i = VISIT_STAGES.indexOf(v.state);
  if (i < 0 || v.state === "handed_over") return null;
  const last = (v.stages || [])[(v.stages || []).length - 1];
  if (v.state === "repair" && last?.stage === "quality_check" && last.detail?.passed === false) return "repair";
  return VISIT_STAGES[i + 1];
}

function visitStateBadge(v) {
  return h("span", { class: `badge visit-${v.state}`, testid: "visit-state", "data-state": v.state }, term("visit", v.state));
}

function slotText(s) {
  if (!s) return t("common.none");
  return `${s.dealer_name || s.dealer_code} (${s.dealer_code}) · ${fmtTime(s.start_ms)} – ${fmtTime(s.end_ms)}${s.work ? ` · ${s.work}` : ""}`;
}

function stageDetail(s) {
  const d = s.detail || {};
  const parts = d.parts || [];
  return [
    s.note ? h("div", {}, s.note) : null,
    d.findings ? h("div", {}, `${t("visit.findings")}: ${d.findings}`) : null,
    d.dtcs?.length ? h("div", {}, `${t("visit.dealer_dtcs")}: `, d.dtcs.map((c) => h("code", { class: "dtc" }, c))) : null,
    parts.length ? h("ul", { class: "parts" }, parts.map((p) =>
      h("li", {}, `${p.name} × ${p.quantity} @ ${fmtMoney(p.unit_price)}`))) : null,
    d.labour ? h("div", {}, `${t("visit.labour")}: ${fmtMoney(d.labour)}`) : null,
    d.total ? h("div", {}, `${t("visit.total")}: ${fmtMoney(d.total)}`) : null,
    d.passed != null ? h("div", { testid: "quality-result" }, d.passed ? t("visit.passed") : t("visit.failed")) : null,
    d.ready_at_ms || s.ready_at_ms ? h("div", { class: "muted" }, `${t("visit.ready")}: ${fmtTime(d.ready_at_ms || s.ready_at_ms)}`) : null,
  ];
}

function evidenceView(v) {
  const ev = v.car_evidence || {};
  const confirmed = new Set(ev.dealer_dtcs_confirmed || []);
  const dealer = [...new Set((v.stages || []).filter((s) => s.stage === "diagnosis").flatMap((s) => s.detail?.dtcs || []))];
  const code = (c) => h("code", { class: confirmed.has(c) ? "dtc confirmed" : "dtc", "data-confirmed": confirmed.has(c) ? "true" : null,
                                  title: confirmed.has(c) ? t("visit.both_saw") : null }, c);
  return h("div", { class: "evidence", testid: "visit-evidence" },
    h("div", {}, h("h4", {}, t("visit.car_evidence")),
      (ev.dtcs || []).length ? h("div", { testid: "car-dtcs" }, ev.dtcs.map(code)) : h("p", { class: "muted" }, t("case.no_dtcs")),
      h("p", { class: "muted small" }, t("visit.snapshots", (ev.snapshot_reports || []).length, ev.auto_reports ?? 0))),
    h("div", {}, h("h4", {}, t("visit.dealer_evidence")),
      dealer.length ? h("div", { testid: "dealer-dtcs" }, dealer.map(code)) : h("p", { class: "muted" }, t("visit.no_dealer_dtcs")),
      confirmed.size ? h("p", { class: "small", testid: "dtcs-confirmed" }, `${t("visit.both_saw")}: ${[...confirmed].join(", ")}`) : null));
}

/// One visit: its state, slots, money, stages with their details, approvals, evidence, survey.
function visitView(v, { actions = [] } = {}) {
  const stages = [...(v.stages || [])].sort((a, b) => a.at_ms - b.at_ms);
  return h("article", { class: "card visit", testid: "visit", "data-visit": v.id },
    h("h3", {}, t("visit.title"), " ", visitStateBadge(v)),
    dl([[t("visit.case"), v.case_number ? h("a", { href: `#/case/${encodeURIComponent(v.case_number)}` }, v.case_number) : null],
        [t("visit.booked"), v.booked ? slotText(v.booked) : null],
        [t("visit.dealer"), v.dealer_code], [t("visit.estimate"), fmtMoney(v.estimate)],
        [t("visit.approved_extra"), v.approved_extra?.minor ? fmtMoney(v.approved_extra) : null],
        [t("visit.ready"), v.ready_at_ms ? fmtTime(v.ready_at_ms) : null],
        [t("visit.note"), v.note],
        [t("visit.survey"), v.survey ? `${v.survey.score} / 5${v.survey.comment ? ` — ${v.survey.comment}` : ""}` : null],
        [t("visit.follow_up"), v.follow_up_case
          ? h("a", { href: `#/case/${encodeURIComponent(v.follow_up_case)}`, testid: "follow-up-link" }, v.follow_up_case) : null]]),
    !v.booked && (v.slots || []).length
      ? [h("h4", {}, t("visit.slots")), h("ul", { testid: "visit-slots" }, v.slots.map((s) => h("li", {}, slotText(s))))] : null,
    h("h4", {}, t("visit.stages")),
    stages.length
      ? h("ol", { class: "timeline", testid: "visit-stages" }, stages.map((s) =>
        h("li", { testid: "visit-stage", "data-stage": s.stage },
          h("time", {}, fmtTime(s.at_ms)), " ", h("strong", {}, term("visit", s.stage)), s.actor ? ` · ${s.actor}` : "",
          h("div", { class: "muted" }, stageDetail(s)))))
      : h("p", { class: "muted" }, t("visit.no_stages")),
    (v.approvals || []).length ? [h("h4", {}, t("visit.approvals")),
      h("ul", { testid: "visit-approvals" }, v.approvals.map((a) => h("li", { testid: "visit-approval", "data-state": a.state },
        `${fmtMoney(a.amount)} · ${a.reason || ""} · `, h("strong", {}, term("approval", a.state)),
        ` · ${fmtTime(a.requested_ms)}${a.answered_ms ? ` → ${fmtTime(a.answered_ms)}` : ""}`)))] : null,
    evidenceView(v),
    actions);
}

function cancelForm(v, done) {
  const errors = h("div");
  const reason = h("input", { name: "reason", required: true, testid: "visit-cancel-reason" });
  return onSubmit(h("form", { class: "inline", testid: "visit-cancel" }, field(t("case.reason"), reason),
    h("button", { type: "submit", class: "danger", testid: "visit-cancel-submit" }, t("visit.cancel")), errors), errors, async () => {
    await api("POST", `${visitUrl(v.id)}/cancel`, { reason: reason.value.trim() });
    await done();
  });
}

// ---- visits on the case page ----

/// The case's "Service visit" section: its visits, and for the team a form to propose slots.
async function caseVisits(c, reload) {
  const section = h("section", { class: "card", testid: "case-visits", "aria-labelledby": "visits-h" },
                    h("h2", { id: "visits-h" }, t("visit.section")));
  let visits = [];
  try {
    visits = (await api("GET", `/api/v1/visits?case=${encodeURIComponent(c.case_number)}`))?.items || [];
  } catch (err) {
    if (err.status === 401) throw err;
    section.append(problemBox(err));
    return section;
  }
  const canAct = canProposeVisits();
  section.append(...(visits.length ? visits.map((v) => visitView(v, {
    actions: canAct && RESLOTTABLE.includes(v.state) ? [proposeForm(c, reload, v), cancelForm(v, reload)] : [] }))
    : [h("p", { class: "muted" }, t("visit.none"))]));
  // docs/visits.md: proposing moves the case to appointment, allowed from these states only.
  const proposable = ["in_progress", "waiting_for_customer", "appointment"].includes(c.state);
  if (canAct && proposable && !visits.some((v) => !VISIT_FINAL.includes(v.state))) section.append(proposeForm(c, reload));
  return section;
}

/// One slot's inputs; `like` (a slot) fills in the dealer, a dealer's own code is filled in too.
function slotFields(like = {}) {
  const input = (name, attrs = {}) => h("input", { name, testid: `slot-${name}`, ...attrs });
  const code = me?.role === "dealer" ? me.team : like.dealer_code;
  return h("fieldset", { class: "slot", testid: "slot" }, h("legend", {}, t("visit.slot")),
    field(t("visit.dealer_code"), input("dealer_code", { required: true, placeholder: "SH-001", value: code,
                                                         readonly: me?.role === "dealer" })),
    field(t("visit.dealer_name"), input("dealer_name", { required: true, value: like.dealer_name })),
    field(t("visit.start") + zoneSuffix(), input("start", { type: "datetime-local", required: true })),
    field(t("visit.end") + zoneSuffix(), input("end", { type: "datetime-local", required: true })),
    field(t("visit.work"), input("work", { required: true })));
}

/// New slots for the case (POST /cases/{n}/visits, with the estimate), or other slots for
/// `visit` (POST /visits/{id}/slots: proposed again).
function proposeForm(c, reload, visit = null) {
  const errors = h("div");
  const like = visit?.booked || visit?.slots?.[0] || {};
  const slots = h("div", { class: "slots" }, slotFields(like));
  const estimate = h("input", { name: "estimate", inputmode: "decimal", required: !visit, testid: "visit-estimate" });
  const currency = h("input", { name: "currency", value: "CNY", size: 4, testid: "visit-currency" });
  const note = h("textarea", { name: "note", rows: 2, testid: "visit-note" });
  const add = h("button", { type: "button", testid: "slot-add", onclick: () => {
    if (slots.children.length < 5) slots.append(slotFields(like));
    add.disabled = slots.children.length >= 5;
  } }, t("visit.add_slot"));
  return onSubmit(h("form", { testid: visit ? "visit-reslot" : "visit-propose" },
    h("h3", {}, t(visit ? "visit.propose_other" : "visit.propose")), slots, add,
    visit ? null : h("div", { class: "row" }, field(t("visit.estimate"), estimate), field(t("visit.currency"), currency)),
    field(t("visit.note"), note), errors,
    h("button", { type: "submit", testid: "visit-propose-submit" }, t("visit.propose_submit"))), errors, async () => {
    const minor = visit ? 0 : parseMinor(estimate.value);
    if (minor == null) throw new ApiError(0, { title: t("visit.bad_amount"), field: "estimate" });
    const body = {
      slots: [...slots.querySelectorAll("[data-testid=slot]")].map((f) => {
        const v = (n) => f.querySelector(`[name=${n}]`).value.trim();
        return { dealer_code: v("dealer_code"), dealer_name: v("dealer_name"), start_ms: localMs(v("start")),
                 end_ms: localMs(v("end")), work: v("work") };
      }),
    };
    if (!visit) body.estimate = { minor, currency: currency.value.trim() || "CNY" };
    if (note.value.trim()) body.note = note.value.trim();
    await api("POST", visit ? `${visitUrl(visit.id)}/slots` : `${caseUrl(c.case_number)}/visits`, body);
    await reload();
  });
}

// ---- the dealer's visits ----

async function renderVisits(page) {
  const data = await api("GET", "/api/v1/visits");
  const items = [...(data?.items || [])].sort((a, b) => (b.updated_ms ?? 0) - (a.updated_ms ?? 0));
  const cols = ["case", "state", "booked", "next", "ready", "updated"];
  page.replaceChildren(h("h1", {}, me?.role === "dealer" ? t("visits.mine") : t("visits.title")),
    h("table", { class: "grid", testid: "visits-table" },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, t(`visits.col.${c}`))))),
      h("tbody", {}, items.length ? items.map((v) => h("tr", { testid: "visit-row", "data-visit": v.id, "data-case": v.case_number },
        h("td", {}, h("a", { href: `#/visit/${encodeURIComponent(v.id)}`, testid: "visit-link" }, v.case_number || v.id)),
        h("td", {}, visitStateBadge(v)), h("td", {}, v.booked ? slotText(v.booked) : t("common.none")),
        h("td", {}, nextVisitStage(v) ? term("visit", nextVisitStage(v)) : t("common.none")),
        h("td", {}, v.ready_at_ms ? fmtTime(v.ready_at_ms) : t("common.none")), h("td", {}, fmtTime(v.updated_ms))))
        : h("tr", {}, h("td", { colspan: cols.length, class: "muted" }, t("common.empty"))))));
}

async function renderVisit(page, id) {
  const v = await api("GET", visitUrl(id));
  const reload = route;
  const actions = [];
  if (entersStages() && !VISIT_FINAL.includes(v.state)) {
    const next = nextVisitStage(v);
    if (next) actions.push(stageForm(v, next, reload));
    if (["diagnosis", "repair"].includes(v.state)) actions.push(approvalForm(v, reload));  // where the API allows it
  }
  if ((entersStages() || canProposeVisits()) && RESLOTTABLE.includes(v.state)) {
    actions.push(proposeForm({ case_number: v.case_number }, reload, v), cancelForm(v, reload));
  }
  page.replaceChildren(
    h("p", {}, h("a", { href: "#/visits" }, `← ${t("visits.back")}`)),
    h("h1", {}, t("visit.heading", v.case_number || v.id)),
    visitView(v, { actions }));
}

function partFields() {
  return h("div", { class: "row part", testid: "part" },
    field(t("visit.part"), h("input", { name: "part-name", testid: "part-name" })),
    field(t("visit.quantity"), h("input", { name: "part-quantity", type: "number", min: 1, value: 1, testid: "part-quantity" })),
    field(t("visit.unit_price"), h("input", { name: "part-price", inputmode: "decimal", testid: "part-price" })));
}

/// The form for the one stage the dealer may enter next, with that stage's fields.
function stageForm(v, stage, reload) {
  const errors = h("div", { testid: "stage-error" });
  const currency = v.estimate?.currency || "CNY";
  const note = h("textarea", { name: "note", rows: 2, testid: "stage-note" });
  const ready = h("input", { name: "ready", type: "datetime-local", testid: "stage-ready" });
  const extra = [];
  let collect = () => ({});
  if (stage === "diagnosis") {
    const findings = h("textarea", { name: "findings", rows: 3, required: true, testid: "stage-findings" });
    const dtcs = h("input", { name: "dtcs", placeholder: "P0700, C0035", testid: "stage-dtcs",
                              value: (v.car_evidence?.dtcs || []).join(", ") });
    extra.push(field(t("visit.findings"), findings), field(t("visit.dealer_dtcs"), dtcs));
    collect = () => ({ findings: findings.value.trim(),
                       dtcs: dtcs.value.split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean) });
  } else if (stage === "repair") {
    const parts = h("div", { class: "parts" }, partFields());
    const labour = h("input", { name: "labour", inputmode: "decimal", testid: "stage-labour" });
    extra.push(h("h4", {}, t("visit.parts")), parts,
               h("button", { type: "button", testid: "part-add", onclick: () => parts.append(partFields()) }, t("visit.add_part")),
               field(`${t("visit.labour")} (${currency})`, labour),
               h("p", { class: "muted small" }, t("visit.limit", fmtMoney(v.estimate), fmtMoney(v.approved_extra))));
    collect = () => {
      const list = [...parts.querySelectorAll("[data-testid=part]")].map((p) => {
        const name = p.querySelector("[name=part-name]").value.trim();
        const price = p.querySelector("[name=part-price]").value.trim();
        const minor = price ? parseMinor(price) : 0;
        // "1200元" or "-5" is not a price: saved as 0, the repair total would pass the approval check.
        if (name && minor == null) throw new ApiError(0, { title: t("visit.bad_amount"), field: "part-price" });
        return { name, quantity: Number(p.querySelector("[name=part-quantity]").value || 1), unit_price: { minor, currency } };
      }).filter((p) => p.name);
      const body = { parts: list };
      if (labour.value.trim()) {
        const minor = parseMinor(labour.value);
        if (minor == null) throw new ApiError(0, { title: t("visit.bad_amount"), field: "labour" });
        body.labour = { minor, currency };
      }
      return body;
    };
  } else if (stage === "quality_check") {
    const passed = h("select", { name: "passed", testid: "stage-passed" },
                     h("option", { value: "true" }, t("visit.passed")), h("option", { value: "false" }, t("visit.failed")));
    extra.push(field(t("visit.quality"), passed));
    collect = () => ({ passed: passed.value === "true" });
  }
  return onSubmit(h("form", { testid: "stage-form", "data-stage": stage },
    h("h3", {}, t("visit.enter_stage", term("visit", stage))), extra,
    stage !== "handed_over" ? field(t("visit.ready_time") + zoneSuffix(), ready) : null, field(t("visit.note"), note), errors,
    h("button", { type: "submit", testid: "stage-submit" }, t("visit.record", term("visit", stage)))), errors, async () => {
    const body = { stage, ...collect() };
    if (note.value.trim()) body.note = note.value.trim();
    if (ready.value) body.ready_at_ms = localMs(ready.value);
    await api("POST", `${visitUrl(v.id)}/stages`, body);
    await reload();
  });
}

function approvalForm(v, reload) {
  const errors = h("div", { testid: "approval-error" });
  const currency = v.estimate?.currency || "CNY";
  const amount = h("input", { name: "amount", inputmode: "decimal", required: true, testid: "approval-amount" });
  const reason = h("input", { name: "reason", required: true, testid: "approval-reason" });
  const pending = (v.approvals || []).some((a) => a.state === "requested");
  return onSubmit(h("form", { class: "inline", testid: "approval-form" }, h("h3", {}, t("visit.ask_approval")),
    pending ? h("p", { class: "muted", testid: "approval-pending" }, t("visit.approval_pending")) : null,
    field(`${t("visit.extra_cost")} (${currency})`, amount), field(t("visit.reason"), reason),
    h("button", { type: "submit", testid: "approval-submit" }, t("visit.ask")), errors), errors, async () => {
    const minor = parseMinor(amount.value);
    if (minor == null) throw new ApiError(0, { title: t("visit.bad_amount"), field: "amount" });
    await api("POST", `${visitUrl(v.id)}/approvals`, { amount: { minor, currency }, reason: reason.value.trim() });
    await reload();
  });
}

// ---- dashboard: after-sales figures ----

/// Tiles and tables for `service_visits` and `callbacks` of the dashboard JSON (docs/metrics.md);
/// null when it has neither. A missing or null figure reads "n/a".
function afterSalesDashboard(d) {
  if (!d || (d.service_visits == null && d.callbacks == null)) return null;
  const sv = d.service_visits || {}, cb = d.callbacks || {};
  const num = (x) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  const na = t("common.na");
  const pct = (x) => (num(x) == null ? na : fmtPercent(x));
  const secs = (x) => (num(x) == null ? na : fmtSeconds(x * 1000));
  const hours = (x) => (num(x) == null ? na : x < 1 ? t("dash.minutes", Math.round(x * 60)) : t("dash.hours", x.toFixed(1)));
  const tile = (id, title, value, text, sub) => h("div", { class: "tile", testid: `stat-${id}`, "data-value": value ?? "" },
    h("div", { class: "tile-title" }, title), h("div", { class: "tile-value" }, text), sub ? h("div", { class: "muted small" }, sub) : null);
  const of = (n, pending) => (num(n) == null ? null : t("dash.eligible", n, num(pending) ?? 0));
  const obj = (x) => (x && typeof x === "object" && !Array.isArray(x) ? x : {});
  const mean = obj(sv.stage_hours), median = obj(sv.stage_median_hours), visits = obj(sv.stage_visits);
  const stages = [...new Set([...VISIT_STAGES.filter((s) => s !== "handed_over"), ...Object.keys(mean)])];
  const dealers = Array.isArray(sv.dealer_satisfaction) ? sv.dealer_satisfaction : [];
  const target = num(cb.target_s) ?? CALLBACK_TARGET_MS / 1000;
  return h("section", { testid: "dash-after-sales" }, h("h2", {}, t("dash.after_sales")),
    h("div", { class: "tiles" },
      tile("first_time_fix", t("dash.first_time_fix"), num(sv.first_time_fix_rate), pct(sv.first_time_fix_rate),
           of(sv.eligible, sv.pending)),
      tile("comeback", t("dash.comeback"), num(sv.comeback_rate), pct(sv.comeback_rate),
           num(sv.comebacks) != null ? t("dash.comebacks", sv.comebacks) : null),
      tile("handed_over", t("dash.handed_over"), num(sv.visits_handed_over), num(sv.visits_handed_over) ?? na),
      tile("callbacks_within", t("dash.callbacks_within", target), num(cb.within_target_share), pct(cb.within_target_share),
           num(cb.requested) != null ? t("dash.callbacks_counts", cb.requested, num(cb.picked_up) ?? na) : null),
      tile("pickup_p50", t("dash.pickup_p50"), num(cb.pickup_p50_s), secs(cb.pickup_p50_s)),
      tile("pickup_p90", t("dash.pickup_p90"), num(cb.pickup_p90_s), secs(cb.pickup_p90_s))),
    h("div", { class: "columns" },
      h("table", { class: "grid", testid: "dash-stage-hours" },
        h("caption", {}, t("dash.stage_hours")),
        h("thead", {}, h("tr", {}, ["stage", "mean", "median", "visits"].map((c) => h("th", { scope: "col" }, t(`dash.col.${c}`))))),
        h("tbody", {}, stages.map((s) => h("tr", { testid: "dash-stage", "data-stage": s },
          h("td", {}, term("visit", s)), h("td", { class: "num" }, hours(mean[s])), h("td", { class: "num" }, hours(median[s])),
          h("td", { class: "num" }, num(visits[s]) ?? na))))),
      h("table", { class: "grid", testid: "dash-dealers" },
        h("caption", {}, t("dash.dealer_satisfaction")),
        h("thead", {}, h("tr", {}, ["dealer", "surveys", "average"].map((c) => h("th", { scope: "col" }, t(`dash.col.${c}`))))),
        h("tbody", {}, dealers.length ? dealers.map((r) => h("tr", { testid: "dash-dealer", "data-dealer": r.dealer_code },
          h("td", {}, `${r.dealer_name || ""} (${r.dealer_code || na})`), h("td", { class: "num" }, num(r.surveys) ?? na),
          h("td", { class: "num" }, num(r.average) == null ? na : `${num(r.average).toFixed(2)} / 5`)))
          : h("tr", {}, h("td", { colspan: 3, class: "muted" }, na))))));
}
