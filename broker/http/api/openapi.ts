import { readFileSync } from "node:fs";
import { z } from "zod";
import { DiagnosisMessage, TelemetryMessage } from "../../../shared/index.ts";
import { HTTP_ERROR_CODES } from "../errors.ts";
import { ROUTES, type RouteSpec } from "./spec.ts";
import * as S from "./schemas.ts";

type Json = Record<string, unknown>;

// shared bodies become components so that devices, tickets and telemetry are described once
const COMPONENTS: Record<string, z.ZodType> = {
  Error: S.ErrorBody,
  TelemetryMessage,
  DiagnosisMessage,
  Device: S.Device,
  HistoryPoint: S.HistoryPoint,
  Diagnosis: S.Diagnosis,
  Ticket: S.Ticket,
  Silence: S.Silence,
  Incident: S.Incident,
  Command: S.Command,
  ApiToken: S.ApiToken,
  SlaReport: S.SlaReport,
};

function strip(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The OpenAPI 3.1 document of the HTTP API, generated from the route table (docs/openapi.json). */
export function renderOpenApi(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  const reg = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) reg.add(schema, { id });
  const uri = (id: string) => `#/components/schemas/${id}`;
  const ops = Object.entries(ROUTES as Record<string, RouteSpec>);
  // per-route response bodies join the registry so that they reference the components above
  for (const [op, spec] of ops) if (spec.response && !reg.has(spec.response)) reg.add(spec.response, { id: `${op}Response` });
  for (const [op, spec] of ops) if (spec.body && !reg.has(spec.body)) reg.add(spec.body, { id: `${op}Body` });
  const out = z.toJSONSchema(reg, { uri, io: "output", unrepresentable: "any" }) as { schemas: Record<string, Json> };
  const inputs = z.toJSONSchema(reg, { uri, io: "input", unrepresentable: "any" }) as { schemas: Record<string, Json> };
  const schemas: Record<string, Json> = {};
  for (const [id, s] of Object.entries(out.schemas)) schemas[id] = strip(id.endsWith("Body") ? inputs.schemas[id]! : s);

  const paths: Record<string, Json> = {};
  for (const [op, spec] of ops) {
    const path = spec.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters: Json[] = [];
    for (const [where, schema] of [["path", spec.params], ["query", spec.query]] as const) {
      if (!schema) continue;
      const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, p] of Object.entries(js.properties ?? {})) {
        const { description, ...pschema } = p;
        parameters.push({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), ...(description ? { description } : {}), schema: pschema });
      }
    }
    const ok = String(spec.status ?? 200);
    const content = spec.produces
      ? { [spec.produces]: { schema: spec.produces === "application/json" ? {} : { type: "string" } } }
      : spec.response
        ? { "application/json": { schema: { $ref: uri(reg.get(spec.response)!.id) } } }
        : undefined;
    const errors: Record<string, Json> = {};
    const errorRef = { description: "", content: { "application/json": { schema: { $ref: uri("Error") } } } };
    if (spec.params || spec.query || spec.body) errors["400"] = { ...errorRef, description: "bad_request: the path, query or body does not match this document" };
    if (spec.access !== "public") {
      errors["401"] = { ...errorRef, description: "unauthorized: no bearer token, or an unknown or revoked one" };
      if (spec.access !== "viewer") errors["403"] = { ...errorRef, description: `forbidden: the token's role is below ${spec.access}` };
    }
    if (spec.params) errors["404"] = { ...errorRef, description: "not_found: no such object" };
    paths[path] ??= {};
    (paths[path] as Json)[spec.method.toLowerCase()] = {
      operationId: op,
      summary: spec.summary,
      tags: [spec.tag],
      description: spec.access === "public" ? "No token needed." : `Needs the ${spec.access} role (or above).`,
      ...(spec.access === "public" ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(spec.body ? { requestBody: { required: !spec.body.safeParse(undefined).success, content: { "application/json": { schema: { $ref: uri(reg.get(spec.body)!.id) } } } } } : {}),
      responses: { [ok]: { description: "success", ...(content ? { content } : {}) }, ...errors },
    };
  }
  const doc = {
    openapi: "3.1.0",
    info: {
      title: "edge-fleet HTTP API",
      version: pkg.version,
      description: [
        "The fleet's REST API: devices, tickets, silences, remote commands, live events and reports.",
        "Authenticate with 'Authorization: Bearer <token>'. Roles: viewer (read), technician (+ run diagnostics, fetch bundles, act on tickets), admin (+ devices, silences, tokens, set-cadence).",
        "Errors are {error: {code, message}}; codes: " + Object.entries(HTTP_ERROR_CODES).map(([c, m]) => `${c} (${m})`).join("; ") + ".",
      ].join("\n\n"),
      license: { name: "Apache-2.0" },
    },
    servers: [{ url: "http://127.0.0.1:8080" }],
    security: [{ bearer: [] }],
    tags: [...new Set(ops.map(([, s]) => s.tag))].map((name) => ({ name })),
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token from 'edge-fleet tokens create' or POST /api/tokens." } }, schemas },
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
