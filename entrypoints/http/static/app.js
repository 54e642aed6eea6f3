// The pfopt page: picks a universe from the price store, runs a frontier job with live
// WebSocket progress (polling the status URL when the socket cannot connect), and shows the
// frontier, the selected portfolio, its risk contributions and the run history.
// Rates and weights travel as decimals; the form shows them in percent, and so do the errors:
// the server writes a share as "0.6 (60 %)" and the page keeps the percent alone.

const $ = (id) => document.getElementById(id);
const FINAL = ["done", "failed", "cancelled"];
const state = {
  tickers: [],        // [{ticker, sector, first, last, rows}]
  selected: new Set(),
  run: null,          // {result, params, id, points: [{index, point}], selectedTrace}
  point: null,        // the selected portfolio (a frontier point or an exact target solve)
  selection: "",      // its name: "Max Sharpe", "Frontier point 3 of 25", ...
  showZero: false,    // list the assets at 0 % too
  compare: new Map(), // history id -> {label, result}: frontiers drawn beside the current one
  portfolio: null,    // the saved portfolio opened in the form, if any
  risk: {},           // ticker -> percent of variance
  sort: { key: "weight", descending: true },
  job: null,          // {sessionId, socket, poll, cancelled}
  key: sessionStorage.getItem("pfopt-key") || "", // only when the server requires API keys
};

window.pfopt = state; // read-only view for the browser tests and the console

const pct = (x, digits = 2) => (x == null ? "n/a" : `${(100 * x).toFixed(digits)} %`);
const SHARE = /(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?) \((-?\d+(?:\.\d+)?(?:e[-+]?\d+)?) %\)/g;
const pageUnits = (detail) => String(detail ?? "").replace(SHARE, "$2 %");
const num = (id) => {
  const raw = $(id).value.trim();
  return raw === "" ? null : Number(raw);
};

// ---------- errors next to their fields ----------

const FIELD_INPUT = {
  tickers: "ticker-list", max_weight: "max-weight", min_weight: "min-weight",
  leverage: "leverage", points: "points", risk_free_rate: "risk-free",
  sector_limits: "sector-limits", prices: "csv-text", name: "portfolio-name", target: "target",
  authorization: "api-key", start: "start", end: "end",
};

function clearErrors(scope = document) {
  scope.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
  scope.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
}

function showError(field, detail) {
  const key = field && $(`error-${field}`) ? field : "general";
  $(`error-${key}`).textContent = pageUnits(detail);
  const input = FIELD_INPUT[key] && $(FIELD_INPUT[key]);
  if (input) {
    input.classList.add("invalid");
    input.setAttribute("aria-describedby", `error-${key}`);
  }
}

function fieldOf(problem) {
  // The server names the field; group-limit and sector errors come as "sectors"/"group".
  const field = problem.field || "";
  if (field.startsWith("sector") || field.startsWith("group")) return "sector_limits";
  if (field.startsWith("bounds") || field === "weights") return "max_weight";
  if (["tickers", "portfolio_id", "estimation", "returns"].includes(field)) return "tickers";
  if (field === "target_return" || field === "target_risk") return "target";
  return field;
}

async function api(method, url, body, contentType = "application/json", as = "json") {
  const options = { method, headers: {} };
  if (state.key) options.headers.authorization = `Bearer ${state.key}`;
  if (body !== undefined) {
    options.body = contentType === "application/json" ? JSON.stringify(body) : body;
    options.headers["content-type"] = contentType;
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw { field: "general", detail: `the server could not be reached (${error.message})` };
  }
  const text = await response.text();
  if (as === "text" && response.ok) return text;
  let doc = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = { detail: `${response.status} ${response.statusText} from the server (not JSON)` };
  }
  if (response.status === 401) {
    $("key-form").hidden = false;
    $("api-key").focus();
  }
  if (!response.ok) {
    throw { field: fieldOf(doc || {}), detail: (doc && doc.detail) || response.statusText, status: response.status };
  }
  return doc;
}

// ---------- universe ----------

async function loadTickers() {
  state.tickers = await api("GET", "/api/tickers");
  const sectors = [...new Set(state.tickers.map((t) => t.sector).filter(Boolean))].sort();
  const filter = $("sector-filter");
  const chosen = filter.value;
  filter.replaceChildren(new Option("All sectors", ""), ...sectors.map((s) => new Option(s, s)));
  filter.value = sectors.includes(chosen) ? chosen : "";
  $("store-note").textContent = state.tickers.length
    ? `${state.tickers.length} tickers in the price store`
    : "The price store is empty: upload a CSV below.";
  renderTickers();
  renderSectorOptions();
}

function visibleTickers() {
  const query = $("ticker-search").value.trim().toUpperCase();
  const sector = $("sector-filter").value;
  return state.tickers.filter((t) => (!query || t.ticker.toUpperCase().includes(query)) && (!sector || t.sector === sector));
}

function renderTickers() {
  const list = $("ticker-list");
  list.replaceChildren(...visibleTickers().map((t) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "ticker";
    box.value = t.ticker;
    box.checked = state.selected.has(t.ticker);
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(t.ticker); else state.selected.delete(t.ticker);
      updateCount();
    });
    const small = document.createElement("small");
    small.textContent = t.sector || "";
    label.append(box, ` ${t.ticker} `, small);
    label.title = `${t.ticker}: ${t.rows} prices, ${t.first} to ${t.last}`;
    return label;
  }));
  updateCount();
}

function updateCount() {
  $("ticker-count").textContent = `${state.selected.size} selected`;
}

async function uploadCsv() {
  clearErrors($("csv-box"));
  const file = $("csv-file").files[0];
  const text = file ? await file.text() : $("csv-text").value;
  if (!text.trim()) {
    showError("prices", "paste CSV text or choose a file first");
    return;
  }
  try {
    const report = await api("POST", "/api/prices", text, "text/csv");
    report.tickers.forEach((t) => state.selected.add(t));
    await loadTickers();
    $("csv-status").textContent = `Stored ${report.rows} prices for ${report.tickers.length} tickers (${report.first} to ${report.last}); they are selected.`;
  } catch (problem) {
    showError("prices", problem.detail);
  }
}

