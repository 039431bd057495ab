// The service teams' web console: hash-routed pages over the backend's /api/v1 (docs: the API
// contract). No framework, no build step; shared parts in ui.js, charts in charts.js, every
// string in i18n.js.
"use strict";

const DUE_SOON_MS = 4 * HOUR_MS;
const QUEUE_REFRESH_MS = 30 * 1000;
const OPEN_STATES = STATES.filter((s) => s !== "resolved" && s !== "closed");

let timers = [];  // intervals of the current page, cleared on navigation
const queueFilters = { state: "open", priority: "", system: "", sla: "", q: "", sort: "newest", mine: "", needs_triage: "" };

// ---- routing and chrome ----

const PAGES = { login: renderLogin, queue: renderQueue, case: renderCase, clusters: renderClusters,
                dashboard: renderDashboard, knowledge: renderKnowledge, callbacks: renderCallbacks,
                visits: renderVisits, visit: renderVisit };
// A dealer's token sees its visits and nothing else (docs/visits.md).
const DEALER_PAGES = ["visits", "visit"];
const navPages = () => (me?.role === "dealer" ? ["visits"]
  : ["queue", ...(seesCallbacks() ? ["callbacks"] : []), "visits", "clusters", "dashboard", "knowledge"]);

async function route() {
  timers.forEach(clearInterval);
  timers = [];
  let [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const arg = rest.map(decodeURIComponent).join("/");
  if (!PAGES[name]) name = "queue";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("app.title");
  if (!sessionStorage.getItem(TOKEN_KEY)) name = "login";
  if (name !== "login" && !me) {
    try {
      me = await api("GET", "/api/v1/me");
    } catch (err) {
      // A 401 re-routes to login; anything else (the backend restarting, no network) says so.
      if (err.status !== 401) {
        document.getElementById("view").replaceChildren(h("div", { class: "page", testid: "page-error" }, problemBox(err),
          h("button", { type: "button", testid: "retry", onclick: () => route() }, t("common.retry"))));
      }
      return;
    }
  }
  if (name !== "login" && me?.role === "dealer" && !DEALER_PAGES.includes(name)) name = "visits";
  renderChrome(name);
  // A fresh page element per visit, so a slow answer for a page left behind renders nowhere.
  const page = h("div", { class: "page", testid: `page-${name}` }, h("p", { class: "muted" }, t("common.loading")));
  document.getElementById("view").replaceChildren(page);
  try {
    await PAGES[name](page, arg);
  } catch (err) {
    if (err.status !== 401) page.replaceChildren(problemBox(err));
  }
}

function renderChrome(current) {
  const link = (name) => h("a", { href: `#/${name}`, testid: `nav-${name}`,
                                  "aria-current": current === name ? "page" : null },
    me?.role === "dealer" && name === "visits" ? t("visits.mine") : t(`nav.${name}`),
    name === "callbacks" ? h("span", { class: "badge count", testid: "callbacks-badge", hidden: true,
                                       "aria-label": t("cb.badge") }) : null);
  const loggedIn = current !== "login" && me != null;
  document.getElementById("chrome").replaceChildren(...[
    h("span", { class: "brand" }, t("app.title")),
    loggedIn ? h("nav", { "aria-label": "main" }, navPages().map(link)) : null,
    h("span", { class: "spacer" }),
    loggedIn ? h("span", { class: "muted", testid: "whoami" }, t("user", me.name, term("role", me.role), me.team || t("common.none"))) : null,
    loggedIn && zoneName() ? h("span", { class: "muted", testid: "zone", title: t("zone.title") }, zoneName()) : null,
    h("button", { type: "button", class: "link", testid: "lang-toggle", "aria-label": t("nav.language.label"),
                  onclick: () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem(LANG_KEY, lang); route(); } },
      t("nav.language")),
    loggedIn ? h("button", { type: "button", class: "link", testid: "logout",
                             onclick: () => { sessionStorage.removeItem(TOKEN_KEY); me = null; location.hash = "#/login"; } },
                 t("nav.logout")) : null].filter(Boolean));
  if (loggedIn && seesCallbacks()) startCallbackBadge();
}

// ---- login ----

