import http from "node:http";
import https from "node:https";
import { newMessageId, type MessageOf } from "../../shared/index.ts";
import type { DeviceKind } from "../transport/types.ts";
import type { BuiltBundle } from "./builder.ts";

/** Raw bytes per chunk: 45,000 bytes are 60,000 base64 characters, under BundleChunk's 64 KiB bound. */
export const CHUNK_BYTES = 45_000;

export interface DeliverOptions {
  id: string;
  deviceId: string;
  send: <K extends DeviceKind>(kind: K, message: MessageOf<K>) => Promise<void>;
  progress: (step: string, done: number, total: number, detail?: string) => void;
  now: () => number;
  signal: AbortSignal;
}

/** Sends the bundle as BundleChunk messages (spooled, QoS 1, in order); the fleet checks the sha256. */
export async function deliverOverMqtt(b: BuiltBundle, o: DeliverOptions): Promise<{ delivery: "mqtt"; chunks: number; bytes: number; sha256: string }> {
  const total = Math.max(1, Math.ceil(b.gzip.length / CHUNK_BYTES));
  for (let index = 0; index < total; index++) {
    o.signal.throwIfAborted();
    const data = b.gzip.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES).toString("base64");
    await o.send("bundle", { v: 1, device_id: o.deviceId, ts: o.now(), msg_id: newMessageId(), id: o.id, index, total, sha256: b.sha256, data });
    o.progress("bundle chunks", index + 1, total);
  }
  return { delivery: "mqtt", chunks: total, bytes: b.gzip.length, sha256: b.sha256 };
}

/**
 * PUTs the bundle to a (pre-signed) upload URL; a non-2xx answer is a failure with its status. A redirect
 * is one too: it would carry the device's logs and config to wherever it points, so only the given URL.
 * node:http(s), not `fetch`: fetch parses HTTP in WebAssembly, which the executable's --lite-mode lacks.
 */
export async function deliverToUrl(b: BuiltBundle, url: string, o: DeliverOptions): Promise<{ delivery: "upload"; status: number; bytes: number; sha256: string }> {
  o.progress("upload", 0, 1);
  const status = await put(url, b.gzip, {
    headers: { "content-type": "application/gzip", "x-bundle-sha256": b.sha256, "x-device-id": o.deviceId },
    signal: AbortSignal.any([o.signal, AbortSignal.timeout(120_000)]),
  });
  if (status < 200 || status > 299) throw new Error(`upload refused with HTTP ${status}; check that the upload URL is valid and not expired`);
  o.progress("upload", 1, 1);
  return { delivery: "upload", status, bytes: b.gzip.length, sha256: b.sha256 };
}

/** One PUT of `body`; resolves with the status once the answer has been read (its body is discarded). */
function put(url: string, body: Buffer, opts: { headers: Record<string, string>; signal: AbortSignal }): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = new URL(url).protocol === "https:" ? https : http;
    const req = lib.request(url, { method: "PUT", signal: opts.signal, headers: { ...opts.headers, "content-length": String(body.length) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
