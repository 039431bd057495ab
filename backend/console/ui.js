// The console's shared parts: strings and formatting in the chosen language, DOM building
// (h()/svg(), never innerHTML with data), and the API client with its problem+json errors.
"use strict";

const TOKEN_KEY = "fb.token";  // sessionStorage: the bearer token of this tab
const LANG_KEY = "fb.lang";    // localStorage: "en" or "zh"
const HOUR_MS = 3600 * 1000;

let lang = localStorage.getItem(LANG_KEY) || (navigator.language.startsWith("zh") ? "zh" : "en");
let me = null;          // GET /api/v1/me of the current token
let loginNotice = null; // why the login page is shown (a refused token)

// ---- strings and formatting ----

function t(key, ...args) {
  const s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[i] ?? ""));
}
/// A vocabulary value in the current language ("state", "in_progress" -> "In progress"), raw when unknown.
function term(kind, value) {
  if (value == null || value === "") return t("common.none");
  return STRINGS[lang][`${kind}.${value}`] ? t(`${kind}.${value}`) : String(value);
}
/// The service region's offset from UTC in ms (GET /api/v1/me), or null before sign-in (the
/// browser's own zone then). The console's times are the region's clock whatever the browser's
/// zone: a dealer's slot typed on a PC set to UTC must reach the driver as the time it was typed.
function regionOffset() { return Number.isFinite(me?.utc_offset_ms) ? me.utc_offset_ms : null; }
/// "UTC+08:00", the region's clock; "" without one.
function zoneName() {
  const offset = regionOffset();
  if (offset == null) return "";
  const m = Math.abs(offset) / 60000;
  const two = (n) => String(Math.floor(n)).padStart(2, "0");
  return `UTC${offset < 0 ? "-" : "+"}${two(m / 60)}:${two(m % 60)}`;
}
/// " (UTC+08:00)" after a time field's label; "" without the region's clock.
function zoneSuffix() { return zoneName() && ` (${zoneName()})`; }
function fmtTime(ms) {
  if (ms == null) return t("common.none");
  const offset = regionOffset();
  const options = { dateStyle: "short", timeStyle: "short", hour12: false };
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  return offset == null ? new Date(ms).toLocaleString(locale, options)
                        : new Date(ms + offset).toLocaleString(locale, { ...options, timeZone: "UTC" });
}
/// The value of an <input type=datetime-local> ("2026-12-05T09:30"), a wall time on the region's
/// clock, as epoch ms; null when empty or unreadable.
function localMs(value) {
  if (!value) return null;
  const offset = regionOffset();
  const ms = offset == null ? new Date(value).getTime() : Date.parse(`${value}Z`) - offset;
  return Number.isFinite(ms) ? ms : null;
}
function fmtDuration(ms) {
  const m = Math.floor(ms / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
  const u = lang === "zh" ? { d: "天", h: "小时", m: "分", s: "秒" } : { d: "d", h: "h", m: "m", s: "s" };
  if (d > 0) return `${d}${u.d} ${h % 24}${u.h}`;
  if (h > 0) return `${h}${u.h} ${String(m % 60).padStart(2, "0")}${u.m}`;
  return `${m}${u.m} ${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}${u.s}`;
}
function fmtPercent(x) { return x == null ? t("dash.no_data") : `${(x * 100).toFixed(1)} %`; }

// ---- DOM ----

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  e.append(...children.flat(Infinity).filter((c) => c != null && c !== false)
                      .map((c) => (c instanceof Node ? c : String(c))));
  return e;
}
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(e, attrs);
  e.append(...children.flat(Infinity).filter((c) => c != null && c !== false)
                      .map((c) => (c instanceof Node ? c : String(c))));
  return e;
}
function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "testid") e.dataset.testid = v;
    else if (k === "class") e.setAttribute("class", v);
    else e.setAttribute(k, v === true ? "" : v);
  }
}
function field(labelText, control) { return h("label", { class: "field" }, h("span", {}, labelText), control); }
function select(name, options, value, testid) {
  return h("select", { name, testid },
           options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}
function dl(rows) {
  return h("dl", { class: "facts" }, rows.filter(([, v]) => v != null && v !== "")
                                       .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}
function problemBox(err) {
  const p = err.problem || {};
  // The title in the reader's language when we know the status; the detail as the API wrote it.
  const title = STRINGS[lang][`http.${err.status}`] ? t(`http.${err.status}`) : p.title || t("common.error");
  return h("div", { class: "error", role: "alert", testid: "error" },
           h("strong", {}, title), err.status ? ` (${err.status})` : "",
           p.detail ? h("div", {}, p.detail) : null,
           p.field ? h("div", { class: "muted" }, t("error.field", p.field)) : null);
}
/// Runs `action` on submit; shows its error in `errorSlot`, or `done()` on success.
function onSubmit(form, errorSlot, action) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errorSlot.replaceChildren();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await action(ev.submitter);
    } catch (err) {
      errorSlot.replaceChildren(problemBox(err));
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return form;
}

// ---- API ----

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}`,
                 ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError(0, { title: t("error.network", e.message) });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    loginNotice = new ApiError(401, { detail: [t("error.unauthorized"), data?.detail].filter(Boolean).join(" ") });
    location.hash = "#/login";
    throw loginNotice;
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && typeof data === "object"
                                       ? data : { title: `HTTP ${res.status}`, detail: text.slice(0, 300) });
  }
  return data;
}
/// A file from the API (it needs the bearer token, so no plain link): fetched, then offered for saving.
async function downloadFromApi(path, filename) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` } });
  if (!res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch { problem = null; }
    throw new ApiError(res.status, problem || { title: `HTTP ${res.status}` });
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return res.headers.get("Content-Type") || "";
}
const caseUrl = (number) => `/api/v1/cases/${encodeURIComponent(number)}`;
