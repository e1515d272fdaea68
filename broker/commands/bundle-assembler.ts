import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { BundleChunk } from "../../shared/index.ts";
import type { BundleResult } from "./types.ts";

export type AssemblyOutcome = { done: false } | { done: true; ok: true; bundle: BundleResult } | { done: true; ok: false; reason: string };

interface Partial {
  total: number;
  sha256: string;
  chunks: Map<number, Buffer>;
  bytes: number;
  firstAt: number;
}

/**
 * Puts support bundles back together from their chunks (any order, redeliveries harmless), checks the
 * sha256 of the whole gzip, and decompresses it. Bounded: a device cannot make the fleet hold more than
 * `maxBytes` per bundle or more than `maxPending` bundles, and stale partial bundles are forgotten.
 */
export class BundleAssembler {
  #pending = new Map<string, Partial>();
  #o: { maxPending: number; maxBytes: number; ttlMs: number; now: () => number };

  constructor(o: { maxPending?: number; maxBytes?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#o = { maxPending: o.maxPending ?? 32, maxBytes: o.maxBytes ?? 32 * 1024 * 1024, ttlMs: o.ttlMs ?? 30 * 60_000, now: o.now ?? Date.now };
  }

  add(c: BundleChunk): AssemblyOutcome {
    this.#expire();
    let p = this.#pending.get(c.id);
    if (!p) {
      if (this.#pending.size >= this.#o.maxPending) return { done: true, ok: false, reason: `more than ${this.#o.maxPending} bundles in transfer at once` };
      p = { total: c.total, sha256: c.sha256, chunks: new Map(), bytes: 0, firstAt: this.#o.now() };
      this.#pending.set(c.id, p);
    }
    if (c.total !== p.total || c.sha256 !== p.sha256 || c.index >= p.total) return this.#fail(c.id, `chunk ${c.index} disagrees with the bundle's total or sha256`);
    if (!p.chunks.has(c.index)) {
      const data = Buffer.from(c.data, "base64");
      p.bytes += data.length;
      if (p.bytes > this.#o.maxBytes) return this.#fail(c.id, `bundle exceeds ${this.#o.maxBytes} bytes`);
      p.chunks.set(c.index, data);
    }
    if (p.chunks.size < p.total) return { done: false };
    this.#pending.delete(c.id);
    const gz = Buffer.concat(Array.from({ length: p.total }, (_, i) => p.chunks.get(i)!));
    const sha = createHash("sha256").update(gz).digest("hex");
    if (sha !== p.sha256) return { done: true, ok: false, reason: `bundle sha256 mismatch (got ${sha.slice(0, 12)}…, expected ${p.sha256.slice(0, 12)}…)` };
    try {
      return { done: true, ok: true, bundle: { sha256: sha, bytes: gz.length, content: JSON.parse(gunzipSync(gz, { maxOutputLength: this.#o.maxBytes * 8 }).toString("utf8")) } };
    } catch (err) {
      return { done: true, ok: false, reason: `bundle is not gzip JSON: ${(err as Error).message}` };
    }
  }

  #fail(id: string, reason: string): AssemblyOutcome {
    this.#pending.delete(id);
    return { done: true, ok: false, reason };
  }

  #expire(): void {
    const cutoff = this.#o.now() - this.#o.ttlMs;
    for (const [id, p] of this.#pending) if (p.firstAt < cutoff) this.#pending.delete(id);
  }
}
