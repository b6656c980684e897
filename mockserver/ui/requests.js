// The request journal as a live table, its filters, and one request's detail.
import { admin, byId, h, pretty, say } from "./dom.js";

const POLL_MS = 400;
const MAX_ROWS = 2000;
const entries = new Map(); // id -> journal entry, oldest first
let lastId = 0;
let selectedId = null;

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** Every operation of the served specs, for the operation filter. */
function operationsOf(specs) {
  const found = [];
  for (const [api, document] of Object.entries(specs)) {
    for (const item of Object.values(document.paths || {})) {
      for (const method of HTTP_METHODS) {
        if (item[method] && item[method].operationId) found.push([api, item[method].operationId]);
      }
    }
  }
  return found;
}

function filters() {
  return {
    api: byId("filter-api").value,
    operation: byId("filter-operation").value,
    status: byId("filter-status").value.trim().toLowerCase(),
    text: byId("filter-text").value.trim().toLowerCase(),
  };
}

function statusMatches(status, wanted) {
  if (!wanted) return true;
  const prefix = wanted.replace(/x+$/, "");
  return wanted.length === prefix.length ? String(status) === wanted : String(status).startsWith(prefix);
}

/** Who answered, as the table says it: the simulation, the vendor through the proxy, the simulation instead of a
 * failed vendor (the proxy's fallback), or a recording. */
export function sourceLabel(entry) {
  const upstream = entry.upstream || null;
  if (entry.source === "mock" && upstream && upstream.fallback) return "mock (fallback)";
  if (entry.source === "upstream") {
    // The proxy answered itself: a request it refused, or an upstream that failed.
    if (!upstream) return "proxy (not forwarded)";
    if (upstream.status === undefined) return "upstream failed";
    return `upstream ${upstream.status}`;
  }
  return entry.source || "mock";
}

/** Whether an entry came from anything but the plain simulation (then the table shows its source column). */
function proxiedOrReplayed(entry) {
  return (entry.source && entry.source !== "mock") || Boolean(entry.upstream);
}

function sourceClass(entry) {
  if (entry.upstream && entry.upstream.fallback) return "source source-fallback";
  return entry.source === "upstream" ? "source source-upstream" : "source";
}

function searchable(entry) {
  return [entry.method, entry.path, entry.query, JSON.stringify(entry.headers), JSON.stringify(entry.body),
    JSON.stringify(entry.problems), String(entry.status), sourceLabel(entry)].join(" ").toLowerCase();
}

function shown(entry, wanted) {
  return (!wanted.api || entry.api === wanted.api)
    && (!wanted.operation || entry.operation_id === wanted.operation)
    && statusMatches(entry.status, wanted.status)
    && (!wanted.text || searchable(entry).includes(wanted.text));
}

function statusClass(status) {
  return `status s${String(status)[0]}xx`;
}

function row(entry) {
  const target = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  const tr = h("tr", { tabindex: 0, "data-id": entry.id, "aria-selected": String(entry.id === selectedId) },
    h("td", { class: "num" }, entry.id),
    h("td", { class: "time" }, entry.at.slice(11, 19)),
    h("td", { class: "method" }, entry.method),
    h("td", { class: "path" }, target),
    h("td", null, entry.api || "—"),
    h("td", null, entry.operation_id || "—"),
    h("td", { class: statusClass(entry.status) }, entry.status),
    h("td", { class: "num" }, entry.duration_ms.toFixed(1)),
    h("td", { class: entry.problems.length ? "problems" : "muted" }, entry.problems.length || ""),
    h("td", { class: sourceClass(entry) }, sourceLabel(entry)),
  );
  tr.addEventListener("click", () => showDetail(entry.id));
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      showDetail(entry.id);
    } else if (event.key === "Escape") {
      hideDetail();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
      if (next) next.focus();
    }
  });
  return tr;
}