// ---------- constraints ----------

function sectorsOfSelection() {
  const bySector = {};
  for (const t of state.tickers) if (state.selected.has(t.ticker) && t.sector) bySector[t.ticker] = t.sector;
  return bySector;
}

function renderSectorOptions() {
  const sectors = [...new Set(state.tickers.map((t) => t.sector).filter(Boolean))].sort();
  document.querySelectorAll(".sector-limit select").forEach((select) => {
    const value = select.value;
    select.replaceChildren(...sectors.map((s) => new Option(s, s)));
    if (sectors.includes(value)) select.value = value;
  });
}

function addSectorLimit() {
  const row = document.createElement("div");
  row.className = "sector-limit";
  const n = document.querySelectorAll(".sector-limit").length + 1;
  row.innerHTML = `
    <div><label for="sl-sector-${n}">Sector</label><select id="sl-sector-${n}"></select></div>
    <div><label for="sl-min-${n}">Min %</label><input id="sl-min-${n}" type="number" step="any"></div>
    <div><label for="sl-max-${n}">Max %</label><input id="sl-max-${n}" type="number" step="any"></div>
    <button type="button" aria-label="Remove this sector limit">✕</button>`;
  row.querySelector("button").addEventListener("click", () => row.remove());
  $("sector-limits").append(row);
  renderSectorOptions();
  return row;
}

function constraintsFromForm() {
  const shorts = document.querySelector('input[name="positions"]:checked').value === "short";
  const asDecimal = (x) => (x == null ? null : x / 100);
  const out = { long_only: !shorts };
  const min = asDecimal(num("min-weight"));
  const max = asDecimal(num("max-weight"));
  if (min != null) out.min_weight = min;
  if (max != null) out.max_weight = max;
  if (shorts && num("leverage") != null) out.leverage = num("leverage");
  const limits = {};
  document.querySelectorAll(".sector-limit").forEach((row) => {
    const [select, lo, hi] = row.querySelectorAll("select, input");
    if (!select.value) return;
    limits[select.value] = [asDecimal(lo.value === "" ? null : Number(lo.value)), asDecimal(hi.value === "" ? null : Number(hi.value))];
  });
  if (Object.keys(limits).length) {
    out.sector_limits = limits;
    out.sectors = sectorsOfSelection();
  }
  return out;
}

function windowFromForm() {
  const out = {};
  if ($("start").value) out.start = $("start").value;
  if ($("end").value) out.end = $("end").value;
  return out;
}

function requestFromForm(sessionId) {
  return {
    tickers: [...state.selected].sort(),
    points: num("points") ?? 25,
    risk_free_rate: (num("risk-free") ?? 0) / 100,
    session_id: sessionId,
    constraints: constraintsFromForm(),
    estimation: { covariance: $("covariance").value },
    ...windowFromForm(),
  };
}

// Percent fields checked in percent before anything is sent, so a mistake is worded in the
// units the user typed.
function checkPercents() {
  const shorts = document.querySelector('input[name="positions"]:checked').value === "short";
  const low = shorts ? -100 : 0;
  const checks = [
    ["min_weight", num("min-weight"), low, 100, `min weight is a percent of the portfolio: give ${low} to 100`],
    ["max_weight", num("max-weight"), -100, 100, "max weight is a percent of the portfolio: give at most 100 (30 means 30 %)"],
    ["risk_free_rate", num("risk-free"), -100, 100, "the risk-free rate is a percent a year (4 means 4 %): give -100 to 100"],
    ["target", $("target").disabled ? null : num("target"), -1000, 1000, "the target is a percent a year (12 means 12 %)"],
  ];
  for (const [field, value, lo, hi, message] of checks) {
    if (value != null && (!Number.isFinite(value) || value < lo || value > hi)) {
      showError(field, message);
      return false;
    }
  }
  if (!shorts && num("max-weight") != null && num("max-weight") <= 0) {
    showError("max_weight", "max weight must be above 0 % for a long-only portfolio");
    return false;
  }
  for (const row of document.querySelectorAll(".sector-limit")) {
    for (const input of row.querySelectorAll("input")) {
      const v = input.value === "" ? null : Number(input.value);
      if (v != null && (!Number.isFinite(v) || v < 0 || v > 100)) {
        showError("sector_limits", `a sector limit is a percent of the portfolio: give 0 to 100, not ${input.value}`);
        return false;
      }
    }
  }
  if ($("start").value && $("end").value && $("start").value > $("end").value) {
    showError("end", "the last date is before the first");
    return false;
  }
  return true;
}

function checkForm() {
  if (state.selected.size < 2) {
    showError("tickers", "choose at least two tickers");
    return false;
  }
  const points = num("points");
  if (points == null || !Number.isInteger(points) || points < 2 || points > 200) {
    showError("points", "points must be a whole number between 2 and 200");
    return false;
  }
  const objective = $("objective").value;
  if ((objective === "target_return" || objective === "target_risk") && num("target") == null) {
    showError("target", "give the target in percent");
    return false;
  }
  return checkPercents();
}

// ---------- the frontier job ----------

function newSessionId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function setProgress(current, total) {
  const bar = $("progress");
  bar.max = Math.max(total, 1);
  bar.value = current;
  $("progress-text").textContent = `${current}/${total}`;
}

function openSocket(sessionId, onEvent) {
  // Resolves with the open socket, or with null when it cannot connect within 3 s.
  return new Promise((resolve) => {
    let socket;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    try {
      const token = state.key ? `?access_token=${encodeURIComponent(state.key)}` : "";
      socket = new WebSocket(`${scheme}://${location.host}/ws/optimize/progress/${sessionId}${token}`);
    } catch {
      resolve(null);
      return;
    }
    const timer = setTimeout(() => { socket.close(); resolve(null); }, 3000);
    socket.addEventListener("open", () => { clearTimeout(timer); resolve(socket); });
    socket.addEventListener("error", () => { clearTimeout(timer); resolve(null); });
    socket.addEventListener("message", (message) => onEvent(JSON.parse(message.data)));
  });
}

