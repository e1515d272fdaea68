import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { responseLatencyMs } from "../../shared/probe-latency.ts";
import { ProbesConfigSchema } from "./config.ts";
import { runRealtimeProbe } from "./realtime.ts";

// request_sent_ms is the end of the user's turn: with an upload still queued behind a slow uplink, it must be the
// moment the last frame went out, not the moment the probe asked to send it (which would count the upload as the
// cloud's latency). A cloud that stops reading for a while stands in for the slow uplink: the queued frames can
// only leave once it reads again, so no honest stamp can come before that.
const HOLD_MS = 300;
let wss: WebSocketServer | null = null;

afterEach(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise((resolve) => (wss ? wss.close(resolve) : resolve(undefined)));
  wss = null;
});

describe("realtime probe: the request's end behind a queued upload", () => {
  it("is stamped when the last frame was handed over, after the cloud read the upload, not when it was queued", async () => {
    let resumedAt = 0;
    let requestAt = 0;
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    wss.on("connection", (ws, req) => {
      // the cloud stops reading: the probe's frames fill the kernel's buffers and queue in the client
      req.socket.pause();
      setTimeout(() => { resumedAt = performance.now(); req.socket.resume(); }, HOLD_MS);
      ws.on("message", (data: Buffer) => {
        if (!data.includes("response.create")) return;
        requestAt = performance.now();
        ws.send(JSON.stringify({ type: "response.output_audio.delta", delta: "AAAA" }));
        ws.send(JSON.stringify({ type: "response.done", response: { id: "r1", status: "completed" } }));
      });
    });
    await new Promise((resolve) => wss!.once("listening", resolve));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/realtime`;
    const config = ProbesConfigSchema.parse({ adapter: "realtime", realtime: { url }, status_page_url: null, probe_timeout_ms: 20_000 });
    let t0: number | null = null;
    const now = () => { const t = performance.now(); t0 ??= t; return t; };
    // 24 MB of PCM: some 32 MB of frames, more than loopback's socket buffers hold
    const run = await runRealtimeProbe(config, { kind: "voice", pcm16: Buffer.alloc(24 * 1024 * 1024), expectedWords: [] }, { apiKey: null, signal: new AbortController().signal, now, wallNow: Date.now, log: pino({ level: "silent" }) });
    expect(run.result).toBe("ok");
    const sentAt = t0! + run.request_sent_ms!;
    // never before the cloud could take the frames (0.1 ms: the wire's rounding), and not after the cloud had it
    expect(sentAt).toBeGreaterThanOrEqual(resumedAt - 0.1);
    expect(sentAt).toBeLessThanOrEqual(requestAt + 0.1);
    expect(responseLatencyMs(run)).not.toBeNull();
  }, 30_000);
});
