import { decodeMessage, maskString, redact, TOPICS, type Decoded, type DiagnosisMessage } from "../../shared/index.ts";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import type { Refusals } from "../mqtt/refusals.ts";
import { isStoreFailure } from "../store/failures.ts";
import { oneTransaction } from "../store/tick-batch.ts";
import type { FleetStore } from "../store/types.ts";
import type { TicketEngine } from "../tickets/engine.ts";
import { fingerprintOf } from "../tickets/fingerprint.ts";
import { ProcessingAttempts } from "./attempts.ts";

/** How many of a device's newest diagnoses an unfinished one is compared with (more, all newer: it is moot). */
const SUPERSEDE_LOOKBACK = 100;

/** `dead_lettered`: its processing failed too often (attempts.ts); it is kept in the dead letters and acknowledged. */
export type IngestOutcome = "accepted" | "duplicate" | "refused" | "ignored" | "dead_lettered";

export interface IngestOptions {
  store: FleetStore;
  tickets: TicketEngine;
  events: FleetEvents;
  refusals: Refusals;
  log: Logger;
  maxPayloadBytes: number;
  historyPerDevice: number;
  /** Failures of a report's own processing before it becomes a dead letter (registry.max_processing_attempts). */
  maxProcessingAttempts?: number;
  now?: () => number;
}

/**
 * receive → validate → deduplicate → register → ticket. One function for both the embedded broker and
 * the external-broker consumer. It never throws for bad input: a refusal is counted and the caller
 * goes on serving everyone else.
 */
export class IngestPipeline {
  #o: IngestOptions;
  #now: () => number;
  readonly stats = { accepted: 0, duplicates: 0, refused: 0, deadLettered: 0 };
  readonly attempts: ProcessingAttempts;
  /** Diagnoses being processed, by message id: the last delivery's processing (#handle). */
  #diagnosesInFlight = new Map<string, Promise<IngestOutcome>>();

  constructor(opts: IngestOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.attempts = new ProcessingAttempts(opts.maxProcessingAttempts ?? 3);
  }

  async handle(topic: string, payload: Uint8Array, clientId: string | null): Promise<IngestOutcome> {
    return this.#handle(topic, payload, clientId, true);
  }

