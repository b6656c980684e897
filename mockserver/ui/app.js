// The page: tabs, the clock bar, and the four views.
import { admin, byId, rememberToken, say } from "./dom.js";
import { startRequests } from "./requests.js";
import { startJourneys } from "./journeys.js";
import { startControls } from "./controls.js";
import { startSpecs } from "./specs.js";

const listeners = new Set();
let clock = null;

/** The mock's clock as last read; `onClockChange` callbacks run whenever it moves. */
export function onClockChange(callback) {
  listeners.add(callback);
}

export async function refreshClock() {
  const state = await admin("/clock");
  const changed = !clock || clock.now !== state.now || clock.running !== state.running;
  clock = state;
  byId("clock-now").textContent = state.now;
  byId("clock-kind").textContent = state.running ? "(real time)" : "(fixed)";
  byId("clock-now-full").textContent = `${state.now} ${state.running ? "(real time)" : "(fixed)"}`;
  if (changed) for (const callback of listeners) callback(state);
  return state;
}

export async function changeClock(change) {
  try {
    await admin("/clock", { method: "POST", body: change });
    await refreshClock();
    say(`Clock: ${clock.now}`);
  } catch (error) {
    say(error.message, true);
  }
}

function selectTab(tab, focus) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    byId(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
  document.body.dataset.view = tab.id.replace("tab-", "");
  document.dispatchEvent(new CustomEvent("view", { detail: document.body.dataset.view }));
}

function startTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab, false));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      selectTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
    });
  }
  const wanted = byId(`tab-${location.hash.slice(1)}`);
  selectTab(wanted && wanted.getAttribute("role") === "tab" ? wanted : tabs[0], false);
}

async function main() {
  startTabs();
  byId("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    rememberToken(byId("token-input").value.trim());
    location.reload();
  });
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => changeClock({ advance: button.dataset.advance }));
  }
  try {
    const health = await admin("/health");
    const specs = Object.fromEntries(
      await Promise.all(health.apis.map(async (api) => [api, await admin(`/specs/${api}`)])),
    );
    startRequests(specs);
    await startJourneys();
    startControls();
    startSpecs(specs);
    await refreshClock();
    // Another client may move the clock: look every two seconds.
    setInterval(() => refreshClock().catch(() => {}), 2000);
    document.body.dataset.ready = "true";
  } catch (error) {
    say(error.message, true);
  }
}

main();
