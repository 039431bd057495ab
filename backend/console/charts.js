// Charts drawn as plain SVG: the snapshot's signals around the tap, and stacked volume bars.
"use strict";

const SIGNALS = ["Vehicle.Speed", "Vehicle.Powertrain.CombustionEngine.Speed",
                 "Vehicle.Powertrain.Transmission.CurrentGear", "Vehicle.OBD.ThrottlePosition",
                 "Vehicle.Chassis.Accelerator.PedalPosition"];
const STEP_SIGNALS = new Set(["Vehicle.Powertrain.Transmission.CurrentGear"]);
const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
                 "#9ca3af", "#92400e"];

/// One panel per known signal the snapshot carries, on a shared time axis; t=0 (the tap) marked.
function signalChart(snapshot) {
  const series = SIGNALS.map((p) => snapshot.signals.find((s) => s.path === p)).filter((s) => s && s.t_ms?.length);
  if (!series.length) return h("p", { class: "muted" }, t("case.no_snapshot"));
  const allT = series.flatMap((s) => s.t_ms);
  const t0 = Math.min(snapshot.window_start_ms ?? Infinity, ...allT, 0);
  const t1 = Math.max(snapshot.window_end_ms ?? -Infinity, ...allT, 0);
  const W = 760, panelH = 80, gap = 26, left = 56, right = 12, top = 16;
  const bottom = top + series.length * (panelH + gap) - gap, H = bottom + 36;
  const x = (ms) => left + ((ms - t0) / (t1 - t0 || 1)) * (W - left - right);
  const panels = series.map((s, i) => {
    const y0 = top + i * (panelH + gap);
    const lo = Math.min(...s.values), hi = Math.max(...s.values);
    const y = (v) => y0 + panelH - ((v - lo) / (hi - lo || 1)) * panelH;
    let d = "";
    s.t_ms.forEach((tm, k) => {
      const px = x(tm).toFixed(1), py = y(s.values[k]).toFixed(1);
      if (k === 0) d = `M${px},${py}`;
      else d += STEP_SIGNALS.has(s.path) ? `H${px}V${py}` : `L${px},${py}`;
    });
    return svg("g", { "data-testid": "signal", "data-path": s.path },
      svg("text", { x: left, y: y0 - 4, class: "chart-title" }, term("signal", s.path)),
      svg("rect", { x: left, y: y0, width: W - left - right, height: panelH, class: "chart-frame" }),
      svg("text", { x: left - 6, y: y0 + 10, class: "chart-tick", "text-anchor": "end" }, fmtNumber(hi)),
      svg("text", { x: left - 6, y: y0 + panelH, class: "chart-tick", "text-anchor": "end" }, fmtNumber(lo)),
      svg("path", { d, class: "chart-line", stroke: PALETTE[i] }));
  });
  const ticks = niceTicks(t0 / 1000, t1 / 1000, 8).map((s) =>
    svg("text", { x: x(s * 1000), y: bottom + 14, class: "chart-tick", "text-anchor": "middle" }, fmtNumber(s)));
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": t("case.signals"),
                      "data-testid": "signal-chart" },
    svg("title", {}, `${t("case.signals")} — ${t("case.time_axis")}`), panels, ticks,
    svg("text", { x: W - right, y: H - 4, class: "chart-tick", "text-anchor": "end" }, t("case.time_axis")),
    svg("line", { x1: x(0), x2: x(0), y1: top - 6, y2: bottom, class: "tap-line", "data-testid": "tap-line" }),
    svg("text", { x: x(0) + 4, y: top - 4, class: "tap-label" }, t("case.tap")));
}

function fmtNumber(v) { return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1); }

function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const raw = span / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/// Stacked bars of counts per time bucket, one color per key, with a legend.
/// `range` {from, to, bucket: "day"|"week", offset} lays the period out in full, empty buckets
/// included; `offset` (ms ahead of UTC) is the service region's clock the buckets and dates follow.
function volumeChart(points, titleText, testid, range) {
  const buckets = range ? bucketStarts(range) : [];
  points.forEach((p) => { if (!buckets.includes(p.bucket)) buckets.push(p.bucket); });
  buckets.sort((a, b) => a - b);
  const totals = new Map();
  points.forEach((p) => totals.set(p.key, (totals.get(p.key) || 0) + p.count));
  const keys = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a));
  const color = (k) => PALETTE[keys.indexOf(k) % PALETTE.length];
  const W = 520, H = 200, left = 36, bottom = 24, top = 8;
  const stackMax = Math.max(1, ...buckets.map((b) => points.filter((p) => p.bucket === b).reduce((a, p) => a + p.count, 0)));
  const bw = Math.min(48, (W - left - 8) / Math.max(1, buckets.length));
  const y = (v) => top + (H - top - bottom) * (1 - v / stackMax);
  const bars = buckets.flatMap((b, i) => {
    let acc = 0;
    return keys.map((k) => {
      const n = points.filter((p) => p.bucket === b && p.key === k).reduce((a, p) => a + p.count, 0);
      if (!n) return null;
      const r = svg("rect", { x: left + i * bw + 2, width: Math.max(1, bw - 4), y: y(acc + n), height: y(acc) - y(acc + n),
                              fill: color(k) }, svg("title", {}, `${labelKey(k)}: ${n}`));
      acc += n;
      return r;
    });
  });
  const every = Math.ceil(buckets.length / 7);
  const xLabels = buckets.map((b, i) => (i % every ? null :
    svg("text", { x: left + i * bw + bw / 2, y: H - 6, class: "chart-tick", "text-anchor": "middle" },
        new Date(b + (range?.offset || 0)).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB",
                                                               { month: "numeric", day: "numeric", timeZone: "UTC" }))));
  return h("figure", { class: "card chart-card", testid, "data-buckets": buckets.length },
    h("figcaption", {}, titleText),
    points.length ? svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": titleText },
      svg("line", { x1: left, x2: W - 8, y1: y(0), y2: y(0), class: "chart-axis" }),
      svg("text", { x: left - 4, y: y(stackMax) + 8, class: "chart-tick", "text-anchor": "end" }, stackMax),
      svg("text", { x: left - 4, y: y(0), class: "chart-tick", "text-anchor": "end" }, 0), bars, xLabels)
      : h("p", { class: "muted" }, t("dash.no_data")),
    h("ul", { class: "legend" }, keys.map((k) => h("li", {}, h("span", { class: "swatch", style: `background:${color(k)}` }),
                                                   `${labelKey(k)} (${totals.get(k)})`))));
}

function labelKey(k) {
  if (!k) return t("common.none");
  for (const kind of ["type", "system", "state"]) if (STRINGS[lang][`${kind}.${k}`]) return t(`${kind}.${k}`);
  return k;
}

const DAY_MS = 24 * 3600 * 1000;

/// Day starts, or ISO week starts (Monday 00:00), of the clock `offset` ms ahead of UTC, covering
/// [from, to): analytics' buckets.
function bucketStarts({ from, to, bucket, offset = 0 }) {
  if (!(from < to)) return [];
  const step = bucket === "week" ? 7 * DAY_MS : DAY_MS;
  const monday = 4 * DAY_MS;  // 1970-01-01 was a Thursday; the first Monday was 1970-01-05
  const local = from + offset;
  const first = (bucket === "week" ? Math.floor((local - monday) / step) * step + monday
                                   : Math.floor(local / step) * step) - offset;
  const out = [];
  for (let b = first; b < to && out.length < 400; b += step) out.push(b);
  return out;
}
