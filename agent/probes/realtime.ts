import type { ClientRequest, IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import WebSocket from "ws";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { ProbesConfig } from "./config.ts";
import { answerMatches, clip, emptyRun, errorInfo, ms, transcriptHasWords, transportCode, type ProbeContext } from "./run.ts";

/** The Realtime API wants PCM16 mono at 24 kHz for `audio/pcm` input (GA) / `pcm16` (beta). */
export const REALTIME_INPUT_RATE_HZ = 24_000;

/** What one Realtime probe sends: the question as text, or the canned utterance as PCM16 24 kHz. */
export type RealtimeProbeInput =
  | { kind: "text"; question: string }
  | { kind: "voice"; pcm16: Buffer; expectedWords: readonly string[] };

// GA names first, beta names second: the adapter accepts both (issue #4).
const AUDIO_DELTA = new Set(["response.output_audio.delta", "response.audio.delta"]);
const TEXT_DELTA = new Set(["response.output_text.delta", "response.text.delta"]);
const TRANSCRIPT_DELTA = new Set(["response.output_audio_transcript.delta", "response.audio_transcript.delta"]);
const TRANSCRIPTION_DONE = "conversation.item.input_audio_transcription.completed";
const TRANSCRIPTION_FAILED = "conversation.item.input_audio_transcription.failed";
/** Transcription is asynchronous and may land after response.done; wait this long for it, at most. */
const TRANSCRIPT_GRACE_MS = 1500;
const APPEND_CHUNK_BYTES = 32 * 1024;

interface RealtimeEvent {
  type?: string;
  delta?: string;
  transcript?: string;
  session?: { id?: string };
  error?: { type?: string; code?: string | number | null; message?: string };
  response?: { id?: string; status?: string; status_details?: { type?: string; reason?: string; error?: { type?: string; code?: string | number | null; message?: string } } };
}

/** The session.update for this probe, in GA or beta shape. */
export function sessionUpdate(config: ProbesConfig, kind: "text" | "voice"): object {
  const rt = config.realtime;
  const audioOut = kind === "voice" && rt.voice_output === "audio";
  const transcription = kind === "voice" && rt.transcription_model ? { model: rt.transcription_model } : null;
  if (rt.api_version === "beta") {
    return { type: "session.update", session: { modalities: audioOut ? ["audio", "text"] : ["text"], input_audio_format: "pcm16", input_audio_transcription: transcription, turn_detection: null } };
  }
  return {
    type: "session.update",
    session: {
      type: "realtime",
      model: config.model,
      output_modalities: audioOut ? ["audio"] : ["text"],
      // turn detection off: the probe commits the buffer itself, so timing does not depend on VAD
      audio: { input: { format: { type: "audio/pcm", rate: REALTIME_INPUT_RATE_HZ }, transcription, turn_detection: null } },
    },
  };
}

/** Runs one probe over the Realtime WebSocket protocol; never throws — failures are data in the ProbeRun. */
export function runRealtimeProbe(config: ProbesConfig, input: RealtimeProbeInput, ctx: ProbeContext): Promise<ProbeRun> {
  const t0 = ctx.now();
  const run = emptyRun(input.kind, "realtime", ctx.wallNow());
  const since = () => ms(ctx.now() - t0);
  const secrets = [ctx.apiKey];
  const log = ctx.log.child({ unit: "probe", probe: input.kind, adapter: "realtime" });
  let answer = "";
  let responseDone = false;
  let transcriptionSettled = !(input.kind === "voice" && config.realtime.transcription_model);

  return new Promise<ProbeRun>((resolve) => {
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const url = new URL(config.realtime.url);
    if (!url.searchParams.has("model")) url.searchParams.set("model", config.model);
    const headers: Record<string, string> = {};
    if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
    if (config.realtime.api_version === "beta") headers["openai-beta"] = "realtime=v1";

    const finish = (result: ProbeRun["result"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      ctx.signal.removeEventListener("abort", onAbort);
      run.result = result;
      if (run.total_ms === null) run.total_ms = since();
      if (answer) run.answer = clip(answer, 500);
      run.answer_ok = answer ? answerMatches(answer, config.expected_answer_pattern) : result === "ok" ? false : null;
      if (input.kind === "voice" && run.transcript !== null) run.transcript_ok = run.transcript.length > 0 && transcriptHasWords(run.transcript, input.expectedWords);
      if (input.kind === "voice" && run.transcript === null && !transcriptionSettled && result === "ok") run.transcript_ok = false;
      ws.removeAllListeners();
      ws.on("error", () => {});
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      log.debug({ result, total_ms: run.total_ms, error: run.error?.code }, "realtime probe done");
      resolve(run);
    };
    const onAbort = () => {
      run.error ??= errorInfo("probe_timeout", `no complete response within the probe timeout (${since()} ms elapsed)`, secrets);
      finish("timeout");
    };
    const maybeDone = () => {
      if (responseDone && transcriptionSettled) finish(run.error && !isTranscriptionError(run) ? "error" : "ok");
    };

    let ws: WebSocket;
    try {
      ws = makeSocket();
    } catch (err) {
      // only a malformed URL gets here (config validation should have caught it): still data, not a throw
      run.error = errorInfo("invalid_url", (err as Error).message, secrets);
      run.result = "error";
      run.total_ms = since();
      return resolve(run);
    }
    function makeSocket(): WebSocket {
      return new WebSocket(url, {
        headers,
        handshakeTimeout: config.connect_timeout_ms,
        perMessageDeflate: false,
        finishRequest: (req: ClientRequest) => {
          req.on("socket", (s: Socket) => {
            s.once("lookup", () => (run.dns_ms = since()));
            s.once("connect", () => (run.connect_ms = since()));
            s.once("secureConnect", () => (run.tls_ms = ms(ctx.now() - t0 - (run.connect_ms ?? 0))));
          });
          req.end();
        },
      });
    }
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    ws.on("upgrade", (res: IncomingMessage) => {
      const rid = res.headers["x-request-id"];
      if (typeof rid === "string") run.request_id = clip(rid, 128);
    });
    ws.on("unexpected-response", (req: ClientRequest, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { if (body.length < 4096) body += c; });
      res.on("end", () => {
        const rid = res.headers["x-request-id"];
        if (typeof rid === "string") run.request_id = clip(rid, 128);
        const parsed = parseJson(body) as { error?: { message?: string; code?: unknown } } | null;
        const vendor = parsed?.error?.code;
        const code = typeof vendor === "number" || (typeof vendor === "string" && /^1\d{4}$/.test(vendor)) ? String(vendor) : `ws_handshake_${status}`;
        run.error = errorInfo(code, parsed?.error?.message ?? `WebSocket upgrade refused with HTTP ${status}`, secrets, { http_status: status });
        run.bytes_received += Buffer.byteLength(body);
        finish("error");
      });
      res.on("error", () => finish("error"));
      req.on("error", () => {});
    });
    ws.on("error", (err: Error) => {
      const code = transportCode(err);
      run.error ??= errorInfo(code, err.message || code, secrets);
      finish(code === "ECONNREFUSED" ? "refused" : /timed? ?out/i.test(err.message) ? "timeout" : "error");
    });
    ws.on("close", (code: number, reason: Buffer) => {
      run.error ??= errorInfo(`ws_close_${code}`, reason.toString("utf8") || `connection closed (${code}) before the response completed`, secrets);
      finish("error");
    });
    ws.on("open", () => {
      const send = (ev: object, written?: () => void) => {
        const text = JSON.stringify(ev);
        run.bytes_sent += Buffer.byteLength(text);
        ws.send(text, written && ((err) => { if (!err) written(); }));
      };
      send(sessionUpdate(config, input.kind));
      if (input.kind === "voice") {
        for (let off = 0; off < input.pcm16.length; off += APPEND_CHUNK_BYTES) {
          send({ type: "input_audio_buffer.append", audio: input.pcm16.subarray(off, off + APPEND_CHUNK_BYTES).toString("base64") });
        }
        send({ type: "input_audio_buffer.commit" });
      } else {
        send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text: input.question }] } });
      }
      // The end of the user's turn: the cloud's response latency runs from here (responseLatencyMs). When the frame
      // went to the kernel within send() (nothing left queued), the time before the call is never after the cloud
      // had it; a write callback comes 0.2–0.5 ms later, by which time a nearby cloud may already have answered.
      // Otherwise (earlier frames still queued, and always over TLS, whose socket reports its write pending until the
      // encrypted bytes are out) it is the moment the frame was handed over.
      const before = since();
      send({ type: "response.create" }, () => (run.request_sent_ms ??= since()));
      if (ws.bufferedAmount === 0) run.request_sent_ms = before;
    });
    ws.on("message", (data: Buffer) => {
      run.bytes_received += data.length;
      const ev = parseJson(data.toString("utf8")) as RealtimeEvent | null;
      const type = ev?.type;
      if (!ev || !type) return;
      if (type === "session.created" && !run.request_id && ev.session?.id) run.request_id = clip(ev.session.id, 128);
      else if (AUDIO_DELTA.has(type)) run.first_audio_ms ??= since();
      else if (TEXT_DELTA.has(type) || TRANSCRIPT_DELTA.has(type)) {
        run.first_text_ms ??= since();
        answer += ev.delta ?? "";
      } else if (type === TRANSCRIPTION_DONE) {
        run.transcript = clip(ev.transcript ?? "", 500);
        transcriptionSettled = true;
        maybeDone();
      } else if (type === TRANSCRIPTION_FAILED) {
        run.transcript = "";
        run.error ??= errorInfo(String(ev.error?.code ?? "transcription_error"), ev.error?.message ?? "input audio transcription failed", secrets, { type: "transcription_error" });
        transcriptionSettled = true;
        maybeDone();
      } else if (type === "error") {
        const e = ev.error ?? {};
        run.error = errorInfo(String(e.code ?? e.type ?? "realtime_error"), e.message ?? "error event without a message", secrets, { type: e.type ?? null });
        finish("error");
      } else if (type === "response.done") {
        run.total_ms = since();
        const status = ev.response?.status ?? "completed";
        if (ev.response?.id && !run.request_id) run.request_id = clip(ev.response.id, 128);
        if (status !== "completed") {
          const e = ev.response?.status_details?.error;
          run.error = errorInfo(String(e?.code ?? e?.type ?? `response_${status}`), e?.message ?? `response ended with status ${status}${ev.response?.status_details?.reason ? ` (${ev.response.status_details.reason})` : ""}`, secrets, { type: e?.type ?? null });
          return finish("error");
        }
        responseDone = true;
        if (!transcriptionSettled) graceTimer = setTimeout(() => { transcriptionSettled = false; finish("ok"); }, TRANSCRIPT_GRACE_MS);
        maybeDone();
      }
    });
  });
}

function isTranscriptionError(run: ProbeRun): boolean {
  return run.error?.type === "transcription_error";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
