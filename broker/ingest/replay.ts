import { maskString, TOPIC_KINDS, topicFor, type TopicKind } from "../../shared/index.ts";
import type { DeadLetterActions, ReplayResult } from "../http/ports.ts";
import type { Logger } from "../log.ts";
import { isStoreFailure } from "../store/failures.ts";
import type { DeadLetter, FleetStore } from "../store/types.ts";
import type { IngestPipeline } from "./pipeline.ts";

const PREFIX = "ingest:";
/**
 * How long a replay holds its dead letter: far longer than processing one report takes, even against a
 * database at the end of the longest store.retry_ms and query_timeout_ms the configuration allows.
 */
const CLAIM_MS = 30 * 60_000;

/**
 * Replays a dead-lettered device report once its cause is fixed (a constraint dropped, a fleet upgraded):
 * the report goes through the ingest again, as its device sent it (redacted as stored). What a user relies on:
 *
 * - **Once.** The dead letter is claimed for `CLAIM_MS` first (a concurrent replay is told it is being
 *   replayed), and only its own dedup mark is forgotten, so a replay never processes again a report that
 *   is already stored; it is deleted only once the report is.
 * - **Nothing lost.** Failing again, it is released with the new error and its mark recorded again, and the
 *   caller hears why; the store being down is "try again", not "fix the cause". A replay that cannot even
 *   release it (the store lost, the process killed) leaves the claim to lapse: the letter comes back.
 * - **Never backwards.** A state report, or a diagnosis older than the device's latest, is not replayed: it
 *   would roll the device's state back (an old healthy diagnosis would resolve today's tickets). Telemetry
 *   older than the device's latest is: it goes to the history, and the device keeps its newest report.
 *   Webhook notifications are not replayed either: their incident has moved on and is one GET away.
 *
 * Each replay, processed or not, is audited.
 */
export class DeadLetterReplay implements DeadLetterActions {
  #o: { store: FleetStore; ingest: IngestPipeline; now: () => number; log: Logger };

  constructor(o: { store: FleetStore; ingest: IngestPipeline; now: () => number; log: Logger }) {
    this.#o = o;
  }

  async replay(id: number, actor: string): Promise<ReplayResult | null> {
    try {
      return await this.#replay(id, actor);
    } catch (err) {
      // reading the letter or the device, claiming it: nothing was changed yet
      if (!isStoreFailure(err)) throw err;
      return { ok: false, reason: "unavailable", message: `dead letter ${id} could not be replayed, the store is unavailable (${maskString((err as Error).message)}); it is kept, try again shortly` };
    }
  }

