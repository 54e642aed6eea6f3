// The pfopt page: picks a universe from the price store, runs a frontier job with live
// WebSocket progress (polling the status URL when the socket cannot connect), and shows the
// frontier, the selected portfolio, its risk contributions and the run history.
// Rates and weights travel as decimals; the form shows them in percent.

const $ = (id) => document.getElementById(id);
const FINAL = ["done", "failed", "cancelled"];
const state = {
  tickers: [],        // [{ticker, sector, first, last, rows}]
  selected: new Set(),
  run: null,          // {result, tickers, id}
  point: null,        // the selected frontier point
  risk: {},           // ticker -> percent of variance
  sort: { key: "weight", descending: true },
  job: null,          // {sessionId, socket, poll, cancelled}
  key: sessionStorage.getItem("pfopt-key") || "", // only when the server requires API keys
};

window.pfopt = state; // read-only view for the browser tests and the console

const pct = (x, digits = 2) => (x == null ? "n/a" : `${(100 * x).toFixed(digits)} %`);
const num = (id) => {
  const raw = $(id).value.trim();
  return raw === "" ? null : Number(raw);
};

// ---------- errors next to their fields ----------

const FIELD_INPUT = {
  tickers: "ticker-list", max_weight: "max-weight", min_weight: "min-weight",
  leverage: "leverage", points: "points", risk_free_rate: "risk-free",
  sector_limits: "sector-limits", prices: "csv-text", name: "portfolio-name", target: "target",
  authorization: "api-key",
};

function clearErrors(scope = document) {
  scope.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
  scope.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
}

function showError(field, detail) {
  const key = field && $(`error-${field}`) ? field : "general";
  $(`error-${key}`).textContent = detail;
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
  if (["tickers", "portfolio_id", "start", "end", "estimation", "returns"].includes(field)) {
    return "tickers";
  }
  return field;
}

async function api(method, url, body, contentType = "application/json") {
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

function requestFromForm(sessionId) {
  return {
    tickers: [...state.selected].sort(),
    points: num("points") ?? 25,
    risk_free_rate: (num("risk-free") ?? 0) / 100,
    session_id: sessionId,
    constraints: constraintsFromForm(),
    estimation: { covariance: $("covariance").value },
  };
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
  return true;
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
      return;
    }
    const doc = await api("GET", `/api/optimize/efficient-frontier/${job.sessionId}`);
    setProgress(doc.total, doc.total);
    showRun(doc.result, doc.optimization_id);
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

function topWeights(weights, k = 5) {
  return Object.entries(weights || {})
    .filter(([, w]) => Math.abs(w) > 1e-6)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, k);
}

function describe(point) {
  const top = topWeights(point.weights).map(([t, w]) => `${t} ${pct(w, 1)}`).join(", ");
  return `Return ${pct(point.expected_return)}, volatility ${pct(point.volatility)}, Sharpe ${point.sharpe == null ? "n/a" : point.sharpe.toFixed(3)}. Top weights: ${top}`;
}

