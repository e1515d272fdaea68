import type { Logger } from "../log.ts";
import type { SpoolRecord } from "./frame.ts";
import { SegmentLog, type SpoolIo } from "./segment-log.ts";

export type { SpoolRecord } from "./frame.ts";

/** Spool figures carried in every telemetry message. */
export interface SpoolStatus {
  depth: number;
  dropped_total: number;
  mode: "disk" | "memory";
  condition: string | null;
}

export interface SpoolLimits {
  maxMessages: number;
  maxBytes: number;
  /** Bound on reports held only in memory while the disk cannot be written (ENOSPC, EIO, read-only). */
  memoryFallbackMessages: number;
}

export interface SpoolOptions extends SpoolLimits {
  /** null: a memory-only spool (tests, or a device without writable storage). */
  dir: string | null;
  log: Logger;
  now?: () => number;
  io?: SpoolIo;
  segmentBytes?: number;
  headWriteDelayMs?: number;
  /** After a disk failure, the disk is tried again no sooner than this. */
  diskRetryMs?: number;
}

interface Entry extends SpoolRecord {
  /** Written (or given up on and kept in memory): only ready entries may be published, in order. */
  ready: boolean;
  durable: boolean;
}

/**
 * The bounded report queue between the runtime and MQTT: every report is appended (and fsynced) before it
 * may be published, and removed only when the transport acknowledges its PUBACK. Full: the oldest go.
 */
export class Spool {
  #o: SpoolOptions;
  #now: () => number;
  #log: SegmentLog | null = null;
  #entries: Entry[] = [];
  #bytes = 0;
  #nextSeq = 0;
  #dropped = 0;
  #diskFailedAt: number | null = null;
  #condition: string | null = null;
  #limits: SpoolLimits;

  constructor(o: SpoolOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#limits = { maxMessages: o.maxMessages, maxBytes: o.maxBytes, memoryFallbackMessages: o.memoryFallbackMessages };
  }

  /** Recovers what the last run left on disk (after a crash too); a broken disk degrades to memory. */
  async open(): Promise<void> {
    if (this.#o.dir === null) return;
    const log = new SegmentLog({ dir: this.#o.dir, segmentBytes: this.#o.segmentBytes ?? 1024 * 1024, headWriteDelayMs: this.#o.headWriteDelayMs ?? 1000, ...(this.#o.io ? { io: this.#o.io } : {}) });
    try {
      const { records, headSeq, droppedTotal } = await log.open();
      this.#log = log;
      this.#dropped = droppedTotal;
      for (const r of records) this.#push({ ...r, ready: true, durable: true });
      this.#nextSeq = Math.max(headSeq, records.length ? records[records.length - 1]!.seq + 1 : 0);
      if (records.length) this.#o.log.info({ recovered: records.length }, "spooled reports recovered");
      this.#enforceLimits();
    } catch (err) {
      this.#diskFailed(err as NodeJS.ErrnoException);
    }
  }

  /** Queues one report; resolves once it is on disk, or held in memory when the disk refuses it. */
  async append(kind: string, payload: Buffer): Promise<void> {
    const e: Entry = { seq: this.#nextSeq++, kind, payload, ready: false, durable: false };
    this.#push(e);
    this.#enforceLimits();
    if (this.#log && this.#mayTryDisk()) {
      try {
        await this.#log.append(e);
        e.durable = true;
        if (this.#diskFailedAt !== null) this.#diskRecovered();
      } catch (err) {
        this.#diskFailed(err as NodeJS.ErrnoException);
      }
    }
    e.ready = true;
    this.#enforceLimits();
  }

  /** Up to `n` publishable records after `afterSeq`, oldest first; stops at a record still being written. */
  peek(afterSeq: number, n: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    for (const e of this.#entries) {
      if (out.length >= n || !e.ready) break;
      if (e.seq > afterSeq) out.push(e);
    }
    return out;
  }

  /** The broker acknowledged this record (PUBACK): it leaves the queue. */
  ack(seq: number): void {
    const i = this.#entries.findIndex((e) => e.seq === seq);
    if (i < 0) return;
    this.#bytes -= this.#entries[i]!.payload.length;
    this.#entries.splice(i, 1);
    this.#persistHead();
  }

  status(): SpoolStatus {
    const memory = this.#o.dir === null || this.#log === null || this.#diskFailedAt !== null;
    return { depth: this.#entries.length, dropped_total: this.#dropped, mode: memory ? "memory" : "disk", condition: this.#condition };
  }

  /** Applies new bounds (config reload); a smaller bound drops the oldest at once. */
  setLimits(l: SpoolLimits): void {
    this.#limits = { ...l };
    this.#enforceLimits();
  }

  async close(): Promise<void> {
    await this.#log?.close();
    this.#log = null;
  }

  #push(e: Entry): void {
    this.#entries.push(e);
    this.#bytes += e.payload.length;
  }

  #enforceLimits(): void {
    const { maxMessages, maxBytes, memoryFallbackMessages } = this.#limits;
    let dropped = 0;
    while (this.#entries.length > 1 && (this.#entries.length > maxMessages || this.#bytes > maxBytes)) {
      this.#drop(0);
      dropped++;
    }
    let memoryOnly = this.#entries.filter((e) => e.ready && !e.durable).length;
    for (let i = 0; memoryOnly > memoryFallbackMessages && i < this.#entries.length; ) {
      const e = this.#entries[i]!;
      if (e.ready && !e.durable) {
        this.#drop(i);
        dropped++;
        memoryOnly--;
      } else i++;
    }
    if (dropped) {
      this.#o.log.warn({ dropped, dropped_total: this.#dropped }, "spool full: oldest reports dropped");
      this.#persistHead();
    }
  }

  #drop(i: number): void {
    this.#bytes -= this.#entries[i]!.payload.length;
    this.#entries.splice(i, 1);
    this.#dropped++;
  }

  #persistHead(): void {
    this.#log?.setHead(this.#entries[0]?.seq ?? this.#nextSeq, this.#dropped);
  }

  #mayTryDisk(): boolean {
    return this.#diskFailedAt === null || this.#now() - this.#diskFailedAt >= (this.#o.diskRetryMs ?? 60_000);
  }

  #diskFailed(err: NodeJS.ErrnoException): void {
    const first = this.#diskFailedAt === null;
    this.#diskFailedAt = this.#now();
    const what = err.code === "ENOSPC" || err.code === "EDQUOT" ? "disk full" : `disk unusable: ${err.code ?? err.message}`;
    this.#condition = `spool ${what}; holding up to ${this.#limits.memoryFallbackMessages} reports in memory`;
    if (first) this.#o.log.error({ dir: this.#o.dir, code: err.code, err: err.message }, `spool ${what}; falling back to memory (reports may be lost on power loss)`);
  }

  #diskRecovered(): void {
    this.#diskFailedAt = null;
    this.#condition = null;
    this.#o.log.info({ dir: this.#o.dir }, "spool disk writable again");
  }
}
