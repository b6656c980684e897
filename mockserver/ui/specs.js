// The served specs as reference documentation: every operation with its parameters, body and responses.
import { byId, h, pretty } from "./dom.js";

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

function referenceName(schema) {
  return schema && schema.$ref ? schema.$ref.split("/").pop() : null;
}

function schemaSummary(schema) {
  if (!schema) return "—";
  const named = referenceName(schema);
  if (named) return named;
  const parts = [schema.type || (schema.oneOf ? "one of" : schema.anyOf ? "any of" : "object")];
  if (schema.format) parts.push(`(${schema.format})`);
  if (schema.enum) parts.push(`: ${schema.enum.join(" | ")}`);
  if (schema.pattern) parts.push(` /${schema.pattern}/`);
  return parts.join(" ");
}

function text(value) {
  return value ? h("p", { class: "prose" }, value) : null;
}

function parametersTable(parameters) {
  if (!parameters.length) return null;
  return h("table", { class: "params" },
    h("thead", null, h("tr", null, ["name", "in", "required", "schema", "description"].map((name) => h("th", null, name)))),
    h("tbody", null, parameters.map((parameter) => h("tr", null,
      h("td", null, h("code", null, parameter.name)), h("td", null, parameter.in),
      h("td", null, parameter.required ? "yes" : "no"), h("td", null, schemaSummary(parameter.schema)),
      h("td", null, parameter.description || "")))));
}

function resolveParameter(document, parameter) {
  const named = referenceName(parameter);
  return named ? document.components.parameters[named] : parameter;
}

function operationView(document, path, method, operation, shared) {
  const parameters = [...shared, ...(operation.parameters || [])].map((p) => resolveParameter(document, p));
  const body = operation.requestBody;
  const responses = Object.entries(operation.responses || {});
  return h("section", { class: "operation", id: `op-${operation.operationId}` },
    h("h3", null, h("span", { class: `verb verb-${method}` }, method.toUpperCase()), " ", h("code", null, path),
      h("span", { class: "muted" }, ` ${operation.operationId || ""}`)),
    operation.summary ? h("p", null, h("strong", null, operation.summary)) : null,
    text(operation.description),
    parametersTable(parameters),
    body ? h("div", null, h("h4", null, `Request body${body.required ? " (required)" : ""}`),
      Object.entries(body.content || {}).map(([type, media]) => h("p", null, h("code", null, type), " ",
        schemaSummary(media.schema)))) : null,
    h("h4", null, "Responses"),
    h("table", { class: "params" }, h("tbody", null, responses.map(([status, response]) => {
      const named = referenceName(response);
      const resolved = named ? document.components.responses[named] : response;
      const schemas = Object.entries(resolved.content || {}).map(([type, media]) => `${type}: ${schemaSummary(media.schema)}`);
      return h("tr", null, h("td", { class: `status s${status[0]}xx` }, status),
        h("td", null, resolved.description || ""), h("td", null, schemas.join("; ")));
    }))),
  );
}

/** The reference page of one spec document (as served by `GET /__admin/specs/{api}`). */
export function specView(document) {
  const info = document.info || {};
  const operations = [];
  for (const [path, item] of Object.entries(document.paths || {})) {
    for (const method of HTTP_METHODS) {
      if (item[method]) operations.push(operationView(document, path, method, item[method], item.parameters || []));
    }
  }
  const schemas = Object.entries((document.components || {}).schemas || {});
  return [
    h("h2", null, `${info.title || ""} `, h("span", { class: "muted" }, info.version || "")),
    text(info.description),
    h("p", null, "Servers: ", (document.servers || []).map((server) => h("code", null, server.url)).flatMap((c) => [c, " "])),
    ...operations,
    h("h3", null, "Schemas"),
    schemas.map(([name, schema]) => h("details", { class: "schema" }, h("summary", null, name),
      h("pre", { class: "code" }, pretty(schema)))),
  ];
}

export function startSpecs(specs) {
  const select = byId("spec-api");
  select.replaceChildren(...Object.keys(specs).map((api) => h("option", { value: api }, api)));
  const show = () => byId("spec-doc").replaceChildren(...specView(specs[select.value]));
  select.addEventListener("change", show);
  show();
}