function showRun(result, id) {
  const points = result.points.filter((p) => p.weights);
  state.run = { result, id, points };
  $("results-empty").hidden = true;
  const hover = (p) => `Return ${pct(p.expected_return)}<br>Volatility ${pct(p.volatility)}<br>Sharpe ${p.sharpe == null ? "n/a" : p.sharpe.toFixed(3)}<br>${topWeights(p.weights).map(([t, w]) => `${t}: ${pct(w, 1)}`).join("<br>")}`;
  const traces = [
    {
      name: "Frontier", mode: "lines+markers", type: "scatter",
      x: points.map((p) => p.volatility), y: points.map((p) => p.expected_return),
      text: points.map(hover), hoverinfo: "text", marker: { size: 8, color: "#1f5fbf" },
    },
    {
      name: "Assets", mode: "markers+text", type: "scatter",
      x: result.assets.volatilities, y: result.assets.expected_returns,
      text: result.assets.tickers, textposition: "top center", hoverinfo: "text+x+y",
      marker: { size: 7, color: "#9aa3b2" },
    },
  ];
  for (const [key, label, color, symbol] of [["max_sharpe", "Max Sharpe", "#c0392b", "star"], ["min_variance", "Min variance", "#1e8449", "diamond"]]) {
    const p = result[key];
    if (p && p.weights) {
      traces.push({
        name: label, mode: "markers", type: "scatter", x: [p.volatility], y: [p.expected_return],
        text: [hover(p)], hoverinfo: "text", marker: { size: 15, color, symbol },
      });
    }
  }
  const layout = {
    margin: { l: 60, r: 10, t: 10, b: 45 },
    xaxis: { title: { text: "Volatility (annual)" }, tickformat: ".0%" },
    yaxis: { title: { text: "Expected return (annual)" }, tickformat: ".0%" },
    legend: { orientation: "h", y: -0.2 }, hovermode: "closest",
  };
  const chart = $("frontier-chart");
  Plotly.react(chart, traces, layout, { responsive: true, displaylogo: false });
  chart.removeAllListeners?.("plotly_click");
  chart.removeAllListeners?.("plotly_hover");
  chart.on("plotly_hover", (ev) => {
    const p = pointOf(ev.points[0]);
    if (p) $("hover-info").textContent = describe(p);
  });
  chart.on("plotly_click", (ev) => {
    const p = pointOf(ev.points[0]);
    if (p) selectPoint(p);
  });
  showObjectivePoint();
}

function pointOf(plotted) {
  const { result, points } = state.run;
  if (plotted.curveNumber === 0) return points[plotted.pointNumber];
  const name = plotted.data.name;
  if (name === "Max Sharpe") return result.max_sharpe;
  if (name === "Min variance") return result.min_variance;
  return null;
}

async function showObjectivePoint() {
  // The point the objective names: read off the run for min variance and max Sharpe; a target
  // is solved exactly by the server on the run's universe (a grid point is only near it).
  const result = state.run.result;
  const objective = $("objective").value;
  $("error-target").textContent = "";
  $("target").classList.remove("invalid");
  if (objective === "target_return" || objective === "target_risk") {
    const point = await solveTarget(objective, result.assets.tickers);
    if (point) selectPoint(point);
    return;
  }
  selectPoint(objective === "min_variance" ? result.min_variance : result.max_sharpe || result.min_variance);
}

async function solveTarget(kind, tickers) {
  if (num("target") == null) {
    showError("target", "give the target in percent");
    return null;
  }
  const run = state.run;
  const body = {
    tickers,
    objective: { kind, [kind]: num("target") / 100, risk_free_rate: (num("risk-free") ?? 0) / 100 },
    constraints: constraintsFromForm(),
    estimation: { covariance: $("covariance").value },
  };
  try {
    const doc = await api("POST", "/api/optimize/portfolio", body);
    return state.run === run ? { ...doc, target: kind } : null;
  } catch (problem) {
    if (state.run === run) showError("target", problem.detail);
    return null;
  }
}

async function selectPoint(point) {
  state.point = point;
  state.risk = {};
  $("selected-summary").textContent = describe(point);
  ["download-csv", "download-json", "save"].forEach((id) => { $(id).disabled = false; });
  renderWeights();
  const weights = Object.fromEntries(Object.entries(point.weights).filter(([, w]) => Math.abs(w) > 1e-9));
  try {
    const report = await api("POST", "/api/risk/attribution", {
      weights,
      factors: Math.max(1, Math.min(5, Object.keys(weights).length - 1)),
      estimation: { covariance: $("covariance").value },
    });
    if (state.point !== point) return;
    state.risk = Object.fromEntries(Object.entries(report.assets).map(([t, a]) => [t, a.percent]));
    renderWeights();
    renderRisk(report);
  } catch (problem) {
    if (state.point !== point) return;
    Plotly.purge($("risk-chart"));
    $("risk-chart").textContent = `Risk attribution unavailable: ${problem.detail}`;
  }
}