function startPolling(statusUrl, onEvent) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const doc = await api("GET", statusUrl);
      onEvent(doc);
      if (FINAL.includes(doc.status)) return;
    } catch (problem) {
      if (!(problem.status >= 500)) { // a proxy's 502 while the server restarts: keep polling
        onEvent({ status: "failed", error: problem });
        return;
      }
    }
    setTimeout(tick, 300);
  };
  tick();
  return () => { stopped = true; };
}

async function runFrontier(event) {
  event.preventDefault();
  clearErrors($("setup"));
  if (!checkForm() || state.job) return;
  const sessionId = newSessionId();
  const body = requestFromForm(sessionId);
  const job = { sessionId, socket: null, stopPolling: null, ended: false };
  state.job = job;
  $("run").disabled = true;
  $("cancel").disabled = false;
  $("progress-area").hidden = false;
  $("transport-note").textContent = "";
  setProgress(0, body.points);

  const onEvent = (msg) => {
    if (job.ended) return;
    if (msg.total) setProgress(msg.current, msg.total);
    if (FINAL.includes(msg.status)) finish(job, msg);
  };
  job.socket = await openSocket(sessionId, onEvent);
  if (!job.socket) {
    $("transport-note").textContent = "Live updates are unavailable (the WebSocket could not connect); following the job by polling its status instead.";
  } else {
    job.socket.addEventListener("close", () => {
      if (!job.ended && !job.stopPolling) {
        $("transport-note").textContent = "The live connection closed early; following the job by polling its status instead.";
        job.stopPolling = startPolling(`/api/optimize/efficient-frontier/${sessionId}`, onEvent);
      }
    });
  }
  try {
    const accepted = await api("POST", "/api/optimize/efficient-frontier", body);
    if (!job.socket && !job.stopPolling) job.stopPolling = startPolling(accepted.status_url, onEvent);
  } catch (problem) {
    finish(job, { status: "failed", error: problem });
  }
}

async function finish(job, msg) {
  // The form is released only once the outcome is on the page.
  job.ended = true;
  if (job.stopPolling) job.stopPolling();
  if (job.socket && job.socket.readyState <= 1) job.socket.close();
  try {
    if (msg.status === "failed") {
      const problem = msg.error || {};
      showError(fieldOf(problem), problem.detail || "the job failed");
      return;
    }
    if (msg.status === "cancelled") {
      $("transport-note").textContent = "Cancelled.";
      await loadHistory();
      return;
    }
    const doc = await api("GET", `/api/optimize/efficient-frontier/${job.sessionId}`);
    setProgress(doc.total, doc.total);
    // The run as history keeps it: its parameters (what the page saves) beside its result.
    const record = await api("GET", `/api/optimizations/${doc.optimization_id}`);
    showRecord(record);
    await loadHistory();
  } catch (problem) {
    showError(problem.field, problem.detail);
  } finally {
    state.job = null;
    $("run").disabled = false;
    $("cancel").disabled = true;
  }
}

async function cancelJob() {
  if (!state.job) return;
  $("cancel").disabled = true;
  try {
    await api("DELETE", `/api/optimize/efficient-frontier/${state.job.sessionId}`);
  } catch (problem) {
    showError(problem.field, problem.detail);
  }
}

// ---------- results ----------

const LABELLED_ASSETS = 25; // more asset labels than this are a cloud: hover shows the rest
const RISK_BARS = 25;

function topWeights(weights, k = 5) {
  return Object.entries(weights || {})
    .filter(([, w]) => Math.abs(w) > 1e-6)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, k);
}

function sharpeText(point) {
  return point.sharpe == null ? "n/a" : point.sharpe.toFixed(3);
}

function describe(point) {
  const top = topWeights(point.weights).map(([t, w]) => `${t} ${pct(w, 1)}`).join(", ");
  return `Return ${pct(point.expected_return)}, volatility ${pct(point.volatility)}, Sharpe ${sharpeText(point)}. Top weights: ${top}`;
}

function hoverText(p) {
  return `Return ${pct(p.expected_return)}<br>Volatility ${pct(p.volatility)}<br>Sharpe ${sharpeText(p)}<br>${topWeights(p.weights).map(([t, w]) => `${t}: ${pct(w, 1)}`).join("<br>")}`;
}

function sourceText(params) {
  const source = params?.source;
  if (!source || source === "store") return "stored prices";
  if (source === "inline") return "the caller's own risk model";
  return `the file ${source}`;
}

function renderRunInfo(record) {
  const { results: result, params } = record;
  const w = result.window;
  const tickers = result.assets?.tickers || params?.tickers || [];
  $("run-window").textContent = w
    ? `Estimated on ${w.n_observations} daily returns, ${w.start} to ${w.end}, from ${sourceText(params)} (${tickers.length} assets).`
    : `From ${sourceText(params)} (${tickers.length} assets).`;
  const items = [
    ...(result.warnings || []).map((text) => ["warning", text]),
    ...(result.notes || []).map((text) => ["note", text]),
  ];
  if (result.status && result.status !== "complete") {
    const drawn = result.points.filter((p) => p.weights).length;
    items.unshift(["warning", `This run is ${result.status}: ${drawn} of ${result.points.length} points were computed.`]);
  }
  if (record.missing?.length) {
    items.push(["warning", `${record.missing.length} of its tickers (${record.missing.slice(0, 5).join(", ")}${record.missing.length > 5 ? ", ..." : ""}) are not in the price store: it can be viewed here, but rerunning or attributing it needs their prices uploaded.`]);
  }
  $("run-messages").replaceChildren(...items.map(([kind, text]) => {
    const li = document.createElement("li");
    li.className = kind;
    li.textContent = `${kind === "warning" ? "Warning" : "Note"}: ${pageUnits(text)}`;
    return li;
  }));
  $("run-info").hidden = false;
}

