import { TOPIC_KINDS, topicFor, type TopicKind } from "../../shared/index.ts";
import type { DeadLetterActions, ReplayResult } from "../http/ports.ts";
import type { Logger } from "../log.ts";
import type { DeadLetter, FleetStore } from "../store/types.ts";
import type { IngestPipeline } from "./pipeline.ts";

const PREFIX = "ingest:";

/**
 * Replays a dead-lettered device report once its cause is fixed (a constraint dropped, a fleet upgraded):
 * its message id, recorded with the dead letter, is forgotten and the report goes through the ingest again,
 * as its device sent it (redacted as stored). Processed, it leaves the dead letters; failing again, it stays,
 * and the caller hears why. Webhook notifications are not replayed: the incident they were about has moved
 * on, and its current state is one GET away. Each replay is audited.
 */
export class DeadLetterReplay implements DeadLetterActions {
  #o: { store: FleetStore; ingest: IngestPipeline; now: () => number; log: Logger };

  constructor(o: { store: FleetStore; ingest: IngestPipeline; now: () => number; log: Logger }) {
    this.#o = o;
  }

  async replay(id: number, actor: string): Promise<ReplayResult | null> {
    const { store, ingest, log } = this.#o;
    const letter = await store.getDeadLetter(id);
    if (!letter) return null;
    const report = reportOf(letter);
    if (!report) return { ok: false, reason: "not_a_report", message: `dead letter ${id} (${letter.target}) is not a device report; only ingest:… dead letters are replayed (a webhook notification's incident is in GET /api/incidents)` };
    // every mark of its id: the one recorded with the dead letter, and any an earlier failed replay left
    await store.forgetSeen(report.msgId);
    let outcome;
    try {
      outcome = await ingest.replay(topicFor(report.kind, report.deviceId), Buffer.from(JSON.stringify(letter.body)), report.msgId);
    } catch (err) {
      // its id stays forgotten: the report was acknowledged long ago, so its device will not send it again
      return { ok: false, reason: "failed", message: `replaying dead letter ${id} failed again (${(err as Error).message}); it is kept, fix the cause and replay it again` };
    }
    if (outcome === "refused") return { ok: false, reason: "failed", message: `dead letter ${id} no longer passes validation (see the fleet's refusal log); it is kept` };
    // processed, already stored, or (with max_processing_attempts 1) a fresh dead letter that supersedes this one
    await store.deleteDeadLetter(id);
    await store.addAudit({ at: this.#o.now(), actor, action: "dead_letter.replay", subject: `dead_letter:${id}`, detail: { target: letter.target, device: report.deviceId, msg_id: report.msgId, outcome } });
    log.info({ dead_letter: id, device: report.deviceId, msg_id: report.msgId, outcome, by: actor }, "dead letter replayed");
    return { ok: true, outcome, deadLetter: letter };
  }
}

function reportOf(l: DeadLetter): { kind: TopicKind; deviceId: string; msgId: string } | null {
  const kind = l.target.startsWith(PREFIX) ? (l.target.slice(PREFIX.length) as TopicKind) : null;
  const body = l.body as { device_id?: unknown; msg_id?: unknown } | null;
  if (!kind || !TOPIC_KINDS.includes(kind) || typeof body?.device_id !== "string" || typeof body.msg_id !== "string") return null;
  return { kind, deviceId: body.device_id, msgId: body.msg_id };
}