function weightRows() {
  const rows = Object.entries(state.point.weights).map(([ticker, weight]) => ({ ticker, weight, risk: state.risk[ticker] ?? null }));
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
}

function renderRisk(report) {
  const entries = Object.entries(report.assets).sort((a, b) => b[1].percent - a[1].percent);
  const chart = $("risk-chart");
  if (!chart.data) chart.textContent = ""; // a message from an earlier failure, not a plot
  Plotly.react(chart, [{
    type: "bar", x: entries.map(([t]) => t), y: entries.map(([, a]) => a.percent),
    marker: { color: "#1f5fbf" }, hovertemplate: "%{x}: %{y:.1%} of variance<extra></extra>",
  }], {
    margin: { l: 50, r: 10, t: 25, b: 40 },
    title: { text: `Risk contributions (volatility ${pct(report.volatility)})`, font: { size: 13 } },
    yaxis: { tickformat: ".0%" },
  }, { responsive: true, displaylogo: false });
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
  const lines = ["ticker,weight,risk_share", ...weightRows().map((r) => `${csvText(r.ticker)},${r.weight},${r.risk ?? ""}`)];
  download("portfolio.csv", "text/csv", `${lines.join("\n")}\n`);
}

function downloadJson() {
  const p = state.point;
  const doc = { expected_return: p.expected_return, volatility: p.volatility, sharpe: p.sharpe, weights: p.weights, optimization_id: state.run.id };
  download("portfolio.json", "application/json", JSON.stringify(doc, null, 2));
}

async function savePortfolio(event) {
  event.preventDefault();
  clearErrors($("save-form"));
  const name = $("portfolio-name").value.trim();
  if (!name) {
    showError("name", "give the portfolio a name");
    return;
  }
  const constraints = constraintsFromForm();
  try {
    const saved = await api("POST", "/api/portfolios", {
      name, tickers: Object.keys(state.point.weights), constraints,
    });
    $("save-status").textContent = `Saved as "${saved.name}".`;
    await loadPortfolios();
  } catch (problem) {
    showError(problem.status === 409 ? "name" : problem.field, problem.detail);
  }
}

// ---------- history ----------

async function loadHistory() {
  const runs = (await api("GET", "/api/optimizations?limit=30")).filter((r) => r.kind === "frontier");
  $("history-list").replaceChildren(...runs.map((r) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const when = new Date(r.created_at).toLocaleString();
    button.textContent = `${when}: ${r.tickers.length} assets, ${r.points} points`;
    button.title = r.tickers.join(", ");
    button.dataset.id = r.id;
    button.addEventListener("click", () => reopen(r.id));
    li.append(button);
    return li;
  }));
  if (!runs.length) $("history-list").innerHTML = '<li class="muted">No frontier runs yet.</li>';
}

async function reopen(id) {
  clearErrors($("setup"));
  try {
    const record = await api("GET", `/api/optimizations/${id}`);
    state.selected = new Set(record.params.tickers);
    renderTickers();
    showRun(record.results, record.id);
  } catch (problem) {
    showError("general", problem.detail);
  }
}

async function loadPortfolios() {
  const saved = await api("GET", "/api/portfolios");
  $("portfolio-list").replaceChildren(...saved.map((p) => {
    const li = document.createElement("li");
    li.textContent = `${p.name} (${p.tickers.length} assets)`;
    return li;
  }));
  if (!saved.length) $("portfolio-list").innerHTML = '<li class="muted">None saved yet.</li>';
}

// ---------- wiring ----------

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
  $("add-sector-limit").addEventListener("click", addSectorLimit);
  $("setup").addEventListener("submit", runFrontier);
  $("cancel").addEventListener("click", cancelJob);
  $("save-form").addEventListener("submit", savePortfolio);
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-json").addEventListener("click", downloadJson);
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
