// The journey explorer: a generated journey's bodies and a picture of it over time.
import { onClockChange } from "./app.js";
import { admin, byId, h, pretty, s, say } from "./dom.js";

let archetypes = {};
let shown = null; // the last explored journey

const WIDTH = 960;
const LEFT = 16;
const RIGHT = 120;
const BASE = 190; // the time axis
const BLOCK = 11; // height of one page view
const MAX_BLOCKS = 14;

function when(text) {
  return Date.parse(text) / 1000;
}

function day(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** The timeline as SVG: sessions as stacks of page views at their time, conversions, bots, intent, now. */
export function timelineSvg(timeline) {
  const sessions = timeline.sessions;
  const now = when(timeline.now);
  const first = when(sessions[0].start);
  const span = Math.max(now - first, 3600);
  const start = first - span * 0.04;
  const x = (seconds) => LEFT + ((seconds - start) / (now - start)) * (WIDTH - LEFT - RIGHT);
  const picture = s("svg", {
    viewBox: `0 0 ${WIDTH} 250`, width: "100%", role: "img", class: "timeline-svg",
    "aria-label": `${sessions.length} sessions from ${sessions[0].start} to ${timeline.now}`,
  });
  picture.append(s("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: BASE, y2: BASE, class: "axis" }));
  for (let tick = 0; tick <= 4; tick += 1) {
    const at = start + ((now - start) * tick) / 4;
    picture.append(
      s("line", { x1: x(at), x2: x(at), y1: BASE, y2: BASE + 5, class: "axis" }),
      s("text", { x: x(at), y: BASE + 18, class: "tick", "text-anchor": tick === 0 ? "start" : "middle" }, day(at)),
    );
  }
  for (const session of sessions) {
    const left = x(when(session.start));
    const width = Math.max(4, x(when(session.end)) - left);
    const kind = session.botd ? "session bot" : "session";
    const group = s("g", { class: kind, "data-session": session.number },
      s("title", null, `Session ${session.number}: ${session.start} to ${session.end}, ${session.channel}, `
        + `${session.pages.length} page views (${session.pages.join(", ")})${session.botd ? ", flagged as a bot" : ""}`));
    session.pages.slice(0, MAX_BLOCKS).forEach((page, index) => {
      group.append(s("rect", {
        x: left, y: BASE - (index + 1) * BLOCK, width, height: BLOCK - 2, class: "page-view", "data-page": page,
      }));
    });
    const top = BASE - Math.min(session.pages.length, MAX_BLOCKS) * BLOCK;
    for (const conversion of session.conversions) {
      const cx = x(when(conversion.at));
      group.append(s("polygon", {
        points: `${cx},${top - 16} ${cx + 6},${top - 10} ${cx},${top - 4} ${cx - 6},${top - 10}`,
        class: "conversion", "data-kind": conversion.kind,
      }, s("title", null, `${conversion.kind} on ${conversion.page} at ${conversion.at}`)));
    }
    picture.append(group);
  }
  const nowX = x(now);
  picture.append(
    s("line", { x1: nowX, x2: nowX, y1: 20, y2: BASE, class: "now" }),
    s("text", { x: nowX + 6, y: 30, class: "now-label" }, "now"),
    s("text", { x: nowX + 6, y: 46, class: "tick" }, day(now)),
  );
  const intent = timeline.intent;
  picture.append(
    s("text", { x: nowX + 6, y: 80, class: "label" }, `intent ${intent.score}`),
    s("text", { x: nowX + 6, y: 96, class: `intent intent-${intent.level}` }, intent.level),
    s("rect", { x: nowX + 6, y: 104, width: 100, height: 8, class: "gauge" }),
    s("rect", { x: nowX + 6, y: 104, width: intent.score, height: 8, class: `gauge-fill intent-${intent.level}` }),
  );
  if (timeline.bot) picture.append(s("text", { x: nowX + 6, y: 132, class: "bot-label" }, "bot"));
  return picture;
}

function summary(explored) {
  const t = explored.timeline;
  const views = t.sessions.reduce((sum, session) => sum + session.pages.length, 0);
  const conversions = t.sessions.flatMap((session) => session.conversions);
  const facts = [
    ["archetype", explored.archetype], ["seed", explored.seed], ["sessions", t.sessions.length],
    ["page views", views], ["conversions", conversions.map((c) => c.kind).join(", ") || "none"],
    ["intent", `${t.intent.score} (${t.intent.level})`], ["bot", t.bot ? "yes" : "no"],
    ["active", t.active ? "yes" : "no"], ["recommendation", t.recommendation], ["as of", explored.now],
  ];
  return h("dl", { class: "facts" }, facts.map(([name, value]) => [h("dt", null, name), h("dd", null, value)]));
}

function showBody() {
  const operation = byId("journey-operation").value;
  byId("journey-body").textContent = shown ? pretty(shown.operations[operation]) : "";
}

async function explore() {
  const api = byId("journey-api").value;
  const id = byId("journey-id").value.trim();
  const query = new URLSearchParams();
  if (byId("journey-seed").value.trim()) query.set("seed", byId("journey-seed").value.trim());
  if (byId("journey-archetype").value) query.set("archetype", byId("journey-archetype").value);
  try {
    shown = await admin(`/journeys/${encodeURIComponent(api)}/${encodeURIComponent(id)}?${query}`);
  } catch (error) {
    say(error.message, true);
    return;
  }
  const operationSelect = byId("journey-operation");
  const previous = operationSelect.value;
  operationSelect.replaceChildren(...Object.keys(shown.operations).map((name) => h("option", { value: name }, name)));
  if (previous in shown.operations) operationSelect.value = previous;
  byId("journey-summary").replaceChildren(summary(shown));
  byId("timeline").replaceChildren(timelineSvg(shown.timeline));
  byId("timeline").dataset.now = shown.now;
  showBody();
}

function fillArchetypes() {
  const select = byId("journey-archetype");
  select.replaceChildren(h("option", { value: "" }, "(from the id)"),
    ...(archetypes[byId("journey-api").value] || []).map((name) => h("option", { value: name }, name)));
}

export async function startJourneys() {
  archetypes = (await admin("/journeys")).archetypes;
  byId("journey-api").replaceChildren(...Object.keys(archetypes).map((api) => h("option", { value: api }, api)));
  fillArchetypes();
  byId("journey-api").addEventListener("change", () => {
    fillArchetypes();
    explore();
  });
  byId("journey-archetype").addEventListener("change", explore);
  byId("journey-operation").addEventListener("change", showBody);
  byId("journey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    explore();
  });
  onClockChange(() => {
    if (shown) explore();
  });
  if (Object.keys(archetypes).length) await explore();
}
