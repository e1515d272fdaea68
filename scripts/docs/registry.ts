import { readFileSync } from "node:fs";
import { renderErrorCodeTable } from "../../shared/taxonomy.ts";
import { renderAsyncApi } from "./asyncapi.ts";
import { renderAgentConfigSchema, renderFleetConfigSchema } from "./config-schemas.ts";
import { renderOpenApi } from "../../broker/http/api/openapi.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Every generated document: path under the repo → renderer. Add new generated contracts here. */
export const GENERATED_DOCS: Record<string, () => string | Promise<string>> = {
  "docs/asyncapi.json": () => renderAsyncApi(pkg.version),
  "docs/agent-config.schema.json": renderAgentConfigSchema,
  "docs/fleet-config.schema.json": renderFleetConfigSchema,
  "docs/error-codes.md": renderErrorCodeTable,
  "docs/openapi.json": renderOpenApi,
};
