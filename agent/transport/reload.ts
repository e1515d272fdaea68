import { ConfigError } from "../../shared/index.ts";
import type { AgentConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import type { Spool } from "../spool/spool.ts";
import { mqttSettings, spoolLimits } from "./from-config.ts";
import type { MqttTransport } from "./mqtt.ts";

export type ReloadOutcome = { ok: true; reconnected: boolean; config: AgentConfig } | { ok: false; error: string };

export interface ReloadTargets {
  transport: MqttTransport;
  spool: Spool;
  /** Agent.setCadence; cadences that changed are applied at once. */
  setCadence?: (kind: string, intervalS: number) => boolean;
  log: Logger;
}

/**
 * Config reload (SIGHUP): `load` reads and validates the file again. A valid config is applied to the
 * transport (the connection stays unless MQTT settings changed), the spool bounds and the cadences; an
 * invalid one is refused with every problem logged, and the running config stays.
 */
export class ConfigReloader {
  #current: AgentConfig;
  #load: () => AgentConfig;
  #t: ReloadTargets;

  constructor(current: AgentConfig, load: () => AgentConfig, targets: ReloadTargets) {
    this.#current = current;
    this.#load = load;
    this.#t = targets;
  }

  get config(): AgentConfig {
    return this.#current;
  }

  reload(): ReloadOutcome {
    let next: AgentConfig;
    try {
      next = this.#load();
      if (next.device.id !== this.#current.device.id) throw new ConfigError(`device.id changed from '${this.#current.device.id}' to '${next.device.id}'; restart the agent to change identity`, []);
      if (next.spool.dir !== this.#current.spool.dir) throw new ConfigError(`spool.dir changed to '${next.spool.dir}'; restart the agent to move the spool`, []);
      const r = this.#t.transport.reload(mqttSettings(next));
      this.#t.spool.setLimits(spoolLimits(next));
      const before = this.#current.cadence as Record<string, number>;
      for (const [key, s] of Object.entries(next.cadence as Record<string, number>)) {
        if (s !== before[key]) this.#t.setCadence?.(key.replace(/_s$/, ""), s);
      }
      this.#current = next;
      this.#t.log.info({ reconnected: r.reconnected }, "configuration reloaded");
      return { ok: true, reconnected: r.reconnected, config: next };
    } catch (err) {
      const error = (err as Error).message;
      this.#t.log.error({ err: error }, "configuration reload refused; the running configuration stays");
      return { ok: false, error };
    }
  }
}