async function renderLogin(page) {
  const input = h("textarea", { name: "token", rows: 3, required: true, autocomplete: "off", spellcheck: "false",
                                testid: "token-input" });
  const errors = h("div", {}, loginNotice ? problemBox(loginNotice) : null);
  loginNotice = null;
  const form = h("form", { class: "card narrow", testid: "login-form" },
                 h("h1", {}, t("login.title")), field(t("login.token"), input), h("p", { class: "muted" }, t("login.hint")),
                 errors, h("button", { type: "submit", testid: "login-submit" }, t("login.submit")));
  onSubmit(form, errors, async () => {
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    me = null;
    me = await api("GET", "/api/v1/me");
    // Where the user was going (a bookmark, a deep link to a case), else the queue. Setting the
    // hash it already has fires no hashchange: route() then runs here.
    const wanted = location.hash.replace(/^#\/?/, "").split("/")[0];
    const target = PAGES[wanted] && wanted !== "login" ? location.hash : "#/queue";
    if (location.hash === target) route(); else location.hash = target;
  });
  page.replaceChildren(form);
}

// ---- queue ----

function slaView(c, now) {
  const sla = c.sla || {};
  // Closed clocks: "met" or "missed"; an open one counts down to its next deadline.
  if (sla.next_due_ms == null) return { cls: sla.state || "met", text: term("sla", sla.state || "met") };
  const left = sla.next_due_ms - now;
  const cls = left < 0 ? "overdue" : left <= DUE_SOON_MS ? "due_soon" : "on_track";
  return { cls, text: `${t(`sla.${cls}`)} · ${left < 0 ? t("sla.ago", fmtDuration(-left)) : t("sla.in", fmtDuration(left))}` };
}

function renderSlaCell(cell, c) {
  const v = slaView(c, Date.now());
  cell.className = `sla sla-${v.cls}`;
  cell.dataset.sla = v.cls;
  cell.textContent = v.text;
}

async function renderQueue(page) {
  const f = queueFilters;
  const anyOpt = [["", t("queue.any")]];
  const form = h("form", { class: "filters", testid: "queue-filters", "aria-label": t("queue.filters") },
    field(t("queue.state"), select("state", [["open", t("queue.open")], ...anyOpt, ...STATES.map((s) => [s, term("state", s)])], f.state, "filter-state")),
    field(t("queue.priority"), select("priority", [...anyOpt, ...PRIORITIES.map((p) => [p, term("priority", p)])], f.priority, "filter-priority")),
    field(t("queue.system"), select("system", [...anyOpt, ...SYSTEMS.map((s) => [s, term("system", s)])], f.system, "filter-system")),
    field(t("queue.sla"), select("sla", [...anyOpt, ...SLA_STATES.map((s) => [s, term("sla", s)])], f.sla, "filter-sla")),
    field(t("queue.search"), h("input", { name: "q", type: "search", value: f.q, placeholder: t("queue.search.placeholder"), testid: "filter-q" })),
    field(t("queue.sort"), select("sort", SORTS.map((s) => [s, t(`sort.${s}`)]), f.sort, "filter-sort")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "mine", value: "1", checked: !!f.mine, testid: "filter-mine" }),
      t("queue.mine")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "needs_triage", value: "true", checked: !!f.needs_triage,
                                                 testid: "filter-triage" }), t("queue.triage")),
    h("button", { type: "submit", testid: "filter-apply" }, t("queue.apply")));
  const errors = h("div");
  const columns = ["case", "created", "type", "priority", "system", "model", "state", "assignee", "sla"];
  const body = h("tbody", { testid: "queue-rows" });
  const status = h("p", { class: "muted", testid: "queue-status", "aria-live": "polite" });
  const more = h("button", { type: "button", testid: "queue-more", hidden: true }, t("queue.more"));
  let cursor = null, pages = 0, shown = [];
  let seq = 0;  // the latest load: an answer to an older one (another filter, a second "More") is dropped

  const load = async (reset) => {
    const mine = ++seq;
    const params = new URLSearchParams({ limit: "50" });
    const state = f.state === "open" ? OPEN_STATES.join(",") : f.state;
    const assignee = f.mine ? me?.name : "";
    for (const [k, v] of Object.entries({ state, priority: f.priority, system: f.system, sla: f.sla, q: f.q.trim(), sort: f.sort, assignee,
                                          needs_triage: f.needs_triage }))
      if (v) params.set(k, v);
    if (!reset && cursor) params.set("cursor", cursor);
    more.disabled = true;
    let data;
    try {
      data = await api("GET", `/api/v1/cases?${params}`);
    } catch (err) {
      if (mine !== seq) return;  // an older load's failure is not this list's
      throw err;
    } finally {
      if (mine === seq) more.disabled = false;
    }
    if (mine !== seq) return;
    const items = data?.items || [];
    if (reset) { body.replaceChildren(); shown = []; pages = 0; }
    pages += 1;
    shown.push(...items);
    body.append(...items.map(queueRow));
    if (!shown.length) body.append(h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, t("common.empty"))));
    cursor = data?.next_cursor || null;
    more.hidden = !cursor;
    status.textContent = `${t("queue.count", shown.length)} · ${t("common.updated", fmtTime(Date.now()))} · ${t("queue.auto")}`;
  };
  const guarded = (reset) => load(reset).then(() => errors.replaceChildren(), (err) => errors.replaceChildren(problemBox(err)));

  onSubmit(form, errors, async () => {
    const data = new FormData(form);
    for (const k of Object.keys(f)) f[k] = String(data.get(k) ?? "");
    await load(true);
  });
  more.addEventListener("click", () => guarded(false));
  page.replaceChildren(
    h("h1", {}, t("queue.title")), form, errors,
    h("table", { class: "grid", testid: "queue-table" },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`col.${c}`))))), body),
    more, status);
  await guarded(true);
  // Countdowns move every second; the list refreshes unless the user paged further down.
  timers.push(setInterval(() => body.querySelectorAll("td.sla").forEach((cell) => renderSlaCell(cell, cell._case)), 1000));
  // Not while a load runs: a "More" still loading would be dropped for the refresh.
  timers.push(setInterval(() => { if (pages <= 1 && !more.disabled) guarded(true); }, QUEUE_REFRESH_MS));
}

