import { loadConfigFile, validateConfig } from "../../shared/index.ts";
import { FleetConfigSchema, type FleetConfig, type FleetConfigInput } from "./schema.ts";

/** Validated, frozen fleet configuration from a file, or the embedded defaults when no file is given. */
export function loadFleetConfig(path?: string): FleetConfig {
  return path ? loadConfigFile(FleetConfigSchema, path) : validateConfig(FleetConfigSchema, {}, "default configuration");
}

/** Validated, frozen fleet configuration from an object (tests, the demo launcher). */
export function fleetConfig(input: FleetConfigInput): FleetConfig {
  return validateConfig(FleetConfigSchema, input, "fleet configuration");
}