  async #handle(topic: string, payload: Uint8Array, clientId: string | null, mayDeadLetter: boolean): Promise<IngestOutcome> {
    const decoded = decodeMessage(topic, payload, this.#o.maxPayloadBytes);
    if (!decoded.ok) {
      this.stats.refused++;
      this.#o.refusals.record(decoded.reason, clientId ?? decoded.deviceId ?? null, decoded.detail);
      return "refused";
    }
    // the fleet's own command requests travel the same broker; they are not device reports
    if (TOPICS[decoded.kind].from !== "device") return "ignored";
    if (decoded.kind !== "diagnosis") return this.#process(decoded, mayDeadLetter);
    // A copy of a diagnosis this process is still working on (the device resent it on a new connection) waits
    // for it, then finds it stored, or unfinished if it failed: never both working on one ticket at once.
    const msgId = decoded.message.msg_id;
    const prior = this.#diagnosesInFlight.get(msgId);
    const run = () => this.#process(decoded, mayDeadLetter);
    const mine = prior ? prior.then(run, run) : run();
    this.#diagnosesInFlight.set(msgId, mine);
    try {
      return await mine;
    } finally {
      if (this.#diagnosesInFlight.get(msgId) === mine) this.#diagnosesInFlight.delete(msgId);
    }
  }

  async #process(decoded: Exclude<Decoded, { ok: false }>, mayDeadLetter: boolean): Promise<IngestOutcome> {
    // the dedup mark, the report and its ticket commit together (SQLite), before the PUBACK; listeners
    // (live events, command tracking) hear of the report once it is stored. A failure after the report's
    // own write (a later batch rolled back; on PostgreSQL every statement commits alone) leaves a
    // diagnosis's mark unfinished, and the redelivery finishes its ticket (#accept).
    const msgId = decoded.message.msg_id;
    if (this.attempts.isDeadLetter(msgId)) {
      this.stats.duplicates++;
      return "duplicate";
    }
    const later: (() => void)[] = [];
    let outcome: IngestOutcome;
    try {
      outcome = await oneTransaction(() => this.#accept(decoded, later));
    } catch (err) {
      // the store failing is nobody's report: refused as it is, sent again, however often (nothing is lost)
      if (isStoreFailure(err)) throw err;
      // a state message's id is never checked on the way in (a Last Will reuses its connection's), but a dead
      // letter records it: a redelivery of a dead-lettered state that fails again is that letter's duplicate,
      // after a restart too (this check costs a read on the failure path only). The agent never reuses an id
      // across kinds, so a state's id in the store is its dead letter's; the read sees what is committed or in
      // the turn's open batch (this delivery's own batch is rolled back by now)
      if (decoded.kind === "state" && mayDeadLetter && (await this.#o.store.seenMark(msgId)) !== "new") {
        this.attempts.deadLettered(msgId);
        this.stats.duplicates++;
        return "duplicate";
      }
      const failures = this.attempts.failed(msgId);
      this.#o.log.warn({ device: decoded.deviceId, kind: decoded.kind, msg_id: msgId, failures, err: maskString((err as Error).message) }, "processing a report failed; its device sends it again");
      if (failures < this.attempts.max || !mayDeadLetter) throw err;
      return this.#deadLetter(decoded, err as Error, failures);
    }
    this.attempts.settled(msgId);
    for (const fn of later) fn();
    return outcome;
  }

  /**
   * A dead-lettered report once more (replay.ts; its recorded id already forgotten): as a delivery, except that
   * a failure is thrown to the caller, never turned into another dead letter, and the report stays marked as
   * dead-lettered in memory until it is stored.
   */
  async replay(topic: string, payload: Uint8Array, msgId: string): Promise<IngestOutcome> {
    this.attempts.settled(msgId);
    try {
      const outcome = await this.#handle(topic, payload, null, false);
      this.attempts.settled(msgId);
      return outcome;
    } catch (err) {
      this.attempts.deadLettered(msgId);
      throw err;
    }
  }

  /**
   * A report that failed `maxProcessingAttempts` times: kept as a dead letter (redacted, with its last
   * error) for an operator (GET /api/dead-letters), its message id recorded with it, and acknowledged, so
   * that its device moves on. If the dead letter cannot be stored, the report is refused as before and
   * stays with its device; its next delivery is processed once more, and dead-lettered if it fails again.
   */
  async #deadLetter(d: Exclude<Decoded, { ok: false }>, err: Error, attempts: number): Promise<IngestOutcome> {
    const msgId = d.message.msg_id;
    const error = maskString(err.message);
    // its id recorded finished with the letter (an unfinished mark an earlier attempt left included)
    await oneTransaction(() => this.#o.store.addDeadLetter({ at: this.#now(), target: `ingest:${d.kind}`, attempts, error, body: redact(d.message) }, { msgId, deviceId: d.deviceId }));
    this.attempts.deadLettered(msgId);
    this.stats.deadLettered++;
    this.#o.refusals.record("dead_lettered", d.deviceId, `${d.kind} ${msgId} failed ${attempts} times: ${error}`);
    this.#o.log.error({ device: d.deviceId, kind: d.kind, msg_id: msgId, attempts, err: error }, "report stored as a dead letter after repeated processing failures; it was acknowledged");
    return "dead_lettered";
  }

  /**
   * An unfinished diagnosis whose ticket work a newer diagnosis of the device has made moot: a newer healthy
   * one (it resolves every ticket of the device), a newer one of the same fingerprint (it updated that ticket
   * with newer evidence), or, for a healthy one, any newer diagnosis (it would start the hold-down of a fault
   * the device reported since). A newer diagnosis of another fault leaves this one's ticket to open, as it
   * would have in order. Read on the redelivery path only.
   */
  async #superseded(m: DiagnosisMessage): Promise<boolean> {
    const newer = (await this.#o.store.diagnoses(m.device_id, SUPERSEDE_LOOKBACK)).filter((r) => r.ts > m.ts && r.id !== m.diagnosis_id);
    if (newer.length === SUPERSEDE_LOOKBACK || (newer.length > 0 && m.verdict.fault === "none")) return true;
    const fingerprint = fingerprintOf(m);
    return newer.some((r) => r.fault === "none" || fingerprintOf(r.message) === fingerprint);
  }

  async #accept(d: Exclude<Decoded, { ok: false }>, later: (() => void)[]): Promise<IngestOutcome> {
    const at = this.#now();
    const { store } = this.#o;
    const emit: FleetEvents["emit"] = (...args) => (later.push(() => this.#o.events.emit(...args)), true);
    // State is last-writer-wins and a Last Will reuses the msg_id fixed at connect time, so it is
    // applied every time; everything else is idempotent by msg_id (QoS 1 redelivery is normal).
    const seen = d.kind === "state" ? "new" : await store.markSeen(d.message.msg_id, d.deviceId, at, d.kind === "diagnosis");
    if (seen === "stored") {
      this.stats.duplicates++;
      return "duplicate";
    }
    switch (d.kind) {
      case "state":
        // a late Last Will of an earlier connection: the device is connected again, nothing changes
        if (!(await store.applyState(d.message, at))) return "ignored";
        emit("state", d.message);
        // offline (the Last Will) inhibits this device's cloud tickets; online lifts it
        await this.#o.tickets.onState(d.message);
        break;
      case "telemetry":
        await store.applyTelemetry(d.message, at, this.#o.historyPerDevice);
        emit("telemetry", d.message);
        break;
      case "diagnosis": {
        // free text from the device (vendor error messages, request dumps, log lines) may carry a token an
        // older or careless SDK left in: masked once here, before the store, the API and the live events
        const m = redact(d.message);
        // an unfinished mark: an earlier delivery stored the diagnosis (its row and the device's fault commit
        // with the mark) and did not finish its ticket; the ticket work is done again, the row not written twice,
        // unless a newer diagnosis of the device already decided what it would (#superseded)
        if (seen === "new") await store.applyDiagnosis(m, at);
        const moot = seen === "unfinished" && (await this.#superseded(m));
        emit("diagnosis", m);
        if (!moot) await this.#o.tickets.onDiagnosis(m, at);
        // the ticket's last write: from here a redelivery is a duplicate
        await store.finishSeen(d.message.msg_id);
        if (moot) return "ignored";
        break;
      }
      case "progress":
        emit("progress", d.message);
        break;
      case "response":
        emit("response", redact(d.message));
        break;
      case "bundle":
        emit("bundle", d.message);
        break;
      case "command":
        return "ignored";
    }
    this.stats.accepted++;
    return "accepted";
  }
}