function queueRow(c) {
  const sla = h("td", { class: "sla", testid: "sla" });
  sla._case = c;
  renderSlaCell(sla, c);
  return h("tr", { testid: "case-row", "data-case": c.case_number },
    h("td", {}, h("a", { href: `#/case/${encodeURIComponent(c.case_number)}`, testid: "case-link" }, c.case_number),
      c.major ? h("span", { class: "badge major" }, t("case.major")) : null,
      c.needs_triage ? h("span", { class: "badge triage", testid: "triage-badge" }, t("case.needs_triage")) : null),
    h("td", {}, fmtTime(c.created_ms)), h("td", {}, term("type", c.type)),
    h("td", {}, h("span", { class: `prio prio-${c.priority}` }, term("priority", c.priority))),
    h("td", {}, term("system", c.system)), h("td", {}, c.model || t("common.none")),
    h("td", { testid: "state" }, term("state", c.state)), h("td", {}, c.assignee || t("common.none")), sla);
}

// ---- case ----

async function renderCase(page, number) {
  const data = await api("GET", caseUrl(number));
  const c = data.case;
  const reload = route;  // a fresh page: its timers replace this one's
  const slaBadge = h("span", { class: "badge", testid: "case-sla" });
  const tick = () => { const v = slaView(c, Date.now()); slaBadge.className = `badge sla-${v.cls}`; slaBadge.textContent = v.text; };
  tick();
  timers.push(setInterval(tick, 1000));
  page.replaceChildren(
    h("p", {}, h("a", { href: "#/queue" }, `← ${t("case.back")}`)),
    h("h1", {}, t("case.title", c.case_number), " ",
      h("span", { class: "badge", testid: "case-state", "data-state": c.state }, term("state", c.state)), " ",
      slaBadge, c.needs_triage ? [" ", h("span", { class: "badge triage", testid: "case-triage" }, t("case.needs_triage"))] : null),
    h("div", { class: "columns" },
      h("div", {}, caseSummary(c, data.contact, data.survey), caseActions(c, reload)),
      h("div", {}, conversation(data), timeline(data.events || []))),
    await caseVisits(c, reload),
    h("section", { "aria-labelledby": "reports-h" }, h("h2", { id: "reports-h" }, t("case.reports")),
      (data.reports || []).map(reportView)));
}

function caseSummary(c, contact, survey) {
  const parent = c.parent_case_number
    ? h("a", { href: `#/case/${encodeURIComponent(c.parent_case_number)}` }, c.parent_case_number) : null;
  return h("section", { class: "card", testid: "case-summary" }, h("h2", {}, t("case.summary")), dl([
    [t("case.vin"), c.vin], [t("col.type"), term("type", c.type)], [t("col.priority"), term("priority", c.priority)],
    [t("col.system"), term("system", c.system)], [t("col.model"), c.model], [t("case.software"), c.software_version],
    [t("case.team"), c.team], [t("case.collaborators"), (c.collaborators || []).join(", ")],
    [t("col.assignee"), c.assignee], [t("case.language"), c.language], [t("case.channel"), term("channel", c.channel)],
    [t("col.created"), fmtTime(c.created_ms)], [t("case.first_reply_due"), fmtTime(c.first_reply_due_ms)],
    [t("case.first_response"), c.first_response_ms != null ? fmtTime(c.first_response_ms) : null],
    [t("case.resolution_due"), fmtTime(c.resolution_due_ms)], [t("col.reports"), c.reports], [t("case.parent"), parent],
    [t("case.contact"), contact ? `${contact.name || ""} ${contact.phone || ""}`.trim() : null],
    [t("case.survey"), survey ? `${survey.score} / 5${survey.comment ? ` — ${survey.comment}` : ""}` : null],
  ]));
}

