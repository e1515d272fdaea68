/**
 * The measurement floor of the probe-accuracy benchmark: the smallest client that can time "first delta"
 * against the reference cloud, written from the protocol alone and sharing no code with the agent's
 * probes. It sends the same payloads (same question, same PCM16 utterance) so the simulator does the
 * same work; what remains between it and the agent is the agent's own overhead.
 */
import http, { type IncomingMessage } from "node:http";
import WebSocket from "ws";

/** Time to the first delta in ms from the moment the whole request was written, or null on any failure. */
export type FirstDeltaMs = number | null;

const TIMEOUT_MS = 10_000;
const APPEND_CHUNK_BYTES = 32 * 1024;

/** One Realtime exchange: text question → first text delta, or PCM16 24 kHz audio → first audio delta. */
export function bareRealtime(wsUrl: string, apiKey: string, input: { kind: "text"; question: string } | { kind: "voice"; pcm16: Buffer }): Promise<FirstDeltaMs> {
  let sentAt: number | null = null;
  return new Promise((resolve) => {
    const url = new URL(wsUrl);
    url.searchParams.set("model", "gpt-realtime");
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
    const done = (v: FirstDeltaMs) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), TIMEOUT_MS);
    const want = input.kind === "voice" ? "response.output_audio.delta" : "response.output_text.delta";
    ws.on("error", () => done(null));
    ws.on("close", () => done(null));
    ws.on("open", () => {
      const send = (ev: object) => ws.send(JSON.stringify(ev));
      send({ type: "session.update", session: { type: "realtime", output_modalities: [input.kind === "voice" ? "audio" : "text"], audio: { input: { format: { type: "audio/pcm", rate: 24_000 }, transcription: input.kind === "voice" ? { model: "gpt-4o-mini-transcribe" } : null, turn_detection: null } } } });
      if (input.kind === "voice") {
        for (let off = 0; off < input.pcm16.length; off += APPEND_CHUNK_BYTES) send({ type: "input_audio_buffer.append", audio: input.pcm16.subarray(off, off + APPEND_CHUNK_BYTES).toString("base64") });
        send({ type: "input_audio_buffer.commit" });
      } else {
        send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text: input.question }] } });
      }
      // timed as the agent times it: before the write when it went to the kernel at once, else at its callback
      const before = performance.now();
      ws.send(JSON.stringify({ type: "response.create" }), (err) => { if (!err) sentAt ??= performance.now(); });
      if (ws.bufferedAmount === 0) sentAt = before;
    });
    ws.on("message", (data: Buffer) => {
      // a substring test before parsing: the floor should not pay for JSON.parse of every event
      if (data.includes(want)) done(sentAt === null ? null : performance.now() - sentAt);
    });
  });
}

/** One streamed HTTP exchange (the simulator's `/v1/chat` or `/v1/voice`): time to the first body chunk. */
export function bareHttp(url: string, apiKey: string, body: object): Promise<FirstDeltaMs> {
  let sentAt: number | null = null;
  const text = JSON.stringify(body);
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: FirstDeltaMs) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), TIMEOUT_MS);
    const req = http.request(url, { method: "POST", agent: false, headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) } });
    // written once connected and timed as the agent times it: before end() when it all went to the kernel at once
    req.on("socket", (s) => s.once("connect", () => {
      const before = performance.now();
      req.end(text);
      if (s.writableLength === 0) sentAt = before;
    }));
    req.on("finish", () => (sentAt ??= performance.now()));
    req.on("error", () => done(null));
    req.on("response", (res: IncomingMessage) => {
      if ((res.statusCode ?? 0) >= 400) return done(null);
      res.once("data", () => done(sentAt === null ? null : performance.now() - sentAt));
      res.on("error", () => done(null));
    });
  });
}
