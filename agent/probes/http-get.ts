import http, { type IncomingMessage } from "node:http";
import https from "node:https";

/** The answer to one GET: status and the body as text (cut at `maxBytes`). */
export interface GetResult {
  status: number;
  ok: boolean;
  text: string;
}

/**
 * GET over node:http(s), rejecting with the socket's own error (`ECONNREFUSED`, …) or an AbortError.
 *
 * Why not `fetch`: the first fetch loads Node's bundled undici (0.8 MB of source kept in the heap, plus
 * its WebAssembly HTTP parser), and WebAssembly does not exist under the `--jitless`/`--lite-mode` flags
 * the device executable runs with to stay small (issue #9). node:http is already loaded for the probes.
 */
export function getText(url: string, opts: { signal: AbortSignal; headers?: Record<string, string>; maxBytes?: number }): Promise<GetResult> {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const lib = url.startsWith("https:") ? https : http;
    const req = lib.get(url, { signal: opts.signal, headers: opts.headers ?? {} }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (c: Buffer) => {
        if (kept >= maxBytes) return;
        chunks.push(c.subarray(0, maxBytes - kept));
        kept += Math.min(c.length, maxBytes - kept);
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