function caseActions(c, reload) {
  const url = caseUrl(c.case_number);
  const allowed = c.allowed || [];
  const errors = h("div", { testid: "action-error" });
  const notice = h("p", { class: "notice", role: "status", testid: "action-notice" });
  const input = (name, attrs = {}) => h("input", { name, testid: name, ...attrs });

  const reason = h("textarea", { name: "reason", rows: 2, placeholder: t("case.reason.placeholder"), testid: "reason" });
  // The page is drawn again after each action: what was typed in the other forms (a half-written
  // message while assigning) is put back; the fields the action sent are not.
  // (comment and message are declared below; this runs only after a submit, when they exist.)
  // Only on this case's page: the user may have opened another while the action ran (its boxes
  // are not this case's, and drawing it again would lose what is being typed there).
  const onThisCase = () => {
    const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    return name === "case" && rest.map(decodeURIComponent).join("/") === c.case_number;
  };
  const reloadKeeping = async (sent = []) => {
    if (!onThisCase()) return;
    const typed = [reason, comment, message].filter((el) => !sent.includes(el) && el.value)
      .map((el) => [el.dataset.testid, el.value]);
    await reload();
    if (!onThisCase()) return;
    for (const [id, value] of typed) {
      const el = document.querySelector(`[data-testid=${id}]`);
      if (el && !el.value) el.value = value;
    }
  };
  const moveAssignee = allowed.includes("assigned") ? input("move-assignee", { value: c.assignee || me?.name || "" }) : null;
  const when = allowed.includes("appointment") ? input("appointment-when", { type: "datetime-local" }) : null;
  const place = allowed.includes("appointment") ? input("appointment-place") : null;
  const move = onSubmit(h("form", { testid: "move-form" },
    h("h3", {}, t("case.move")), field(t("case.reason"), reason),
    moveAssignee ? field(t("case.assignee"), moveAssignee) : null,
    when ? field(t("case.appointment_when") + zoneSuffix(), when) : null, place ? field(t("case.appointment_place"), place) : null,
    allowed.length
      ? h("div", { class: "buttons" }, allowed.map((s) => h("button", { type: "submit", value: s, testid: `move-${s}` }, term("state", s))))
      : h("p", { class: "muted" }, t("case.no_moves"))), errors, async (button) => {
    const body = { to: button.value, reason: reason.value.trim() };
    if (button.value === "assigned" && moveAssignee) body.assignee = moveAssignee.value.trim();
    if (button.value === "appointment") {
      body.appointment_when = when.value.replace("T", " ");
      body.appointment_place = place.value.trim();
    }
    await api("POST", `${url}/transitions`, body);
    await reloadKeeping([reason]);
  });

  // Enter in a field would submit with the first move's button: a move needs a deliberate click.
  move.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && ev.target.tagName === "INPUT") ev.preventDefault(); });

  const assignee = input("assignee", { value: c.assignee || "", required: true });
  const assign = onSubmit(h("form", { class: "inline", testid: "assign-form" }, h("h3", {}, t("case.assign")),
    field(t("case.assignee"), assignee),
    h("button", { type: "submit", testid: "assign-submit" }, t("case.assign"))), errors, async () => {
    await api("POST", `${url}/assignment`, { assignee: assignee.value.trim() });
    await reloadKeeping();
  });

  const comment = h("textarea", { name: "comment", rows: 2, required: true, testid: "comment-text",
                                  "aria-label": t("case.comment") });
  const commentForm = onSubmit(h("form", { testid: "comment-form" }, h("h3", {}, t("case.comment")), comment,
    h("button", { type: "submit", testid: "comment-submit" }, t("case.comment.add"))), errors, async () => {
    await api("POST", `${url}/comments`, { text: comment.value.trim() });
    await reloadKeeping([comment]);
  });

  const message = h("textarea", { name: "message", rows: 3, required: true, testid: "message-text",
                                  "aria-label": t("case.message") });
  const script = select("template", ["message", "progress"].map((k) => [k, t(`template.${k}`)]), "message",
                        "message-template");
  const messageForm = onSubmit(h("form", { testid: "message-form" }, h("h3", {}, t("case.message")),
    h("p", { class: "muted" }, t("case.message.hint")), field(t("case.template"), script), message,
    h("button", { type: "submit", testid: "message-submit" }, t("common.send"))), errors, async () => {
    await api("POST", `${url}/messages`, { text: message.value.trim(), template: script.value });
    await reloadKeeping([message]);
    document.querySelector("[data-testid=action-notice]")?.replaceChildren(t("case.message.sent"));
  });

  // Triage (分诊): a lead confirms or corrects what the classifier decided; an open case only.
  // Out of the queue it is a correction, folded away under the moves a case needs daily.
  let triageForm = canTriage() && OPEN_STATES.includes(c.state) ? triageCase(c, errors, reloadKeeping) : null;
  if (triageForm && !c.needs_triage) {
    triageForm = h("details", { testid: "triage-details" }, h("summary", {}, t("case.triage")), triageForm);
  }
  const readOnly = me?.role === "auditor";
  return h("section", { class: "card", testid: "case-actions" }, h("h2", {}, t("case.actions")), errors, notice,
           readOnly ? null : [triageForm, move, assign, commentForm, messageForm]);
}

