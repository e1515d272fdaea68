import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import type { SystemSource } from "../types.ts";

export type Stream = AudioSample["streams"][number];

/** One read of a substream's status file (`closed`, or `state: RUNNING` ... `hw_ptr : N`). */
export interface SubStatus {
  card: number;
  device: number;
  sub: number;
  direction: "capture" | "playback";
  state: string;
  ownerPid: number | null;
  hwPtr: number | null;
}

/** Parses /proc/asound/cardN/pcmMc/subK/status. A closed substream reads as the single word `closed`. */
export function parseStatus(text: string): { state: string; ownerPid: number | null; hwPtr: number | null } {
  const t = text.trim();
  if (t === "closed" || t === "") return { state: "CLOSED", ownerPid: null, hwPtr: null };
  const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(\\S+)`, "m").exec(t)?.[1] ?? null;
  const num = (v: string | null) => (v !== null && /^\d+$/.test(v) ? Number(v) : null);
  return { state: (field("state") ?? "UNKNOWN").toUpperCase(), ownerPid: num(field("owner_pid")), hwPtr: num(field("hw_ptr")) };
}

/** Reads every open substream's status on the given cards (closed ones are left out: nothing to judge). */
export async function readStatuses(source: SystemSource, cards: readonly number[]): Promise<SubStatus[]> {
  const out: SubStatus[] = [];
  for (const card of cards) {
    const entries = (await source.readDir(`/proc/asound/card${card}`)) ?? [];
    for (const e of entries.sort()) {
      const m = /^pcm(\d+)([cp])$/.exec(e);
      if (!m) continue;
      const subs = ((await source.readDir(`/proc/asound/card${card}/${e}`)) ?? []).filter((s) => /^sub\d+$/.test(s)).sort();
      for (const s of subs) {
        const text = await source.readFile(`/proc/asound/card${card}/${e}/${s}/status`);
        if (text === null) continue;
        const st = parseStatus(text);
        if (st.state === "CLOSED") continue;
        out.push({ card, device: Number(m[1]), sub: Number(s.slice(3)), direction: m[2] === "c" ? "capture" : "playback", ...st });
      }
    }
  }
  return out;
}

const keyOf = (s: Pick<SubStatus, "card" | "device" | "sub" | "direction">) => `${s.card}/${s.device}/${s.sub}/${s.direction}`;

/**
 * Judges each stream from two reads some time apart: XRUN in either read is an xrun; RUNNING in both with
 * the same hw_ptr is a stalled stream (the DMA pointer stopped: the hardware delivers nothing).
 */
export function judgeStreams(first: readonly SubStatus[], second: readonly SubStatus[]): Stream[] {
  const before = new Map(first.map((s) => [keyOf(s), s]));
  return second.slice(0, 64).map((s) => {
    const b = before.get(keyOf(s));
    const sameRun = b !== undefined && b.ownerPid === s.ownerPid && b.state === "RUNNING" && s.state === "RUNNING";
    const advancing = sameRun && b.hwPtr !== null && s.hwPtr !== null ? s.hwPtr !== b.hwPtr : null;
    const xrun = s.state === "XRUN" || b?.state === "XRUN";
    return {
      card: s.card,
      device: s.device,
      sub: s.sub,
      direction: s.direction,
      state: s.state.slice(0, 32),
      owner_pid: s.ownerPid,
      hw_ptr_advancing: advancing,
      verdict: xrun ? "xrun" : advancing === false ? "stalled" : "ok",
    };
  });
}

/**
 * Counts xruns over time. The kernel keeps no xrun counter, so we count streams seen entering XRUN:
 * a stream that stays in XRUN across samples counts once.
 */
export class XrunCounter {
  readonly #last = new Map<string, string>();
  #total = 0;

  /** Feeds one sample's reads (in order) and returns the running total. */
  observe(reads: readonly (readonly SubStatus[])[]): number {
    for (const read of reads) {
      const seen = new Set<string>();
      for (const s of read) {
        const k = keyOf(s);
        seen.add(k);
        if (s.state === "XRUN" && this.#last.get(k) !== "XRUN") this.#total++;
        this.#last.set(k, s.state);
      }
      for (const k of [...this.#last.keys()]) if (!seen.has(k)) this.#last.delete(k);
    }
    return this.#total;
  }
}

/** Sums the ERR column of the last block of `pw-top -b` output (ERR is the 9th column; NAME may hold spaces). */
export function parsePwTopErrors(text: string): number | null {
  const blocks = text.split(/^\s*S\s+ID\s+QUANT.*$/m);
  if (blocks.length < 2) return null;
  let sum = 0;
  for (const line of blocks[blocks.length - 1]!.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 9 && /^\d+$/.test(cols[1]!) && /^\d+$/.test(cols[8]!)) sum += Number(cols[8]);
  }
  return sum;
}