function showRecord(record) {
  // A run as history keeps it (a job just finished, or one reopened): its result, its settings.
  const result = record.results;
  state.run = {
    result,
    params: record.params,
    id: record.id,
    points: result.points.map((point, index) => ({ index, point })).filter((x) => x.point.weights),
  };
  $("results-empty").hidden = true;
  $("download-points").disabled = false;
  renderRunInfo(record);
  drawFrontier();
  renderHistoryMarks();
  showObjectivePoint();
}

function drawFrontier() {
  const run = state.run;
  if (!run) return;
  const { result, points } = run;
  const frontier = points.map((x) => x.point);
  const manyAssets = result.assets.tickers.length > LABELLED_ASSETS;
  const traces = [
    {
      name: "Frontier", mode: "lines+markers", type: "scatter",
      x: frontier.map((p) => p.volatility), y: frontier.map((p) => p.expected_return),
      text: frontier.map(hoverText), hoverinfo: "text",
      marker: {
        size: 8, color: frontier.map((p) => p.sharpe ?? 0), colorscale: "Viridis",
        showscale: window.innerWidth > 700, colorbar: { title: { text: "Sharpe" }, thickness: 10, len: 0.8 },
      },
      line: { color: "#1f5fbf" },
    },
    {
      name: manyAssets ? `Assets (${result.assets.tickers.length}; hover for names)` : "Assets",
      mode: manyAssets ? "markers" : "markers+text", type: "scatter",
      x: result.assets.volatilities, y: result.assets.expected_returns,
      text: result.assets.tickers, textposition: "top center", hoverinfo: "text+x+y",
      marker: { size: manyAssets ? 5 : 7, color: "#9aa3b2" }, textfont: { size: 10 },
    },
  ];
  for (const [key, label, color, symbol] of [["max_sharpe", "Max Sharpe", "#c0392b", "star"], ["min_variance", "Min variance", "#1e8449", "diamond"]]) {
    const p = result[key];
    if (p && p.weights) {
      traces.push({
        name: label, mode: "markers", type: "scatter", x: [p.volatility], y: [p.expected_return],
        text: [hoverText(p)], hoverinfo: "text", marker: { size: 15, color, symbol },
      });
    }
  }
  for (const [id, other] of state.compare) {
    if (id === run.id) continue;
    const drawn = other.result.points.filter((p) => p.weights);
    traces.push({
      name: `Compare: ${other.label}`, mode: "lines", type: "scatter",
      x: drawn.map((p) => p.volatility), y: drawn.map((p) => p.expected_return),
      text: drawn.map(hoverText), hoverinfo: "text", line: { dash: "dash", width: 2 },
    });
  }
  run.selectedTrace = traces.length;
  traces.push({
    name: "Selected", mode: "markers", type: "scatter", x: [], y: [], hoverinfo: "skip",
    marker: { size: 20, color: "rgba(0,0,0,0)", line: { color: "#111", width: 2.5 } },
  });
  const layout = {
    margin: { l: 55, r: 10, t: 10, b: 45 },
    xaxis: { title: { text: "Volatility (annual)" }, tickformat: ".0%", automargin: true },
    yaxis: { title: { text: "Expected return (annual)" }, tickformat: ".0%", automargin: true },
    // above the plot: below it the legend ran into the x-axis title on a phone
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    hovermode: "closest",
  };
  layout.margin.t = 40 + 18 * Math.floor(traces.length / 4);
  const chart = $("frontier-chart");
  Plotly.react(chart, traces, layout, { responsive: true, displaylogo: false, displayModeBar: false });
  chart.removeAllListeners?.("plotly_click");
  chart.removeAllListeners?.("plotly_hover");
  chart.on("plotly_hover", (ev) => {
    const picked = pointOf(ev.points[0]);
    if (picked) $("hover-info").textContent = describe(picked.point);
  });
  chart.on("plotly_click", (ev) => {
    const picked = pointOf(ev.points[0]);
    if (picked) selectPoint(picked.point, picked.label, picked.risk);
  });
  if (state.point) highlight(state.point);
}

function pointOf(plotted) {
  // The portfolio a plotted marker stands for, its name and how to attribute its risk.
  const { result, points, id } = state.run;
  if (plotted.curveNumber === 0) {
    const { index, point } = points[plotted.pointNumber];
    return { point, label: `Frontier point ${index + 1} of ${result.points.length}`, risk: { optimization_id: id, point: index } };
  }
  const name = plotted.data.name;
  if (name === "Max Sharpe") return { point: result.max_sharpe, label: "Max Sharpe", risk: { optimization_id: id, point: "max_sharpe" } };
  if (name === "Min variance") return { point: result.min_variance, label: "Min variance", risk: { optimization_id: id, point: "min_variance" } };
  return null;
}

function highlight(point) {
  const run = state.run;
  if (!run || run.selectedTrace == null) return;
  Plotly.restyle($("frontier-chart"), { x: [[point.volatility]], y: [[point.expected_return]] }, [run.selectedTrace]);
}

async function showObjectivePoint() {
  // The point the objective names: read off the run for min variance and max Sharpe; a target
  // is solved exactly by the server on the run's universe (a grid point is only near it).
  const { result, id } = state.run;
  const objective = $("objective").value;
  $("error-target").textContent = "";
  $("target").classList.remove("invalid");
  if (objective === "target_return" || objective === "target_risk") {
    const doc = await solveTarget(objective, result.assets.tickers);
    if (doc) {
      const word = objective === "target_return" ? "Target return" : "Target risk";
      selectPoint(doc, `${word} ${pct(doc.target)}`, { optimization_id: doc.optimization_id });
    }
    return;
  }
  const offFrontier = { risk_budget: "Risk parity (equal risk contribution)", hrp: "Hierarchical risk parity" };
  if (offFrontier[objective]) {
    const doc = await solveOnServer({ kind: objective, risk_free_rate: (num("risk-free") ?? 0) / 100 }, result.assets.tickers, "general");
    if (doc) selectPoint(doc, offFrontier[objective], { optimization_id: doc.optimization_id });
    return;
  }
  if (objective === "max_sharpe" && result.max_sharpe?.weights) {
    selectPoint(result.max_sharpe, "Max Sharpe", { optimization_id: id, point: "max_sharpe" });
    return;
  }
  const label = objective === "max_sharpe" ? "Min variance (this run has no max-Sharpe portfolio)" : "Min variance";
  selectPoint(result.min_variance, label, { optimization_id: id, point: "min_variance" });
}

