/**
 * Failed processing attempts per message id, for the poison-message rule (issue #9): a report whose own
 * processing fails (not the store's: broker/store/failures.ts) is refused and its device sends it again; at
 * its `max`-th failure it is stored as a dead letter and acknowledged instead. Without the rule, one report
 * a bug or a constraint always refuses would come back forever: it would block its device's spool behind
 * it, roll back every SQLite batch it joins, and, on an external broker, stop the replica that holds it
 * (MQTT.js handles nothing else on that connection until it is acknowledged).
 *
 * Kept in memory and bounded: past `capacity` ids the oldest is forgotten, which only gives that report its
 * attempts again. A restart starts every count afresh, and each replica counts its own deliveries. A
 * dead-lettered id is remembered too, so a redelivery (its PUBACK lost, a retained state message) is
 * acknowledged as a duplicate; the store's seen mark, written with the dead letter, does the same across
 * restarts for every kind but state.
 */
export class ProcessingAttempts {
  readonly max: number;
  #capacity: number;
  /** failures so far, or DEAD once the report is a dead letter; oldest entry first */
  #entries = new Map<string, number>();

  constructor(max: number, capacity = 10_000) {
    this.max = max;
    this.#capacity = capacity;
  }

  /** Counts one failure of this message's own processing; answers how many it has had. */
  failed(msgId: string): number {
    const n = Math.max(0, this.#entries.get(msgId) ?? 0) + 1;
    this.#set(msgId, n);
    return n;
  }

  /** The report is a dead letter now: a redelivery is a duplicate. */
  deadLettered(msgId: string): void {
    this.#set(msgId, DEAD);
  }

  isDeadLetter(msgId: string): boolean {
    return this.#entries.size > 0 && this.#entries.get(msgId) === DEAD;
  }

  /** Processed: nothing more to count. */
  settled(msgId: string): void {
    if (this.#entries.size > 0) this.#entries.delete(msgId);
  }

  get size(): number {
    return this.#entries.size;
  }

  #set(msgId: string, n: number): void {
    // re-inserted so the map's order is the oldest change first
    this.#entries.delete(msgId);
    this.#entries.set(msgId, n);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

const DEAD = -1;
