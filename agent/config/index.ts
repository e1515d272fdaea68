import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, DeviceId, formatIssues, readConfigFile, validateConfig } from "../../shared/index.ts";
import { ProbesConfigSchema } from "../probes/config.ts";
import { SamplersConfigSchema } from "../samplers/index.ts";
import { AgentCoreConfigSchema } from "./schema.ts";

/** The whole agent configuration: the core plus each unit's own section. */
export const AgentConfigSchema = AgentCoreConfigSchema.extend({
  samplers: SamplersConfigSchema.prefault({}),
  cloud: ProbesConfigSchema.prefault({}),
}).strict();

export type AgentConfig = z.infer<typeof AgentConfigSchema> & { device: { id: string } };

const Credentials = z.object({
  device_id: DeviceId,
  mqtt: z.object({ url: z.string().optional(), username: z.string().min(1), password: z.string().min(1) }),
});

/**
 * Validates a raw config object, merges the provisioning credentials file into it, and freezes it.
 * Every problem is listed as `path: message`; a config without a device id is refused.
 */
export function resolveAgentConfig(raw: unknown, source: string): AgentConfig {
  const cfg = validateConfig(AgentConfigSchema, raw, source);
  const credFile = cfg.mqtt.credentials_file;
  if (!credFile) {
    if (!cfg.device.id) throw new ConfigError(`${source} has 1 problem(s); fix them and start again`, ["device.id: required (or set mqtt.credentials_file to the file from 'edge-fleet devices add --out')"]);
    return cfg as AgentConfig;
  }
  let text: string;
  try {
    text = readFileSync(credFile, "utf8");
  } catch (err) {
    throw new ConfigError(`credentials file ${credFile} cannot be read (${(err as NodeJS.ErrnoException).code}); check mqtt.credentials_file`, []);
  }
  let parsed: z.infer<typeof Credentials>;
  try {
    const r = Credentials.safeParse(JSON.parse(text));
    if (!r.success) throw new ConfigError(`credentials file ${credFile} is not a device credentials file`, formatIssues(r.error));
    parsed = r.data;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`credentials file ${credFile} is not valid JSON; write it again with 'edge-fleet devices add --out'`, []);
  }
  if (cfg.device.id && cfg.device.id !== parsed.device_id) {
    throw new ConfigError(`device.id '${cfg.device.id}' differs from '${parsed.device_id}' in ${credFile}; remove device.id or use the right credentials`, []);
  }
  const merged = structuredClone(raw as Record<string, Record<string, unknown>>);
  merged.device = { ...(merged.device ?? {}), id: parsed.device_id };
  merged.mqtt = { ...(merged.mqtt ?? {}), username: parsed.mqtt.username, password: parsed.mqtt.password, ...(merged.mqtt?.url || !parsed.mqtt.url ? {} : { url: parsed.mqtt.url }) };
  return validateConfig(AgentConfigSchema, merged, source) as AgentConfig;
}

/** Loads the agent config file (JSON). */
export function loadAgentConfig(path: string): AgentConfig {
  return resolveAgentConfig(readConfigFile(path), `config file ${path}`);
}