const canTriage = () => me?.role === "team_lead" || me?.role === "admin";

function triageCase(c, errors, reloadKeeping) {
  const type = select("type", TYPES.map((k) => [k, term("type", k)]), c.type, "triage-type");
  const priority = select("priority", PRIORITIES.map((k) => [k, term("priority", k)]), c.priority, "triage-priority");
  const system = select("system", SYSTEMS.map((k) => [k, term("system", k)]), c.system, "triage-system");
  const team = h("input", { name: "team", testid: "triage-team", placeholder: t("case.triage.routed") });
  const why = h("input", { name: "triage-reason", testid: "triage-reason", required: true });
  return onSubmit(h("form", { testid: "triage-form" }, h("h3", {}, t("case.triage")),
    h("p", { class: "muted" }, t(c.needs_triage ? "case.triage.hint" : "case.triage.again")),
    field(t("col.type"), type), field(t("col.priority"), priority), field(t("col.system"), system),
    field(t("case.team"), team), field(t("case.reason"), why),
    h("button", { type: "submit", testid: "triage-submit" }, t("case.triage.save"))), errors, async () => {
    // What this page showed: a case changed meanwhile (a report raised it) is refused, not decided over.
    const body = { reason: why.value.trim(), seen: { type: c.type, priority: c.priority, system: c.system, team: c.team } };
    for (const [k, el, was] of [["type", type, c.type], ["priority", priority, c.priority], ["system", system, c.system]])
      if (el.value !== was) body[k] = el.value;
    if (team.value.trim()) body.team = team.value.trim();
    const from = location.hash;
    const triaged = (await api("POST", `${caseUrl(c.case_number)}/triage`, body))?.case;
    // Given to a team this user is not in, the case is no longer theirs to see: back to the queue
    // (unless they went elsewhere meanwhile).
    const stays = me?.role === "admin" || triaged?.team === me?.team || (triaged?.collaborators || []).includes(me?.team);
    if (!stays) { if (location.hash === from) location.hash = "#/queue"; return; }
    await reloadKeeping();
  });
}

function conversation(data) {
  const items = [
    ...(data.notifications || []).map((n) => ({ at: n.created_ms, kind: "notification", n })),
    ...(data.events || []).filter((e) => e.kind === "comment").map((e) => ({ at: e.at_ms, kind: "comment", e })),
  ].sort((a, b) => a.at - b.at);
  const entry = (it) => {
    if (it.kind === "comment") {
      return h("li", { class: "msg comment", testid: "conv-comment" },
               h("div", { class: "meta" }, `${t("conv.comment")} · ${it.e.actor || ""} · ${fmtTime(it.at)}`),
               h("div", {}, it.e.detail));
    }
    const n = it.n;
    const delivery = n.read_ms ? t("conv.read") : n.delivered_ms ? t("conv.delivered")
      : n.carried_by_ack ? t("conv.in_ack") : t("conv.pending");
    return h("li", { class: "msg to-driver", testid: "conv-notification", "data-event": n.event },
             h("div", { class: "meta" }, `${t("conv.notification")} · ${term("event", n.event)} · ${fmtTime(it.at)} · ${delivery}`),
             n.title ? h("strong", {}, n.title) : null, h("div", {}, n.text));
  };
  return h("section", { class: "card", testid: "conversation" }, h("h2", {}, t("case.conversation")),
           items.length ? h("ol", { class: "conversation" }, items.map(entry)) : h("p", { class: "muted" }, t("common.empty")));
}

function timeline(events) {
  return h("section", { class: "card", testid: "timeline" }, h("h2", {}, t("case.timeline")),
    h("ol", { class: "timeline" }, [...events].sort((a, b) => a.at_ms - b.at_ms).map((e) =>
      h("li", { testid: "event", "data-kind": e.kind },
        h("time", {}, fmtTime(e.at_ms)), " ", h("strong", {}, term("event", e.kind)), e.actor ? ` · ${e.actor}` : "",
        eventDetail(e)))));
}