  async #replay(id: number, actor: string): Promise<ReplayResult | null> {
    const { store, ingest, log } = this.#o;
    const letter = await store.getDeadLetter(id);
    if (!letter) return null;
    if (!letter.target.startsWith(PREFIX)) return refuse("not_a_report", `dead letter ${id} (${letter.target}) is a webhook notification, not a device report; only ingest:… dead letters are replayed (its incident is in GET /api/incidents)`);
    const report = reportOf(letter);
    if (!report) return refuse("not_a_report", `dead letter ${id} (${letter.target}) holds no device report with a device_id and msg_id, so it cannot be replayed; read it with GET /api/dead-letters`);
    const stale = await this.#stale(report);
    if (stale) return this.#audited(id, actor, letter, { ok: false, reason: "stale", message: `dead letter ${id} ${stale}, so replaying it would roll the device's state back; it is kept` });
    // claimed: one replay at a time (a double click, a second technician, another replica)
    const claim = await this.#claim(id, CLAIM_MS);
    if (claim === "gone") return null;
    if (claim === "busy") return { ok: false, reason: "busy", message: `dead letter ${id} is held by another replay or a discard; list the dead letters again in a minute` };
    let outcome;
    try {
      await store.forgetSeen(report.msgId, letter.at);
      outcome = await ingest.replay(topicFor(report.kind, report.deviceId), Buffer.from(JSON.stringify(letter.body)), report.msgId);
      if (outcome === "refused") throw new Error("it no longer passes validation (the fleet's refusal log says why)");
    } catch (err) {
      const why = maskString((err as Error).message);
      const down = isStoreFailure(err);
      // released with the letter's mark, finished (an unfinished one the replay left included), so neither a
      // redelivery nor a later replay processes it twice; if even that fails, the claim lapses and the letter comes back
      await store.releaseDeadLetter(id, claim, why, { msgId: report.msgId, deviceId: report.deviceId, at: letter.at }).catch((e: Error) => log.error({ err: maskString(e.message), dead_letter: id }, "dead letter not released; it comes back when its claim lapses"));
      return this.#audited(id, actor, letter, {
        ok: false,
        reason: down ? "unavailable" : "failed",
        message: down ? `replaying dead letter ${id} found the store unavailable (${why}); it is kept, try again shortly` : `replaying dead letter ${id} failed again (${why}); it is kept, fix the cause and replay it again`,
      });
    }
    // stored: a letter that could not be deleted comes back when its claim lapses, and its replay then finds the report stored (a duplicate)
    await store.deleteDeadLetter(id, claim).catch((e: Error) => log.error({ err: maskString(e.message), dead_letter: id }, "replayed dead letter not deleted; it comes back as a duplicate when its claim lapses"));
    log.info({ dead_letter: id, device: report.deviceId, msg_id: report.msgId, outcome, by: actor }, "dead letter replayed");
    return this.#audited(id, actor, letter, { ok: true, outcome, deadLetter: letter });
  }

  async discard(id: number, actor: string): Promise<"discarded" | "gone" | "busy"> {
    const { store, log } = this.#o;
    const letter = await store.getDeadLetter(id);
    if (!letter) return "gone";
    // a replay holding it decides its fate: not discarded under it; the delete acts on this claim only
    const claim = await this.#claim(id, 60_000);
    if (claim === "gone" || claim === "busy") return claim;
    if (!(await store.deleteDeadLetter(id, claim))) return "busy";
    await store
      .addAudit({ at: this.#o.now(), actor, action: "dead_letter.discard", subject: `dead_letter:${id}`, detail: { target: letter.target, error: letter.error } })
      .catch((err: Error) => log.error({ err: err.message, dead_letter: id }, "discard not audited"));
    log.info({ dead_letter: id, target: letter.target, by: actor }, "dead letter discarded");
    return "discarded";
  }

  /** Claims the letter for `ms`: the claim's value (what release and delete must name), or why not. */
  async #claim(id: number, ms: number): Promise<number | "gone" | "busy"> {
    const now = this.#o.now();
    if (await this.#o.store.claimDeadLetter(id, now, now + ms)) return now + ms;
    return (await this.#o.store.getDeadLetter(id)) ? "busy" : "gone";
  }

  /** Why replaying this report would take the device backwards, or null. */
  async #stale(r: { kind: TopicKind; deviceId: string; ts: number }): Promise<string | null> {
    if (r.kind === "state") return "is a state report (the device's current state is known from its newer reports)";
    if (r.kind !== "diagnosis") return null;
    const latest = (await this.#o.store.getDevice(r.deviceId))?.lastDiagnosisAt ?? null;
    return latest !== null && latest > r.ts ? `is older than the device's latest diagnosis (${new Date(r.ts).toISOString()} < ${new Date(latest).toISOString()})` : null;
  }

  async #audited(id: number, actor: string, letter: DeadLetter, r: ReplayResult): Promise<ReplayResult> {
    const detail = r.ok ? { outcome: r.outcome } : { refused: r.reason, why: r.message };
    const body = letter.body as { msg_id?: unknown; device_id?: unknown } | null;
    await this.#o.store
      .addAudit({ at: this.#o.now(), actor, action: "dead_letter.replay", subject: `dead_letter:${id}`, detail: { target: letter.target, device: body?.device_id ?? null, msg_id: body?.msg_id ?? null, ...detail } })
      .catch((err: Error) => this.#o.log.error({ err: err.message, dead_letter: id }, "replay not audited"));
    return r;
  }
}

function refuse(reason: "not_a_report", message: string): ReplayResult {
  return { ok: false, reason, message };
}

function reportOf(l: DeadLetter): { kind: TopicKind; deviceId: string; msgId: string; ts: number } | null {
  const kind = l.target.slice(PREFIX.length) as TopicKind;
  const body = l.body as { device_id?: unknown; msg_id?: unknown; ts?: unknown } | null;
  if (!TOPIC_KINDS.includes(kind) || typeof body?.device_id !== "string" || typeof body.msg_id !== "string" || typeof body.ts !== "number") return null;
  return { kind, deviceId: body.device_id, msgId: body.msg_id, ts: body.ts };
}
