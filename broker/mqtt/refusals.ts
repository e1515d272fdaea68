import type { Logger } from "pino";
import type { RefusalReason } from "../../shared/index.ts";

/**
 * Counts every refused connection or message by reason, and logs each (client, reason) pair once, so
 * a misbehaving device cannot flood the log (STYLE.md: a client's fault is an event, never a crash).
 */
export class Refusals {
  readonly counts = new Map<string, number>();
  #logged = new Set<string>();
  #log: Logger;
  #listeners: ((reason: string, clientId: string | null) => void)[] = [];

  constructor(log: Logger) {
    this.#log = log;
  }

  record(reason: RefusalReason | "auth_failed" | "connect_rate" | "acl_subscribe" | "revoked" | "identity_mismatch" | "dead_lettered", clientId: string | null, detail: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    const key = `${clientId ?? "-"}\u0000${reason}`;
    if (!this.#logged.has(key)) {
      // bounded: past 10,000 distinct pairs we stop remembering and keep counting
      if (this.#logged.size < 10_000) this.#logged.add(key);
      this.#log.warn({ client: clientId, reason, detail }, "refused");
    }
    for (const l of this.#listeners) l(reason, clientId);
  }

  onRefusal(listener: (reason: string, clientId: string | null) => void): void {
    this.#listeners.push(listener);
  }

  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