/// A transition's JSON detail ({"from","to","reason","assignee"}) as words; other details as they are.
function eventDetail(e) {
  if (!e.detail) return null;
  let d = null;
  if (e.detail.startsWith("{")) try { d = JSON.parse(e.detail); } catch { d = null; }
  if (e.kind === "transition" && d?.to) {
    return h("div", { class: "muted" }, `${term("state", d.from)} → ${term("state", d.to)}`,
             d.assignee ? ` (${d.assignee})` : "", d.reason ? ` · ${t("case.reason")}: ${d.reason}` : "");
  }
  if (e.kind === "assignment" && d && "to" in d) {
    return h("div", { class: "muted" }, `${d.from || "—"} → ${d.to || "—"}`);
  }
  if (e.kind === "triage" && d) {
    const changes = ["type", "priority", "system"].filter((k) => d[k]).map((k) => `${term(k, d[k].from)} → ${term(k, d[k].to)}`);
    if (d.team) changes.push(`${d.team.from} → ${d.team.to}`);
    if (d.assignee) changes.push(`${t("col.assignee")}: ${d.assignee.from} → ${t("common.none")}`);
    return h("div", { class: "muted" }, changes.length ? changes.join(" · ") : t("case.triage.confirmed"),
             d.reason ? ` · ${t("case.reason")}: ${d.reason}` : "");
  }
  if (e.kind === "priority_raised" && d?.to) {
    return h("div", { class: "muted" }, `${term("priority", d.from)} → ${term("priority", d.to)}`,
             d.report ? ` · ${d.report}` : "");
  }
  if (d && (d.visit || d.callback) && (d.state || d.stage || d.approval)) {
    // Visit and callback events (docs/visits.md): the state reached and the words that came with it.
    const state = d.callback ? term("cbstate", d.state) : d.approval ? t("event.visit_approval") : term("visit", d.state || d.stage);
    return h("div", { class: "muted" }, state,
             d.wait_ms != null ? ` · ${t("cb.col.pickup")}: ${fmtSeconds(d.wait_ms)}` : "",
             d.amount != null ? ` · ${(d.amount / 100).toFixed(2)}` : "",
             d.answer ? ` · ${term("approval", d.answer)}` : "",
             d.total ? ` · ${t("visit.total")}: ${fmtMoney(d.total)}` : "",
             d.passed != null ? ` · ${d.passed ? t("visit.passed") : t("visit.failed")}` : "",
             [d.outcome, d.findings, d.note, d.reason].filter(Boolean).map((x) => ` · ${x}`));
  }
  return h("div", { class: d ? "muted detail-json" : "muted" }, e.detail);
}

function reportView(r) {
  const loc = !r.location ? null : r.location.masked ? t("common.masked")
    : `${r.location.lat}, ${r.location.lon}${r.location.coarsened ? ` (${t("case.coarse")})` : ""}`;
  const ecu = r.ecu_software && Object.keys(r.ecu_software).length
    ? Object.entries(r.ecu_software).map(([k, v]) => `${k} ${v}`).join(", ") : null;
  const dtcs = r.dtcs || [];
  if (r.erased || r.error) {
    return h("article", { class: "card report", testid: "report" }, h("h3", {}, t("case.report", r.report_id)),
             h("p", { class: "muted" }, r.erased ? t("case.erased") : r.error));
  }
  return h("article", { class: "card report", testid: "report" },
    h("h3", {}, t("case.report", r.report_id)),
    r.text ? h("blockquote", {}, r.text) : null,
    dl([[t("case.received"), fmtTime(r.received_ms)], [t("case.source"), term("source", r.source)], [t("case.category"), term("category", r.category)],
        [t("case.language"), r.language], [t("case.odometer"), r.odometer_km != null ? `${r.odometer_km} km` : null],
        [t("case.location"), loc], [t("case.ecu"), ecu]]),
    h("h4", {}, t("case.dtcs")),
    dtcs.length ? h("ul", { class: "dtcs", testid: "dtcs" }, dtcs.map((d) => h("li", {}, h("code", {}, d))))
                : h("p", { class: "muted" }, t("case.no_dtcs")),
    h("h4", {}, t("case.signals")),
    r.snapshot?.signals?.length ? signalChart(r.snapshot) : h("p", { class: "muted" }, t("case.no_snapshot")));
}

// ---- clusters ----