/** The table from the entries held, newest first, as the filters say. */
function render() {
  const wanted = filters();
  const visible = [...entries.values()].filter((entry) => shown(entry, wanted)).reverse();
  const body = byId("requests-body");
  // New rows arrive while someone moves through the table with the keyboard: keep their place.
  const focused = body.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  body.replaceChildren(...visible.map(row));
  byId("requests-table").classList.toggle("with-source", [...entries.values()].some(proxiedOrReplayed));
  if (focused) body.querySelector(`tr[data-id="${focused}"]`)?.focus();
  byId("requests-empty").hidden = entries.size > 0;
  byId("request-count").textContent = `${visible.length} of ${entries.size}`;
}

async function poll() {
  try {
    const answer = await admin(`/requests?since=${lastId}`);
    let changed = false;
    // Entries the journal no longer keeps (cleared, reset, or dropped for capacity) leave the table too.
    for (const id of entries.keys()) {
      if (answer.oldest === null || id < answer.oldest) {
        entries.delete(id);
        changed = true;
      }
    }
    for (const entry of answer.requests) {
      entries.set(entry.id, entry);
      lastId = Math.max(lastId, entry.id);
      changed = true;
    }
    while (entries.size > MAX_ROWS) entries.delete(entries.keys().next().value);
    if (changed) render();
  } catch (error) {
    say(error.message, true);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function quote(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`;
}

const NOT_FOR_CURL = new Set(["host", "content-length", "connection", "accept-encoding"]);

/** A curl command that repeats the request against this server (redacted secrets stay redacted). */
export function curlLine(entry) {
  const target = `${location.origin}${entry.path}${entry.query ? `?${entry.query}` : ""}`;
  const parts = ["curl -sg"];
  if (entry.method !== "GET") parts.push(`-X ${entry.method}`);
  parts.push(quote(target));
  for (const [name, value] of Object.entries(entry.headers)) {
    if (!NOT_FOR_CURL.has(name)) parts.push(`-H ${quote(`${name}: ${value}`)}`);
  }
  if (entry.body !== null && entry.body !== undefined) {
    parts.push(`--data-raw ${quote(typeof entry.body === "string" ? entry.body : JSON.stringify(entry.body))}`);
  }
  return parts.join(" ");
}

function headerTable(headers) {
  const names = Object.keys(headers);
  if (!names.length) return h("p", { class: "muted" }, "no headers");
  return h("table", { class: "headers" },
    h("tbody", null, names.map((name) => h("tr", null, h("th", null, name), h("td", null, headers[name])))));
}

/** A violation as the journal holds it: a message today; a tier beside it once entries carry one. */
function problemItem(problem) {
  if (typeof problem === "string") return h("li", null, problem);
  const tier = problem.tier ? h("span", { class: `tier tier-${problem.tier}` }, problem.tier) : null;
  return h("li", null, tier, " ", problem.message || pretty(problem));
}

/** Why the mock refused a request, from its answer in any of the APIs' error shapes. */
function rejections(entry) {
  const body = entry.response_body;
  if (entry.status < 400 || !body || typeof body !== "object") return [];
  if (typeof body.error === "string") return [body.error];
  if (Array.isArray(body.errors)) return body.errors.map((error) => error.detail || error.title || pretty(error));
  return [];
}

function section(title, ...content) {
  return h("section", null, h("h3", null, title), ...content);
}

/** The vendor's part of an exchange through the proxy: where it went, what and how fast it answered, or why it
 * failed; nothing for an entry of the plain simulation. */
function upstreamSection(entry) {
  const upstream = entry.upstream;
  if (!proxiedOrReplayed(entry)) return null;
  const facts = [h("dt", null, "source"), h("dd", { class: sourceClass(entry) }, sourceLabel(entry))];
  const fact = (name, value) => {
    if (value !== undefined && value !== null) facts.push(h("dt", null, name), h("dd", null, String(value)));
  };
  if (upstream) {
    fact("upstream", upstream.url);
    fact("upstream status", upstream.status);
    fact("upstream time", upstream.duration_ms !== undefined ? `${upstream.duration_ms} ms` : undefined);
    fact("upstream error", upstream.error);
    fact("violations", upstream.violations);
    fact("fallback", upstream.fallback ? "the simulation answered instead" : undefined);
    fact("recording", upstream.materialised ? `journey created from ${upstream.materialised}` : undefined);
  }
  return section("Source", h("dl", { class: "upstream-facts" }, facts));
}

function detailView(entry) {
  const operation = entry.operation;
  const curl = curlLine(entry);
  const copy = h("button", { type: "button", class: "copy" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(curl);
      say("curl line copied");
    } catch {
      say("The browser refused the clipboard: select the line and copy it", true);
    }
  });
  const close = h("button", { type: "button", class: "close", "aria-label": "Close detail" }, "×");
  close.addEventListener("click", () => hideDetail());
  const tierNote = entry.tier ? h("span", { class: `tier tier-${entry.tier}` }, entry.tier) : null;
  return [
    h("header", null, h("h2", null, `#${entry.id} ${entry.method} `, h("code", null, entry.path), " → ",
      h("span", { class: statusClass(entry.status) }, entry.status)), close),
    section("Validation", tierNote,
      entry.problems.length
        ? h("ul", { class: "problem-list" }, entry.problems.map(problemItem))
        : rejections(entry).length
          ? [h("p", null, `Answered ${entry.status}:`), h("ul", { class: "rejection-list" }, rejections(entry).map((message) => h("li", null, message)))]
          : h("p", { class: "muted" }, "No violation recorded.")),
    upstreamSection(entry),
    section("Operation", operation
      ? h("dl", null,
        h("dt", null, "API"), h("dd", null, operation.api),
        h("dt", null, "operationId"), h("dd", null, operation.operationId),
        h("dt", null, "route"), h("dd", null, `${operation.method} ${operation.path}`),
        h("dt", null, "summary"), h("dd", null, operation.summary || "—"),
        h("dt", null, "documented statuses"), h("dd", null, operation.statuses.join(", ")))
      : h("p", { class: "muted" }, "No operation of the served specs has this route.")),
    section("Request",
      h("p", null, h("code", null, `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`),
        h("span", { class: "muted" }, ` at ${entry.at}, ${entry.duration_ms} ms`)),
      headerTable(entry.headers),
      entry.body !== null ? h("pre", { class: "code" }, pretty(entry.body)) : null),
    section("Response",
      h("p", null, "status ", h("span", { class: statusClass(entry.status) }, entry.status)),
      headerTable(entry.response_headers || {}),
      h("pre", { class: "code" }, pretty(entry.response_body ?? null))),
    section("curl", h("pre", { class: "code curl" }, curl), copy,
      h("p", { class: "muted" }, "Secret headers are redacted in the journal: put your own token in.")),
  ];
}

