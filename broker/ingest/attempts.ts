/**
 * Failed processing attempts per message id, for the poison-message rule (issue #9): a report whose own
 * processing fails (not the store's: broker/store/failures.ts) is refused and its device sends it again; one
 * that has failed `max` times is stored as a dead letter and acknowledged instead. Without the rule, one
 * report a bug or a constraint always refuses would come back forever: it would block its device's spool
 * behind it, roll back every SQLite batch it joins, and, on an external broker, stop the replica that holds
 * it (MQTT.js handles nothing else on that connection until it is acknowledged).
 *
 * Kept in memory and bounded: past `capacity` ids the oldest is forgotten, which only gives that report its
 * attempts again. A restart starts every count afresh, and each replica counts its own deliveries.
 */
export class ProcessingAttempts {
  readonly max: number;
  #capacity: number;
  #failures = new Map<string, number>();

  constructor(max: number, capacity = 10_000) {
    this.max = max;
    this.#capacity = capacity;
  }

  /** Counts one failure of this message's processing; answers how many it has had. */
  failed(msgId: string): number {
    const n = (this.#failures.get(msgId) ?? 0) + 1;
    // re-inserted so the map's order is oldest failure first
    this.#failures.delete(msgId);
    this.#failures.set(msgId, n);
    if (this.#failures.size > this.#capacity) this.#failures.delete(this.#failures.keys().next().value!);
    return n;
  }

  /** True once the message has failed `max` times: it goes to the dead letters without another attempt. */
  exhausted(msgId: string): boolean {
    return this.#failures.size > 0 && (this.#failures.get(msgId) ?? 0) >= this.max;
  }

  /** Processed or dead-lettered: nothing more to count. */
  settled(msgId: string): void {
    if (this.#failures.size > 0) this.#failures.delete(msgId);
  }

  get size(): number {
    return this.#failures.size;
  }
}
