import { AgentConfigSchema } from "../../agent/config/index.ts";
import { FleetConfigSchema } from "../../broker/config/schema.ts";
import { jsonSchemaOf } from "./asyncapi.ts";

/** JSON Schemas of both configuration files, for editors and for hardware makers' tooling. */
export function renderAgentConfigSchema(): string {
  return JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", title: "edge-agent configuration", ...jsonSchemaOf(AgentConfigSchema) }, null, 2) + "\n";
}

export function renderFleetConfigSchema(): string {
  return JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", title: "edge-fleet configuration", ...jsonSchemaOf(FleetConfigSchema) }, null, 2) + "\n";
}
