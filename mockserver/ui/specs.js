// The served specs as reference documentation, rendered by the vendored Swagger UI (loaded on first view).
import { byId, h, say } from "./dom.js";

const VENDOR = "/__admin/ui/vendor/swagger-ui";
let loading = null;
let specs = {};

function load(tag, attributes) {
  return new Promise((resolve, reject) => {
    const element = h(tag, { ...attributes, onload: resolve, onerror: () => reject(new Error(`${tag} did not load`)) });
    document.head.append(element);
  });
}

/** Swagger UI's script and styles, once. */
function swaggerUi() {
  loading ||= Promise.all([
    load("script", { src: `${VENDOR}/swagger-ui-bundle.js` }),
    load("link", { rel: "stylesheet", href: `${VENDOR}/swagger-ui.css` }),
  ]).then(() => window.SwaggerUIBundle);
  return loading;
}

async function show() {
  const api = byId("spec-api").value;
  const SwaggerUIBundle = await swaggerUi();
  const target = byId("spec-doc");
  target.replaceChildren();
  target.dataset.api = "";
  SwaggerUIBundle({
    domNode: target,
    spec: specs[api],
    // A reference, not a client: no "Try it out" (the spec's servers are the vendors' hosts), no validator badge
    // (it would call an outside service), no URLs in the address bar.
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    validatorUrl: null,
    deepLinking: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    onComplete: () => {
      target.dataset.api = api;
    },
  });
}

export function startSpecs(served) {
  specs = served;
  const select = byId("spec-api");
  select.replaceChildren(...Object.keys(specs).map((api) => h("option", { value: api }, api)));
  select.addEventListener("change", () => show().catch((error) => say(error.message, true)));
  let started = false;
  const start = (view) => {
    if (view !== "specs" || started) return;
    started = true;
    show().catch((error) => say(error.message, true));
  };
  document.addEventListener("view", (event) => start(event.detail));
  start(document.body.dataset.view);
}
