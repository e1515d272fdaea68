import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { ProbesConfig } from "./config.ts";
import { answerMatches, clip, emptyRun, errorInfo, ms, transcriptHasWords, transportCode, type ProbeContext } from "./run.ts";

/** What one HTTP probe sends: the question as text, or the canned utterance as PCM16 at the configured rate. */
export type HttpProbeInput =
  | { kind: "text"; question: string }
  | { kind: "voice"; pcm16: Buffer; sampleRateHz: number; expectedWords: readonly string[] };

/** Bodies larger than this are not kept (the answer is truncated anyway); bytes are still counted. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Fills `{{name}}` placeholders; in JSON bodies values are JSON-encoded so a question cannot break the body. */
export function renderTemplate(template: string, vars: Record<string, string | number>, mode: "json" | "raw"): string {
  return template.replace(/\{\{\s*([a-z_0-9]+)\s*\}\}/gi, (whole, name: string) => {
    if (!(name in vars)) return whole;
    const v = vars[name]!;
    return mode === "json" ? JSON.stringify(v) : String(v);
  });
}

/** Reads a dotted path (`error.code`, `choices.0.text`) from parsed JSON. */
export function pick(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split(".").filter(Boolean)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Runs one probe against a REST endpoint; never throws — failures are data in the ProbeRun. */
export function runHttpProbe(config: ProbesConfig, input: HttpProbeInput, ctx: ProbeContext): Promise<ProbeRun> {
  const hc = config.http;
  const t0 = ctx.now();
  const run = emptyRun(input.kind, "http", ctx.wallNow());
  const since = () => ms(ctx.now() - t0);
  const secrets = [ctx.apiKey];
  const target = input.kind === "text" ? hc.text_url : hc.audio_url;
  if (!target) {
    run.result = "skipped";
    return Promise.resolve(run);
  }
  const vars: Record<string, string | number> = { model: config.model, api_key: ctx.apiKey ?? "", question: input.kind === "text" ? input.question : config.question };
  if (input.kind === "voice") Object.assign(vars, { audio_base64: input.pcm16.toString("base64"), sample_rate_hz: input.sampleRateHz });
  const body = renderTemplate(input.kind === "text" ? hc.text_body : hc.audio_body, vars, "json");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(hc.headers)) {
    const value = renderTemplate(v, vars, "raw");
    // an empty key leaves "Bearer " behind: drop the header rather than send a malformed one
    if (value.trim() && !/^(Bearer|Basic)\s*$/i.test(value.trim())) headers[k] = value;
  }
  headers["content-length"] = String(Buffer.byteLength(body));

  return new Promise<ProbeRun>((resolve) => {
    let settled = false;
    let socket: Socket | null = null;
    let connectTimer: NodeJS.Timeout | undefined;
    const chunks: Buffer[] = [];
    let kept = 0;
    const finish = (result: ProbeRun["result"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      ctx.signal.removeEventListener("abort", onAbort);
      if (run.total_ms === null) run.total_ms = since();
      if (socket) {
        run.bytes_sent = socket.bytesWritten;
        run.bytes_received = Math.max(run.bytes_received, socket.bytesRead);
      }
      run.result = result;
      req.destroy();
      resolve(run);
    };
    const onAbort = () => {
      run.error ??= errorInfo("probe_timeout", `no complete response within the probe timeout (${since()} ms elapsed)`, secrets);
      finish("timeout");
    };
    const mod = target.startsWith("https:") ? https : http;
    // agent:false: a fresh connection per probe, so DNS/connect/TLS are measured every time
    const req = mod.request(target, { method: hc.method, headers, agent: false });
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    req.on("socket", (s: Socket) => {
      socket = s;
      s.once("lookup", () => (run.dns_ms = since()));
      s.once("connect", () => { run.connect_ms = since(); clearTimeout(connectTimer); });
      s.once("secureConnect", () => (run.tls_ms = ms(ctx.now() - t0 - (run.connect_ms ?? 0))));
      s.once(s instanceof TLSSocket ? "secureConnect" : "connect", () => sendRequest(s));
      connectTimer = setTimeout(() => {
        if (run.connect_ms === null) {
          run.error = errorInfo("ETIMEDOUT", `connect to ${new URL(target).host} timed out after ${config.connect_timeout_ms} ms`, secrets);
          finish("timeout");
        }
      }, config.connect_timeout_ms);
    });
    // The request is written once the connection is up (TLS included), so that the end of the user's turn, where the
    // cloud's response latency starts, can be timed: before end() when the whole request went to the kernel within it
    // ('finish' comes 0.2–0.5 ms later, by which time a nearby cloud may have answered), else at 'finish'. Over TLS
    // the socket reports its write pending until the encrypted bytes are out, so it is always 'finish' there: up to
    // 0.5 ms late, against a real cloud's round trip of tens of milliseconds.
    const sendRequest = (s: Socket) => {
      const before = since();
      req.end(body);
      if (s.writableLength === 0) run.request_sent_ms ??= before;
    };
    req.on("finish", () => (run.request_sent_ms ??= since()));
    req.on("error", (err: Error) => {
      const code = transportCode(err);
      run.error ??= errorInfo(code, err.message || code, secrets);
      finish(code === "ECONNREFUSED" ? "refused" : "error");
    });
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const rid = res.headers[hc.request_id_header.toLowerCase()];
      if (typeof rid === "string") run.request_id = clip(rid, 128);
      res.on("data", (c: Buffer) => {
        if (input.kind === "voice") run.first_audio_ms ??= since();
        else run.first_text_ms ??= since();
        run.bytes_received += c.length;
        if (kept < MAX_BODY_BYTES) { chunks.push(c); kept += c.length; }
      });
      res.on("aborted", () => {
        run.error ??= errorInfo("ECONNRESET", "the connection closed in the middle of the response", secrets, { http_status: status });
        finish("error");
      });
      res.on("error", (err: Error) => {
        run.error ??= errorInfo(transportCode(err), err.message || "response stream failed", secrets, { http_status: status });
        finish("error");
      });
      res.on("end", () => {
        run.total_ms = since();
        const text = Buffer.concat(chunks).toString("utf8");
        const parsed = parseBody(text, String(res.headers["content-type"] ?? ""), config);
        if (parsed.errorCode !== undefined || status >= 400) {
          const vendor = parsed.errorCode;
          const code = vendor !== undefined && /^1\d{4}$/.test(String(vendor)) ? String(vendor) : status >= 400 ? `http_${status}` : String(vendor);
          run.error = errorInfo(code, parsed.errorMessage ?? `HTTP ${status} ${res.statusMessage ?? ""}`.trim(), secrets, { http_status: status });
          return finish("error");
        }
        if (parsed.answer) run.answer = clip(parsed.answer, 500);
        run.answer_ok = parsed.answer ? answerMatches(parsed.answer, config.expected_answer_pattern) : false;
        if (input.kind === "voice" && parsed.transcript !== undefined) {
          run.transcript = clip(parsed.transcript, 500);
          run.transcript_ok = parsed.transcript.length > 0 && transcriptHasWords(parsed.transcript, input.expectedWords);
        }
        finish("ok");
      });
    });
  });
}

interface ParsedBody {
  answer: string;
  transcript?: string;
  errorCode?: string | number;
  errorMessage?: string;
}

/** Plain JSON, Server-Sent Events (one JSON per `data:` line, deltas appended) or plain text. */
function parseBody(text: string, contentType: string, config: ProbesConfig): ParsedBody {
  const hc = config.http;
  const out: ParsedBody = { answer: "" };
  const absorb = (obj: unknown) => {
    const a = pick(obj, hc.answer_path);
    if (typeof a === "string") out.answer += a;
    const t = pick(obj, hc.transcript_path);
    if (typeof t === "string") out.transcript = t;
    const code = pick(obj, hc.error_code_path);
    if (typeof code === "string" || typeof code === "number") out.errorCode = code;
    const msg = pick(obj, hc.error_message_path);
    if (typeof msg === "string") out.errorMessage = msg;
  };
  if (contentType.includes("text/event-stream")) {
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (!data || data === "[DONE]") continue;
      const obj = tryJson(data);
      if (obj === undefined) out.answer += data;
      else absorb(obj);
    }
    return out;
  }
  const obj = tryJson(text);
  if (obj !== undefined && typeof obj === "object") absorb(obj);
  else out.answer = text.trim();
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