async function renderClusters(page) {
  const data = await api("GET", "/api/v1/clusters");
  const items = data?.items || [];
  const cols = ["key", "model", "software", "vehicles", "cases", "major", "warned"];
  page.replaceChildren(h("h1", {}, t("clusters.title")),
    h("table", { class: "grid", testid: "clusters-table" },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, t(`clusters.${c}`))))),
      h("tbody", {}, items.length ? items.map((c) => h("tr", { testid: "cluster-row" },
        h("td", {}, c.key), h("td", {}, c.model), h("td", {}, c.software_version), h("td", { class: "num" }, c.vehicles),
        h("td", { class: "num" }, c.cases),
        h("td", {}, c.major_case_number ? h("a", { href: `#/case/${encodeURIComponent(c.major_case_number)}` }, c.major_case_number)
                                        : t("common.none")),
        h("td", {}, c.warned_ms ? fmtTime(c.warned_ms) : t("common.none"))))
        : h("tr", {}, h("td", { colspan: cols.length, class: "muted" }, t("common.empty"))))));
}

// ---- dashboard ----

const DASH_DAYS = [7, 30, 90];
let dashDays = 30;

async function renderDashboard(page) {
  const to = Date.now(), from = to - dashDays * 24 * HOUR_MS;
  const bucket = dashDays > 30 ? "week" : "day";
  const d = (await api("GET", `/api/v1/dashboard?from_ms=${from}&to_ms=${to}&bucket=${bucket}`)) || {};
  const period = select("days", DASH_DAYS.map((n) => [String(n), t("dash.days", n)]), String(dashDays), "dash-period");
  period.addEventListener("change", () => { dashDays = Number(period.value); renderDashboard(page).catch((e) => page.replaceChildren(problemBox(e))); });
  // Field names: backend/core analytics to_json (docs/metrics.md); older spellings tolerated.
  const fr = d.first_response_24h || d.first_response || {}, cl = d.closed_loop || {}, cs = d.csat || {};
  const volumes = d.volumes || d;
  const offset = d.utc_offset_ms ?? 0;  // the service region's clock: its days, weeks and months
  const range = { from: d.from_ms ?? from, to: d.to_ms ?? to, bucket: d.bucket || bucket, offset };
  const rate = (o, num) => o.rate ?? (eligibleOf(o) ? num / eligibleOf(o) : null);
  const tiles = [
    kpi("response", t("dash.response"), rate(fr, fr.within_24h), fr.target ?? 0.95, fmtPercent, fr),
    kpi("closed_loop", t("dash.closed_loop"), rate(cl, cl.resolved), cl.target ?? 0.90, fmtPercent, cl),
    kpi("csat", t("dash.csat"), cs.mean ?? (cs.answers ? cs.score_sum / cs.answers : null), cs.target ?? 4.5,
        (v) => (v == null ? t("dash.no_data") : `${v.toFixed(2)} / 5`), cs),
  ];
  const open = d.open_by_state && typeof d.open_by_state === "object" ? Object.entries(d.open_by_state) : [];
  // The monthly high-frequency problems report (高频问题) of a month, as the API renders it.
  const regionNow = new Date(Date.now() + offset);
  const lastMonth = new Date(Date.UTC(regionNow.getUTCFullYear(), regionNow.getUTCMonth() - 1, 1));
  const month = h("input", { type: "month", testid: "monthly-month",
                             value: lastMonth.toISOString().slice(0, 7) });
  const monthlyStatus = h("span", { class: "muted", testid: "monthly-status" });
  const monthly = (format) => async () => {
    monthlyStatus.textContent = "…";
    try {
      const type = await downloadFromApi(
        `/api/v1/reports/monthly?month=${encodeURIComponent(month.value)}&format=${format}&lang=${lang}`,
        `monthly-${month.value}.${format}`);
      monthlyStatus.textContent = `${t("dash.monthly_ready")} (${type.split(";")[0]})`;
    } catch (e) {
      monthlyStatus.replaceChildren(problemBox(e));
    }
  };
  page.replaceChildren(h("h1", {}, t("dash.title")),
    h("div", { class: "filters" }, field(t("dash.period"), period),
      d.cases_created != null ? h("p", { class: "muted" }, `${t("dash.total")}: ${d.cases_created}`) : null),
    h("div", { class: "filters" }, field(t("dash.monthly"), month),
      h("button", { type: "button", testid: "monthly-html", onclick: monthly("html") }, "HTML"),
      h("button", { type: "button", testid: "monthly-csv", onclick: monthly("csv") }, "CSV"), monthlyStatus),
    h("div", { class: "tiles" }, tiles),
    h("p", { class: "muted", testid: "dash-open" },
      d.open_cases != null ? `${t("dash.open")}: ${d.open_cases}` : null,
      open.length ? ` (${open.filter(([, n]) => n).map(([s, n]) => `${term("state", s)} ${n}`).join(", ")})` : null,
      d.sla_breaches?.cases != null ? ` · ${t("dash.breaches")}: ${d.sla_breaches.cases}` : null),
    h("div", { class: "charts" },
      volumeChart(volumePoints(volumes.by_type), t("dash.volume_type"), "chart-type", range),
      volumeChart(volumePoints(volumes.by_system), t("dash.volume_system"), "chart-system", range),
      volumeChart(volumePoints(volumes.by_model), t("dash.volume_model"), "chart-model", range)),
    afterSalesDashboard(d));
}

