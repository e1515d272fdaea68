import { randomUUID } from "node:crypto";
import { z } from "zod";
import { formatIssues, LabelKey } from "../../shared/index.ts";
import type { FleetStore, SilenceRecord } from "../store/types.ts";

/** What a person submits to create or change a silence (maintenance window). */
export const SilenceInput = z
  .object({
    matchers: z.record(LabelKey, z.string().min(1).max(128)).refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= 16, "give 1 to 16 label matchers"),
    startsAt: z.number().int().nonnegative(),
    endsAt: z.number().int().positive(),
    comment: z.string().min(1, "say why (the reason is part of the audit)").max(500),
    createdBy: z.string().min(1).max(128),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: "endsAt must be after startsAt", path: ["endsAt"] });
export type SilenceInput = z.infer<typeof SilenceInput>;

/** A silence request that cannot be accepted; the message names every problem. */
export class SilenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SilenceError";
  }
}

/** True when every matcher equals the label of the same name (`*` matches any present value). */
export function matches(matchers: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(matchers)) {
    const have = labels[k];
    if (have === undefined || (v !== "*" && have !== v)) return false;
  }
  return true;
}

/**
 * Silences and maintenance windows (the Alertmanager model): label matchers, a start, an end, an
 * author and a reason. Every change is written to the audit log; an expired silence is kept.
 */
export class SilenceService {
  #store: FleetStore;
  #now: () => number;

  constructor(store: FleetStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async create(input: SilenceInput): Promise<SilenceRecord> {
    const p = SilenceInput.safeParse(input);
    if (!p.success) throw new SilenceError(`invalid silence: ${formatIssues(p.error).join("; ")}`);
    const s: SilenceRecord = { id: randomUUID(), ...p.data, createdAt: this.#now(), expiredAt: null };
    await this.#store.putSilence(s);
    await this.#audit(s.createdBy, "silence.create", s.id, { matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, comment: s.comment });
    return s;
  }

  /** Changes the window, matchers or reason of a silence; null when it does not exist. */
  async update(id: string, patch: Partial<Omit<SilenceInput, "createdBy">>, actor: string): Promise<SilenceRecord | null> {
    const cur = await this.#store.getSilence(id);
    if (!cur) return null;
    const p = SilenceInput.safeParse({ ...cur, ...patch, createdBy: cur.createdBy });
    if (!p.success) throw new SilenceError(`invalid silence: ${formatIssues(p.error).join("; ")}`);
    const next: SilenceRecord = { ...cur, ...p.data };
    await this.#store.putSilence(next);
    await this.#audit(actor, "silence.update", id, { ...patch });
    return next;
  }

  /** Ends a silence now (kept for the audit); false when it does not exist or already ended. */
  async expire(id: string, actor: string): Promise<boolean> {
    const cur = await this.#store.getSilence(id);
    const now = this.#now();
    if (!cur || cur.endsAt <= now) return false;
    await this.#store.putSilence({ ...cur, endsAt: now, expiredAt: now });
    await this.#audit(actor, "silence.expire", id, {});
    return true;
  }

  /** The same as expire, under the name the HTTP layer uses. */
  remove(id: string, actor = "api"): Promise<boolean> {
    return this.expire(id, actor);
  }

  list(): Promise<SilenceRecord[]> {
    return this.#store.listSilences();
  }

  async active(at = this.#now()): Promise<SilenceRecord[]> {
    return (await this.#store.listSilences()).filter((s) => s.startsAt <= at && at < s.endsAt);
  }

  /** The first active silence matching a set of labels, or null. */
  async matching(labels: Record<string, string>, at = this.#now()): Promise<SilenceRecord | null> {
    return (await this.active(at)).find((s) => matches(s.matchers, labels)) ?? null;
  }

  #audit(actor: string, action: string, id: string, detail: Record<string, unknown>): Promise<void> {
    return this.#store.addAudit({ at: this.#now(), actor, action, subject: `silence:${id}`, detail });
  }
}
