import { crc32 } from "node:zlib";

/** One spooled report: its order (seq), the message kind and the exact bytes to publish. */
export interface SpoolRecord {
  seq: number;
  kind: string;
  payload: Buffer;
}

// Frame: u32 body length | u32 crc32(body) | body; body: f64 seq | u8 kind length | kind | payload.
// The CRC is what lets recovery tell a torn tail (power lost mid-write) from a complete record.
const HEADER = 8;

/** Encodes one record as a self-checking frame. */
export function encodeFrame(r: SpoolRecord): Buffer {
  const kind = Buffer.from(r.kind, "utf8");
  if (kind.length > 255) throw new Error(`spool kind '${r.kind}' is longer than 255 bytes`);
  const body = Buffer.allocUnsafe(9 + kind.length + r.payload.length);
  body.writeDoubleBE(r.seq, 0);
  body.writeUInt8(kind.length, 8);
  kind.copy(body, 9);
  r.payload.copy(body, 9 + kind.length);
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/**
 * Decodes the frames of one segment. Stops at the first incomplete or corrupt frame and returns the byte
 * offset of the valid prefix, so the caller can cut a torn tail off before appending again.
 */
export function decodeFrames(buf: Buffer): { records: SpoolRecord[]; validBytes: number } {
  const records: SpoolRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32BE(off);
    const crc = buf.readUInt32BE(off + 4);
    if (len < 9 || off + HEADER + len > buf.length) break;
    const body = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(body) !== crc) break;
    const kindLen = body.readUInt8(8);
    if (9 + kindLen > len) break;
    records.push({
      seq: body.readDoubleBE(0),
      kind: body.subarray(9, 9 + kindLen).toString("utf8"),
      payload: Buffer.from(body.subarray(9 + kindLen)),
    });
    off += HEADER + len;
  }
  return { records, validBytes: off };
}