async function solveTarget(kind, tickers) {
  if (num("target") == null) {
    showError("target", "give the target in percent");
    return null;
  }
  if (!checkPercents()) return null;
  const value = num("target") / 100;
  const doc = await solveOnServer({ kind, [kind]: value, risk_free_rate: (num("risk-free") ?? 0) / 100 }, tickers, "target");
  return doc ? { ...doc, target: value } : null;
}

async function solveOnServer(objective, tickers, errorField) {
  // A portfolio the frontier does not list, solved exactly by the server on the run's universe.
  const run = state.run;
  const body = {
    tickers,
    objective,
    constraints: constraintsFromForm(),
    estimation: { covariance: $("covariance").value },
    ...windowFromForm(),
  };
  try {
    const doc = await api("POST", "/api/optimize/portfolio", body);
    return state.run === run ? doc : null;
  } catch (problem) {
    if (state.run === run) showError(errorField, problem.detail);
    return null;
  }
}

async function selectPoint(point, label, riskBody) {
  state.point = point;
  state.selection = label;
  state.risk = {};
  $("selected-title").textContent = `Selected portfolio: ${label}`;
  $("selected-summary").textContent = describe(point);
  ["download-csv", "download-json", "save"].forEach((id) => { $(id).disabled = false; });
  highlight(point);
  renderWeights();
  const held = Object.values(point.weights).filter((w) => Math.abs(w) > 1e-9).length;
  try {
    // Attributed on the run's own model (all its assets, its window, its methods), so the
    // volatility here is the run's.
    const report = await api("POST", "/api/risk/attribution", { ...riskBody, factors: Math.max(1, Math.min(5, held - 1)) });
    if (state.point !== point) return;
    state.risk = Object.fromEntries(Object.entries(report.assets).map(([t, a]) => [t, a.percent]));
    renderWeights();
    renderRisk(report);
  } catch (problem) {
    if (state.point !== point) return;
    Plotly.purge($("risk-chart"));
    $("risk-chart").textContent = `Risk attribution unavailable: ${pageUnits(problem.detail)}`;
  }
}

function weightRows(all = false) {
  const rows = Object.entries(state.point.weights)
    .filter(([, weight]) => all || state.showZero || Math.abs(weight) > 1e-9)
    .map(([ticker, weight]) => ({ ticker, weight, risk: state.risk[ticker] ?? null }));
  const { key, descending } = state.sort;
  rows.sort((a, b) => {
    const x = a[key] ?? -Infinity;
    const y = b[key] ?? -Infinity;
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return descending ? -order : order;
  });
  return rows;
}

function renderWeights() {
  const body = $("weights-table").querySelector("tbody");
  body.replaceChildren(...weightRows().map((row) => {
    const tr = document.createElement("tr");
    for (const [text, numeric] of [[row.ticker, false], [pct(row.weight), true], [row.risk == null ? "" : pct(row.risk, 1), true]]) {
      const td = document.createElement("td");
      td.textContent = text; // data, never markup: tickers come from shared uploads
      if (numeric) td.className = "num";
      tr.append(td);
    }
    return tr;
  }));
  document.querySelectorAll("#weights-table th").forEach((th) => {
    const key = th.querySelector("button").dataset.sort;
    th.setAttribute("aria-sort", key === state.sort.key ? (state.sort.descending ? "descending" : "ascending") : "none");
  });
  const zero = Object.values(state.point.weights).filter((w) => Math.abs(w) <= 1e-9).length;
  const toggle = $("toggle-zero");
  toggle.hidden = zero === 0;
  toggle.textContent = state.showZero ? `Hide the ${zero} assets at 0 %` : `Show the ${zero} assets at 0 %`;
}

function renderRisk(report) {
  const all = Object.entries(report.assets).filter(([t]) => Math.abs(state.point.weights[t] ?? 0) > 1e-9 || Math.abs(report.assets[t].percent) > 1e-9);
  const entries = all.sort((a, b) => b[1].percent - a[1].percent).slice(0, RISK_BARS);
  const rest = all.length - entries.length;
  const chart = $("risk-chart");
  if (!chart.data) chart.textContent = ""; // a message from an earlier failure, not a plot
  const kept = rest > 0 ? ` (top ${entries.length} of ${all.length} holdings)` : "";
  Plotly.react(chart, [{
    type: "bar", x: entries.map(([t]) => t), y: entries.map(([, a]) => a.percent),
    marker: { color: entries.map(([, a]) => (a.percent < 0 ? "#c0392b" : "#1f5fbf")) },
    hovertemplate: "%{x}: %{y:.1%} of variance<extra></extra>",
  }], {
    margin: { l: 50, r: 10, t: 30, b: 40 },
    title: { text: `Risk contributions: volatility ${pct(report.volatility)}${kept}`, font: { size: 13 }, x: 0, xanchor: "left" },
    yaxis: { tickformat: ".0%", automargin: true },
    xaxis: { automargin: true },
  }, { responsive: true, displaylogo: false, displayModeBar: false });
  chart.dataset.volatility = String(report.volatility);
}

function download(name, type, text) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

