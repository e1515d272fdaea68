import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { decodeFrames, encodeFrame, type SpoolRecord } from "./frame.ts";

/** The file operations the log needs; tests inject one that fails with ENOSPC. */
export interface SpoolIo {
  open(path: string, flags: string): Promise<Pick<FileHandle, "write" | "datasync" | "truncate" | "close">>;
}

export const realIo: SpoolIo = { open: (path, flags) => open(path, flags) };

export interface SegmentLogOptions {
  dir: string;
  /** A new segment file starts past this size, so consumed records can be deleted file by file. */
  segmentBytes: number;
  /** The head pointer is written at most this often (it is only an optimisation, see README). */
  headWriteDelayMs: number;
  io?: SpoolIo;
}

interface Segment {
  path: string;
  lastSeq: number;
}

interface Pending {
  frame: Buffer;
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEGMENT_RE = /^(\d{16})\.seg$/;
const HEAD_FILE = "head.json";

/**
 * Append-only segment files with group commit: every frame queued while a write+fdatasync is in flight goes
 * out in the next single write+fdatasync, and each append resolves only once its bytes are on disk. The head
 * (first unacknowledged seq) lives in a small file replaced by rename. See agent/spool/README.md.
 */
export class SegmentLog {
  #o: SegmentLogOptions;
  #io: SpoolIo;
  #segments: Segment[] = [];
  #active: { handle: Awaited<ReturnType<SpoolIo["open"]>>; path: string; bytes: number } | null = null;
  #queue: Pending[] = [];
  #writing: Promise<void> | null = null;
  #head = { seq: 0, dropped: 0 };
  #headTimer: NodeJS.Timeout | null = null;
  #headDirty = false;
  #nextFileSeq = 0;

  constructor(o: SegmentLogOptions) {
    this.#o = o;
    this.#io = o.io ?? realIo;
  }

  /** Reads what survived: records at or past the stored head, in order, and the drop count so far. */
  async open(): Promise<{ records: SpoolRecord[]; headSeq: number; droppedTotal: number }> {
    await mkdir(this.#o.dir, { recursive: true });
    try {
      const h = JSON.parse(await readFile(join(this.#o.dir, HEAD_FILE), "utf8")) as { head_seq?: unknown; dropped_total?: unknown };
      if (typeof h.head_seq === "number" && typeof h.dropped_total === "number") this.#head = { seq: h.head_seq, dropped: h.dropped_total };
    } catch {
      // no head yet (first start) or a torn head file: replay everything on disk; the fleet dedups by msg_id
    }
    const names = (await readdir(this.#o.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    const records: SpoolRecord[] = [];
    for (const name of names) {
      const path = join(this.#o.dir, name);
      const buf = await readFile(path);
      const { records: rs, validBytes } = decodeFrames(buf);
      if (validBytes < buf.length) {
        // a torn tail from a crash or power loss mid-write: those bytes were never acknowledged to anyone
        const h = await this.#io.open(path, "r+");
        await h.truncate(validBytes);
        await h.close();
      }
      const live = rs.filter((r) => r.seq >= this.#head.seq);
      if (live.length === 0) {
        await rm(path, { force: true });
        continue;
      }
      records.push(...live);
      this.#segments.push({ path, lastSeq: rs[rs.length - 1]!.seq });
    }
    records.sort((a, b) => a.seq - b.seq);
    this.#nextFileSeq = names.length ? Number(SEGMENT_RE.exec(names[names.length - 1]!)![1]) + 1 : 0;
    return { records, headSeq: this.#head.seq, droppedTotal: this.#head.dropped };
  }

  /** Resolves once the record is on disk (fdatasync); rejects with the fs error (ENOSPC, EIO...). */
  append(r: SpoolRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ frame: encodeFrame(r), seq: r.seq, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0);
        try {
          await this.#writeBatch(batch);
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    if (!this.#active || this.#active.bytes >= this.#o.segmentBytes) await this.#rotate();
    const a = this.#active!;
    const bytes = Buffer.concat(batch.map((p) => p.frame));
    try {
      let off = 0;
      while (off < bytes.length) off += (await a.handle.write(bytes, off, bytes.length - off)).bytesWritten;
      await a.handle.datasync();
    } catch (err) {
      // cut a partial write off so later frames are not hidden behind a corrupt one; if even that fails,
      // abandon the file (recovery stops at the corrupt frame, and nothing after it was acknowledged)
      await a.handle.truncate(a.bytes).catch(() => this.#abandonActive());
      throw err;
    }
    a.bytes += bytes.length;
    this.#segments[this.#segments.length - 1]!.lastSeq = batch[batch.length - 1]!.seq;
  }

  #abandonActive(): void {
    const a = this.#active;
    this.#active = null;
    void a?.handle.close().catch(() => undefined);
  }

  async #rotate(): Promise<void> {
    this.#abandonActive();
    const path = join(this.#o.dir, `${String(this.#nextFileSeq++).padStart(16, "0")}.seg`);
    const handle = await this.#io.open(path, "a");
    this.#active = { handle, path, bytes: 0 };
    this.#segments.push({ path, lastSeq: -1 });
  }

  /** Records the new head and drop count; written lazily, and fully consumed segments are deleted. */
  setHead(seq: number, droppedTotal: number): void {
    if (seq === this.#head.seq && droppedTotal === this.#head.dropped) return;
    this.#head = { seq, dropped: droppedTotal };
    this.#headDirty = true;
    this.#headTimer ??= setTimeout(() => void this.#flushHead(), this.#o.headWriteDelayMs).unref();
  }

  async #flushHead(): Promise<void> {
    if (this.#headTimer) clearTimeout(this.#headTimer);
    this.#headTimer = null;
    if (!this.#headDirty) return;
    this.#headDirty = false;
    const path = join(this.#o.dir, HEAD_FILE);
    try {
      await writeFile(`${path}.tmp`, JSON.stringify({ head_seq: this.#head.seq, dropped_total: this.#head.dropped }));
      await rename(`${path}.tmp`, path);
    } catch {
      // a head that could not be written only means redelivery after a restart (deduplicated by msg_id)
    }
    const head = this.#head.seq;
    const keep: Segment[] = [];
    for (const s of this.#segments) {
      const consumed = s.lastSeq >= 0 && s.lastSeq < head && s.path !== this.#active?.path;
      if (consumed) await rm(s.path, { force: true }).catch(() => undefined);
      else keep.push(s);
    }
    this.#segments = keep;
  }

  /** Waits for queued writes, persists the head, closes the file. */
  async close(): Promise<void> {
    await this.#writing;
    await this.#flushHead();
    this.#abandonActive();
  }
}