async function showDetail(id) {
  selectedId = id;
  for (const tr of byId("requests-body").children) tr.setAttribute("aria-selected", String(Number(tr.dataset.id) === id));
  const panel = byId("detail");
  try {
    const entry = await admin(`/requests/${id}`);
    panel.replaceChildren(...detailView(entry));
    panel.dataset.id = String(id);
  } catch (error) {
    panel.replaceChildren(h("p", { class: "error" }, error.message));
  }
  panel.hidden = false;
}

function hideDetail() {
  selectedId = null;
  byId("detail").hidden = true;
  render();
}

export function startRequests(specs) {
  const apiSelect = byId("filter-api");
  const operationSelect = byId("filter-operation");
  apiSelect.append(...Object.keys(specs).map((api) => h("option", { value: api }, api)));
  operationSelect.append(...operationsOf(specs).map(([api, id]) => h("option", { value: id }, `${api}: ${id}`)));
  for (const id of ["filter-api", "filter-operation", "filter-status", "filter-text"]) {
    byId(id).addEventListener("input", render);
    byId(id).addEventListener("change", render);
  }
  byId("request-filters").addEventListener("submit", (event) => event.preventDefault());
  byId("detail").addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideDetail();
  });
  byId("clear-journal").addEventListener("click", async () => {
    await admin("/requests", { method: "DELETE" });
    entries.clear();
    hideDetail();
    say("Journal cleared");
  });
  byId("reset-mock").addEventListener("click", async () => {
    await admin("/reset", { method: "POST" });
    entries.clear();
    hideDetail();
    say("Mock reset: journal, created journeys and rate-limit counts cleared");
  });
  render();
  poll();
}