// A text cell as a spreadsheet shows it: a formula-like start (= + - @) gets a leading quote,
// and a comma, quote or newline puts the cell in quotes (as entrypoints/exports.py writes them).
function csvText(text) {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function downloadCsv() {
  // Every asset of the run, those at 0 % included, whatever the table shows.
  const lines = ["ticker,weight,risk_share", ...weightRows(true).map((r) => `${csvText(r.ticker)},${r.weight},${r.risk ?? ""}`)];
  download("portfolio.csv", "text/csv", `${lines.join("\n")}\n`);
}

function downloadJson() {
  const p = state.point;
  const doc = {
    selection: state.selection, expected_return: p.expected_return, volatility: p.volatility,
    sharpe: p.sharpe, weights: p.weights, optimization_id: p.optimization_id || state.run.id,
    window: state.run.result.window, warnings: state.run.result.warnings,
  };
  download("portfolio.json", "application/json", JSON.stringify(doc, null, 2));
}

async function downloadPoints(id = state.run?.id) {
  // Every point of the run with its metrics and weights, as the API's CSV export writes them.
  try {
    const text = await api("GET", `/api/optimizations/${id}?format=csv`, undefined, undefined, "text");
    download(`frontier-${id.slice(0, 8)}.csv`, "text/csv", text);
  } catch (problem) {
    showError("general", problem.detail);
  }
}

function settingsFromForm() {
  const params = state.run?.params || {};
  const target = num("target");
  const objective = $("objective").value;
  return {
    objective,
    target: (objective === "target_return" || objective === "target_risk") && target != null ? target / 100 : null,
    risk_free_rate: params.risk_free_rate ?? (num("risk-free") ?? 0) / 100,
    points: params.points ?? num("points") ?? 25,
    estimation: params.estimation || { covariance: $("covariance").value },
    start: params.start ?? ($("start").value || null),
    end: params.end ?? ($("end").value || null),
  };
}

async function savePortfolio(event) {
  event.preventDefault();
  clearErrors($("save-form"));
  const name = $("portfolio-name").value.trim();
  if (!name) {
    showError("name", "give the portfolio a name");
    return;
  }
  const run = state.run;
  const tickers = run.result.assets.tickers;
  const known = Object.fromEntries(state.tickers.map((t) => [t.ticker, t.sector]));
  const body = {
    name,
    tickers,
    sectors: Object.fromEntries(tickers.filter((t) => known[t]).map((t) => [t, known[t]])),
    constraints: run.params?.constraints || constraintsFromForm(),
    target_weights: state.point.weights,
    settings: settingsFromForm(),
  };
  const updating = state.portfolio && state.portfolio.name === name;
  try {
    const saved = updating
      ? await api("PUT", `/api/portfolios/${state.portfolio.id}`, body)
      : await api("POST", "/api/portfolios", body);
    state.portfolio = saved;
    $("save-status").textContent = `${updating ? "Updated" : "Saved as"} "${saved.name}" with the ${state.selection} weights as targets.`;
    await loadPortfolios();
  } catch (problem) {
    showError(problem.status === 409 ? "name" : problem.field, problem.detail);
  }
}

// ---------- the form from a run or a saved portfolio ----------

function fillConstraints(c) {
  const shorts = c.long_only === false;
  document.querySelector(`input[name="positions"][value="${shorts ? "short" : "long"}"]`).checked = true;
  $("leverage").disabled = !shorts;
  if (shorts && c.leverage != null) $("leverage").value = c.leverage;
  const asPercent = (x) => (x == null ? "" : String(+(x * 100).toPrecision(12)));
  $("min-weight").value = asPercent(c.min_weight);
  $("max-weight").value = asPercent(c.max_weight);
  $("sector-limits").replaceChildren();
  for (const [sector, [lo, hi]] of Object.entries(c.sector_limits || {})) {
    const row = addSectorLimit();
    const [select, min, max] = row.querySelectorAll("select, input");
    if (![...select.options].some((o) => o.value === sector)) select.append(new Option(sector, sector));
    select.value = sector;
    min.value = asPercent(lo);
    max.value = asPercent(hi);
  }
}

function fillSettings(s) {
  if (s.risk_free_rate != null) $("risk-free").value = String(+(s.risk_free_rate * 100).toPrecision(12));
  if (s.points != null) $("points").value = s.points;
  if (s.estimation?.covariance) $("covariance").value = s.estimation.covariance;
  $("start").value = s.start || "";
  $("end").value = s.end || "";
  if (s.objective) {
    $("objective").value = s.objective;
    const targeted = s.objective === "target_return" || s.objective === "target_risk";
    $("target").disabled = !targeted;
    $("target").value = targeted && s.target != null ? String(+(s.target * 100).toPrecision(12)) : "";
  }
}

function selectStored(tickers) {
  // The tickers the store has; the others are returned, to say so.
  const stored = new Set(state.tickers.map((t) => t.ticker));
  state.selected = new Set(tickers.filter((t) => stored.has(t)));
  renderTickers();
  return tickers.filter((t) => !stored.has(t));
}

// ---------- history ----------

function historyLabel(r) {
  return new Date(r.created_at).toLocaleString();
}

async function loadHistory() {
  const runs = await api("GET", "/api/optimizations?kind=frontier&limit=30");
  state.history = runs;
  $("history-list").replaceChildren(...runs.map((r) => {
    const li = document.createElement("li");
    li.className = "history-item";
    li.dataset.id = r.id;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    const status = document.createElement("span");
    status.className = `status-${r.status}`;
    status.textContent = r.status;
    open.append(`${historyLabel(r)} · `, status);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${r.tickers.length} assets from ${r.source === "store" ? "the store" : r.source} · ${r.points} points`;
    const metrics = document.createElement("span");
    metrics.className = "meta";
    metrics.textContent = r.sharpe == null
      ? "no max-Sharpe portfolio"
      : `Max Sharpe ${r.sharpe.toFixed(3)}: return ${pct(r.expected_return)}, volatility ${pct(r.volatility)}`;
    open.append(meta, metrics);
    open.title = r.tickers.join(", ");
    open.addEventListener("click", () => reopen(r.id));
    const actions = document.createElement("div");
    actions.className = "row-actions";
    const compare = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "compare";
    box.checked = state.compare.has(r.id);
    box.addEventListener("change", () => toggleCompare(r, box.checked));
    compare.append(box, "Compare");
    const points = document.createElement("button");
    points.type = "button";
    points.textContent = "Points CSV";
    points.addEventListener("click", () => downloadPoints(r.id));
    actions.append(compare, points);
    li.append(open, actions);
    return li;
  }));
  if (!runs.length) $("history-list").innerHTML = '<li class="muted">No frontier runs yet.</li>';
  renderHistoryMarks();
}

function renderHistoryMarks() {
  document.querySelectorAll("#history-list .history-item").forEach((li) => {
    const current = state.run && li.dataset.id === state.run.id;
    li.querySelector(".open").setAttribute("aria-current", current ? "true" : "false");
    li.querySelector(".compare").disabled = Boolean(current);
  });
}

async function toggleCompare(summary, on) {
  if (!on) {
    state.compare.delete(summary.id);
  } else {
    try {
      const record = await api("GET", `/api/optimizations/${summary.id}`);
      state.compare.set(summary.id, { label: historyLabel(summary), result: record.results });
    } catch (problem) {
      showError("general", problem.detail);
      return;
    }
  }
  drawFrontier();
}

async function reopen(id) {
  clearErrors($("setup"));
  try {
    const record = await api("GET", `/api/optimizations/${id}`);
    const params = record.params || {};
    record.missing = selectStored(params.tickers || record.results.assets.tickers);
    fillConstraints(params.constraints || {});
    fillSettings({ ...params, objective: null });
    showRecord(record);
  } catch (problem) {
    showError("general", problem.detail);
  }
}

async function loadPortfolios() {
  const saved = await api("GET", "/api/portfolios");
  $("portfolio-list").replaceChildren(...saved.map((p) => {
    const li = document.createElement("li");
    const text = document.createElement("span");
    const targets = Object.keys(p.target_weights || {}).length ? ", target weights" : "";
    text.textContent = `${p.name} (${p.tickers.length} assets${targets})`;
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Open";
    open.setAttribute("aria-label", `Open ${p.name}`);
    open.addEventListener("click", () => openPortfolio(p));
    li.append(text, open);
    return li;
  }));
  if (!saved.length) $("portfolio-list").innerHTML = '<li class="muted">None saved yet.</li>';
}

function openPortfolio(p) {
  // Into the form, to rerun it or change it; saving under the same name updates it.
  clearErrors();
  state.portfolio = p;
  const missing = selectStored(p.tickers);
  fillConstraints(p.constraints || {});
  if (p.settings) fillSettings(p.settings);
  $("portfolio-name").value = p.name;
  $("save").disabled = !state.point;
  const targets = topWeights(p.target_weights || {}, 4).map(([t, w]) => `${t} ${pct(w, 1)}`).join(", ");
  const lacking = missing.length ? ` ${missing.length} of its tickers are not in the price store (${missing.join(", ")}).` : "";
  $("save-status").textContent = `Opened "${p.name}": press Run to rerun it; saving under this name updates it.${targets ? ` Its targets: ${targets}.` : ""}${lacking}`;
  $("run-hint").textContent = `"${p.name}" is in the form`;
}

// ---------- wiring ----------

// ---------- rebalancing ----------

const REBALANCE_FIELDS = ["holdings", "cash", "turnover", "max_trade", "cost_bps", "value", "whole_shares", "prices", "rebalance", "shares", "benchmark"];

function holdingsFromText() {
  // "TICKER 20" (percent of the book) per line; CASH for the cash. Blank lines are skipped.
  const holdings = {};
  let cash = 0;
  const lines = $("holdings-text").value.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const match = line.match(/^([^\s,=;]+)[\s,=;]+(-?\d+(?:\.\d+)?)\s*%?$/);
    if (!match) throw { detail: `holdings line ${i + 1}: "${line}" is not TICKER PERCENT (e.g. TEC01 20)` };
    const value = Number(match[2]) / 100;
    if (match[1].toUpperCase() === "CASH") cash += value;
    else holdings[match[1]] = (holdings[match[1]] ?? 0) + value;
  }
  return { holdings, cash };
}

function rebalanceRequest() {
  const { holdings, cash } = holdingsFromText();
  const rebalance = { holdings, cash: Math.round(cash * 1e12) / 1e12 };
  if (!Object.keys(holdings).length && !cash) { delete rebalance.holdings; delete rebalance.cash; }
  if (num("turnover") != null) rebalance.turnover = num("turnover") / 100;
  if (num("cost-bps") != null) rebalance.cost_bps = num("cost-bps");
  if (num("book-value") != null) rebalance.value = num("book-value");
  if ($("whole-shares").checked) rebalance.whole_shares = true;
  const kind = $("objective").value;
  const objective = { kind, risk_free_rate: (num("risk-free") ?? 0) / 100 };
  if (kind === "target_return" || kind === "target_risk") objective[kind] = (num("target") ?? 0) / 100;
  return {
    tickers: [...state.selected].sort(),
    objective,
    constraints: constraintsFromForm(),
    estimation: { covariance: $("covariance").value },
    rebalance,
    ...windowFromForm(),
  };
}

async function runRebalance() {
  $("error-rebalance").textContent = "";
  if (!state.selected.size) {
    $("error-rebalance").textContent = "select the assets first (Universe)";
    return;
  }
  if (!checkPercents()) return;
  const cap = num("turnover");
  if (cap != null && (!Number.isFinite(cap) || cap < 0 || cap > 100)) {
    $("error-rebalance").textContent = "the turnover cap is a percent of the book (10 means 10 %): give 0 to 100";
    return;
  }
  let body;
  try {
    body = rebalanceRequest();
  } catch (problem) {
    $("error-rebalance").textContent = problem.detail;
    return;
  }
  $("rebalance-run").disabled = true;
  try {
    const doc = await api("POST", "/api/optimize/portfolio", body);
    state.rebalance = doc;
    renderRebalance(doc);
  } catch (problem) {
    const field = REBALANCE_FIELDS.includes(problem.field) ? `${problem.field}: ` : "";
    $("error-rebalance").textContent = field + pageUnits(problem.detail).replace(/^(\w+): \1: /, "$1: ");
  } finally {
    $("rebalance-run").disabled = false;
  }
}

function rebalanceRows(doc) {
  const r = doc.rebalance;
  const trades = Object.fromEntries(r.trades.map((t) => [t.ticker, t]));
  const shares = Object.fromEntries((r.shares?.rows ?? []).map((row) => [row.ticker, row]));
  return Object.entries(doc.weights)
    .map(([ticker, target]) => {
      const trade = trades[ticker];
      return { ticker, target, current: trade ? trade.weight_from : target, trade, shares: shares[ticker] };
    })
    .filter((row) => Math.abs(row.current) > 1e-9 || Math.abs(row.target) > 1e-9)
    .sort((a, b) => Math.abs(b.trade?.change ?? 0) - Math.abs(a.trade?.change ?? 0) || b.target - a.target);
}

function renderRebalance(doc) {
  const r = doc.rebalance;
  const parts = [
    `Turnover ${pct(r.turnover)}`, `${r.trades.length} trades`, `cost ${(r.cost * 1e4).toFixed(2)} bps`,
    `expected return ${pct(doc.expected_return)} (net of costs ${pct(r.expected_return_net)})`,
    `volatility ${pct(doc.volatility)}`, `Sharpe ${doc.sharpe == null ? "n/a" : doc.sharpe.toFixed(3)}`,
    `${r.names} names`, `solver ${doc.solver}`,
  ];
  if (r.cash_from) parts.splice(1, 0, `cash ${pct(r.cash_from)} invested`);
  if (r.shares) parts.push(`whole shares: ${r.shares.leftover.toFixed(2)} cash left, allocation error ${r.shares.rmse.toFixed(4)}`);
  $("rebalance-summary").textContent = parts.join(" · ");
  const rows = rebalanceRows(doc);
  const body = $("trades-table").querySelector("tbody");
  body.replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    const t = row.trade;
    const cells = [
      [row.ticker, false], [pct(row.current), true], [pct(row.target), true],
      [t ? `${t.change > 0 ? "+" : ""}${(100 * t.change).toFixed(2)} %` : "", true],
      [t ? t.side : "", false], [t ? (t.cost * 1e4).toFixed(2) : "", true],
      [t?.notional == null ? "" : Math.round(t.notional).toLocaleString("en-US"), true],
      [row.shares ? String(row.shares.target) : "", true],
    ];
    for (const [text, numeric] of cells) {
      const td = document.createElement("td");
      td.textContent = text; // data, never markup
      if (numeric) td.className = "num";
      tr.append(td);
    }
    return tr;
  }));
  $("trades-table").hidden = false;
  $("download-trades").disabled = false;
  const tickers = rows.map((row) => row.ticker);
  Plotly.react($("rebalance-chart"), [
    { type: "bar", name: "Current", x: tickers, y: rows.map((row) => row.current), marker: { color: "#9aa5b1" }, hovertemplate: "%{x} now: %{y:.2%}<extra></extra>" },
    { type: "bar", name: "Target", x: tickers, y: rows.map((row) => row.target), marker: { color: "#1f5fbf" }, hovertemplate: "%{x} target: %{y:.2%}<extra></extra>" },
  ], {
    barmode: "group", margin: { l: 50, r: 10, t: 30, b: 40 },
    title: { text: `Current against target (turnover ${pct(r.turnover)})`, font: { size: 13 }, x: 0, xanchor: "left" },
    yaxis: { tickformat: ".0%", automargin: true }, xaxis: { automargin: true },
    legend: { orientation: "h", y: 1.0, yanchor: "bottom", x: 1, xanchor: "right" },
  }, { responsive: true, displaylogo: false, displayModeBar: false });
}

function downloadTrades() {
  const doc = state.rebalance;
  if (!doc) return;
  const lines = ["ticker,current,target,change,side,cost,notional,target_shares"];
  for (const row of rebalanceRows(doc)) {
    const t = row.trade;
    lines.push([csvText(row.ticker), row.current, row.target, t?.change ?? 0, t?.side ?? "", t?.cost ?? 0, t?.notional ?? "", row.shares?.target ?? ""].join(","));
  }
  download("trades.csv", "text/csv", `${lines.join("\n")}\n`);
}

function wire() {
  $("ticker-search").addEventListener("input", renderTickers);
  $("sector-filter").addEventListener("change", renderTickers);
  $("select-visible").addEventListener("click", () => { visibleTickers().forEach((t) => state.selected.add(t.ticker)); renderTickers(); });
  $("clear-selection").addEventListener("click", () => { state.selected.clear(); renderTickers(); });
  $("csv-upload").addEventListener("click", uploadCsv);
  document.querySelectorAll('input[name="positions"]').forEach((radio) => radio.addEventListener("change", () => {
    $("leverage").disabled = document.querySelector('input[name="positions"]:checked').value !== "short";
  }));
  $("objective").addEventListener("change", () => {
    const v = $("objective").value;
    $("target").disabled = !(v === "target_return" || v === "target_risk");
    if (state.run) showObjectivePoint();
  });
  $("target").addEventListener("change", () => { if (state.run) showObjectivePoint(); });
  $("add-sector-limit").addEventListener("click", () => addSectorLimit());
  $("setup").addEventListener("submit", runFrontier);
  $("cancel").addEventListener("click", cancelJob);
  $("save-form").addEventListener("submit", savePortfolio);
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-json").addEventListener("click", downloadJson);
  $("download-points").addEventListener("click", () => downloadPoints());
  $("toggle-zero").addEventListener("click", () => { state.showZero = !state.showZero; renderWeights(); });
  $("rebalance-run").addEventListener("click", runRebalance);
  $("download-trades").addEventListener("click", downloadTrades);
  document.querySelectorAll("#weights-table th button").forEach((button) => button.addEventListener("click", () => {
    const key = button.dataset.sort;
    state.sort = { key, descending: state.sort.key === key ? !state.sort.descending : key !== "ticker" };
    if (state.point) renderWeights();
  }));
}

async function load() {
  clearErrors();
  try {
    await Promise.all([loadTickers(), loadHistory(), loadPortfolios()]);
    $("key-form").hidden = true;
  } catch (problem) {
    showError(problem.field === "authorization" ? "authorization" : "general", problem.detail);
  }
}

async function useKey(event) {
  event.preventDefault();
  state.key = $("api-key").value.trim();
  sessionStorage.setItem("pfopt-key", state.key);
  await load();
}

async function start() {
  wire();
  $("key-form").addEventListener("submit", useKey);
  await load();
  document.body.dataset.ready = "true";
}

start();
