import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { answerFor, CANNED_TEXT, WRONG_TRANSCRIPT, type Recogniser } from "./content.ts";
import { vendorError, type FaultBook, type SimFaults } from "./faults.ts";

/**
 * The plain HTTP protocol (the default templates of the agent's HTTP adapter):
 * `POST /v1/chat {model, input, stream}` and `POST /v1/voice {model, audio_base64, sample_rate_hz, format, stream}`
 * answer `{answer, transcript?, request_id}` as JSON, or as Server-Sent Events when `stream` is true.
 * Errors: `{error: {code, type, message}}` with an HTTP status.
 */
export interface HttpApiDeps {
  readonly faults: FaultBook;
  readonly recogniser: Recogniser;
  readonly apiKey: string | null;
  readonly nextId: (prefix: string) => string;
  readonly count: (what: string) => void;
  /** Runs `fn` at a `performance.now()` time, on a timer stop() clears (timers.ts). */
  readonly at: (due: number, fn: () => void) => void;
}

const MAX_BODY = 8 * 1024 * 1024;

export function serveHttpApi(kind: "voice" | "text", req: IncomingMessage, res: ServerResponse, deps: HttpApiDeps): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
  req.on("end", () => {
    // the injected delay counts from the request's last byte; the work below happens inside it
    const due = performance.now();
    deps.count(`http_${kind}`);
    const requestId = deps.nextId("req");
    res.setHeader("x-request-id", requestId);
    const fail = (status: number, code: string | number, type: string, message: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code, type, message }, request_id: requestId }));
    };
    const auth = String(req.headers.authorization ?? "");
    const f: SimFaults = deps.faults.take(kind);
    if (f.auth_reject || (deps.apiKey && auth !== `Bearer ${deps.apiKey}`)) return fail(401, "invalid_api_key", "authentication_error", "Incorrect API key provided.");
    let body: { input?: string; audio_base64?: string; sample_rate_hz?: number; stream?: boolean };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return fail(400, "invalid_json", "invalid_request_error", "The request body is not valid JSON.");
    }
    if (f.hang) return; // the socket stays open until the client gives up or the sim stops
    const reply = decide();
    deps.at(due + f.delay_first_ms, reply);

    /** The whole answer, worked out now (transcription included) so that only sending waits for the delay. */
    function decide(): () => void {
      const status = f.http_status;
      if (status !== null) return () => fail(status, f.vendor_code ?? status, "sim_error", `injected HTTP ${status}`);
      if (f.vendor_code !== null) {
        const code = f.vendor_code;
        const v = vendorError(code);
        return () => fail(v.status, code, v.type, v.message);
      }
      let transcript: string | undefined;
      let question = body.input ?? "";
      if (kind === "voice") {
        if (f.transcription_failed) return () => fail(500, "transcription_error", "transcription_error", "Audio could not be transcribed.");
        const pcm = Buffer.from(body.audio_base64 ?? "", "base64");
        transcript = f.transcript === "empty" ? "" : f.transcript === "wrong" ? WRONG_TRANSCRIPT : deps.recogniser.transcribe(pcm, body.sample_rate_hz ?? 16000);
        question = transcript === CANNED_TEXT ? CANNED_TEXT : transcript;
      }
      const answer = answerFor(question, f.answer === "wrong");
      if (!body.stream) {
        const json = JSON.stringify({ answer, ...(transcript !== undefined ? { transcript } : {}), request_id: requestId });
        return () => (res.writeHead(200, { "content-type": "application/json" }), res.end(json));
      }
      const parts = answer.split(/(?<= )/);
      const head = transcript !== undefined ? `data: ${JSON.stringify({ transcript })}\n\n` : "";
      const first = `${head}data: ${JSON.stringify({ answer: parts[0] })}\n\n`;
      const rest = `${parts.slice(1).map((p) => `data: ${JSON.stringify({ answer: p })}\n\n`).join("")}data: [DONE]\n\n`;
      return () => {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        // destroy only once the first chunk is flushed, so the client really sees a response cut short
        if (f.disconnect_mid_response) return void res.write(first, () => res.socket?.destroy());
        res.write(first);
        res.end(rest);
      };
    }
  });
}