function eligibleOf(o) {
  if (typeof o.eligible === "number") return o.eligible;
  const n = (o.within_24h ?? 0) + (o.answered_late ?? 0) + (o.unanswered_overdue ?? 0) + (o.resolved ?? 0) + (o.overdue_open ?? 0);
  return n || null;
}

function kpi(id, title, value, target, format, figures) {
  const targetText = id === "csat" ? `${target}` : `${Math.round(target * 1000) / 10} %`;
  const state = value == null ? "none" : value >= target ? "meets" : "misses";
  return h("div", { class: `tile tile-${state}`, testid: `kpi-${id}`, "data-value": value ?? "" },
    h("div", { class: "tile-title" }, title), h("div", { class: "tile-value" }, format(value)),
    h("div", { class: "muted" }, t("dash.target", targetText), " · ",
      state === "none" ? t("dash.no_data") : t(state === "meets" ? "dash.meets" : "dash.misses")),
    figures.eligible != null || figures.answers != null
      ? h("div", { class: "muted small" }, `n = ${figures.eligible ?? figures.answers}`) : null);
}

/// Accepts [{bucket_start_ms, key, count}] (analytics.hpp VolumePoint) or {key: [{bucket_start_ms, count}]}.
function volumePoints(v) {
  const norm = (p, key) => ({ bucket: Number(p.bucket_start_ms ?? p.bucket ?? p.start_ms ?? 0), key: String(key ?? p.key ?? ""),
                              count: Number(p.count ?? 0) });
  if (Array.isArray(v)) return v.map((p) => norm(p));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, arr]) => (Array.isArray(arr) ? arr.map((p) => norm(p, k)) : []));
  return [];
}

// ---- knowledge base ----

async function renderKnowledge(page) {
  const data = await api("GET", "/api/v1/knowledge");
  const articles = data?.articles || [];
  const canEdit = me && (me.role === "team_lead" || me.role === "admin");
  const text = (o) => (o && typeof o === "object" ? o[lang] ?? o.en ?? Object.values(o)[0] : o);
  page.replaceChildren(h("h1", {}, t("kb.title")), ...(articles.length ? articles.map((a) => {
    const scope = [(a.symptoms?.systems || []).map((s) => term("system", s)).join(", "), a.models?.join?.(", "),
                   a.software ? `${a.software.min ?? ""} – ${a.software.max ?? ""}` : null].filter(Boolean).join(" · ");
    const card = h("article", { class: "card", testid: "kb-article", "data-id": a.id },
      h("h2", {}, a.id),
      dl([[t("kb.scope"), scope], [t("kb.symptoms"), (a.symptoms?.[lang] || a.symptoms?.en || []).join(lang === "zh" ? "、" : ", ")],
          [t("kb.answer"), text(a.answer)], [t("kb.workaround"), text(a.workaround)]]),
      canEdit ? h("button", { type: "button", testid: "kb-edit", onclick: () => card.replaceWith(articleEditor(a, page)) }, t("kb.edit")) : null);
    return card;
  }) : [h("p", { class: "muted" }, t("common.empty"))]));
}

function articleEditor(article, page) {
  const area = h("textarea", { rows: 18, class: "code", testid: "kb-json", spellcheck: "false" }, JSON.stringify(article, null, 2));
  const errors = h("div");
  return onSubmit(h("form", { class: "card", testid: "kb-editor" }, h("h2", {}, article.id), field(t("kb.json"), area), errors,
    h("div", { class: "buttons" }, h("button", { type: "submit", testid: "kb-save" }, t("common.save")),
      h("button", { type: "button", onclick: () => renderKnowledge(page) }, t("common.cancel")))), errors, async () => {
    let body;
    try { body = JSON.parse(area.value); } catch (e) { throw new ApiError(0, { title: t("kb.bad_json", e.message) }); }
    await api("PUT", `/api/v1/knowledge/${encodeURIComponent(article.id)}`, body);
    await renderKnowledge(page);
  });
}

window.addEventListener("hashchange", route);
route();
