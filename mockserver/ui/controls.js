// The clock and the faults, changed at run time through the admin API.
import { changeClock } from "./app.js";
import { admin, byId, say } from "./dom.js";

function describe(faults) {
  const parts = [];
  if (faults.latency) parts.push(`latency ${faults.latency[0]}–${faults.latency[1]} ms`);
  if (faults.error_rate) parts.push(`error rate ${faults.error_rate}`);
  if (faults.rate_limit) parts.push(`rate limit ${faults.rate_limit}/s`);
  return parts.join(", ") || "none";
}

function showFaults(faults) {
  byId("faults-now").textContent = describe(faults);
  const latency = faults.latency;
  byId("fault-latency").value = latency ? (latency[0] === latency[1] ? `${latency[0]}` : `${latency[0]}-${latency[1]}`) : "";
  byId("fault-error-rate").value = faults.error_rate ? String(faults.error_rate) : "";
  byId("fault-rate-limit").value = faults.rate_limit ? String(faults.rate_limit) : "";
}

async function setFaults(change) {
  try {
    showFaults(await admin("/faults", { method: "POST", body: change }));
    say(`Faults: ${byId("faults-now").textContent}`);
  } catch (error) {
    say(error.message, true);
  }
}

export function startControls() {
  byId("clock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    changeClock({ now: byId("clock-set").value.trim() });
  });
  byId("clock-advance-button").addEventListener("click", () => changeClock({ advance: byId("clock-advance").value.trim() }));
  byId("faults-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = (id) => byId(id).value.trim();
    setFaults({
      latency: text("fault-latency") || null,
      error_rate: text("fault-error-rate") || null,
      rate_limit: text("fault-rate-limit") || null,
    });
  });
  byId("faults-off").addEventListener("click", () => setFaults({ latency: null, error_rate: null, rate_limit: null }));
  admin("/faults").then(showFaults, (error) => say(error.message, true));
}
