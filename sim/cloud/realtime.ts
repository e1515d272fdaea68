import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { answerFor, CANNED_TEXT, WRONG_TRANSCRIPT, type Recogniser } from "./content.ts";
import { vendorError, type FaultBook, type SimFaults } from "./faults.ts";
import { SimTimers } from "./timers.ts";

/** The Realtime subset the simulator speaks: sessions, audio buffer, text items, responses, transcription. */
export interface RealtimeDeps {
  readonly faults: FaultBook;
  readonly recogniser: Recogniser;
  readonly nextId: (prefix: string) => string;
  readonly count: (what: string) => void;
}

const INPUT_RATE_HZ = 24_000;

/** Serves one Realtime WebSocket connection; all timers die with the socket. */
export function serveRealtime(ws: WebSocket, req: IncomingMessage, deps: RealtimeDeps): void {
  // beta clients announce themselves with `OpenAI-Beta: realtime=v1`; they get the beta event names
  const beta = /realtime=v1/i.test(String(req.headers["openai-beta"] ?? ""));
  const names = beta
    ? { audio: "response.audio.delta", text: "response.text.delta", transcript: "response.audio_transcript.delta", itemAdded: "conversation.item.created" }
    : { audio: "response.output_audio.delta", text: "response.output_text.delta", transcript: "response.output_audio_transcript.delta", itemAdded: "conversation.item.added" };
  const timers = new SimTimers();
  ws.on("close", () => timers.clear());
  const send = (ev: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event_id: deps.nextId("event"), ...ev }));
  };

  let transcription = false;
  let audioOut = false;
  let audio: Buffer[] = [];
  let question = "";
  let lastKind: "voice" | "text" = "text";
  send({ type: "session.created", session: { id: deps.nextId("sess"), object: "realtime.session" } });

  ws.on("message", (data: Buffer) => {
    let ev: { type?: string; session?: Record<string, unknown>; audio?: string; item?: { content?: { type?: string; text?: string }[] } };
    try {
      ev = JSON.parse(data.toString("utf8"));
    } catch {
      return send({ type: "error", error: { type: "invalid_request_error", code: "invalid_json", message: "the event is not valid JSON" } });
    }
    switch (ev.type) {
      case "session.update": {
        const s = ev.session ?? {};
        const ga = s.audio as { input?: { transcription?: unknown } } | undefined;
        transcription = Boolean(ga?.input?.transcription ?? s.input_audio_transcription);
        const modalities = (s.output_modalities ?? s.modalities ?? ["text"]) as string[];
        audioOut = modalities.includes("audio");
        return send({ type: "session.updated", session: s });
      }
      case "input_audio_buffer.append":
        audio.push(Buffer.from(ev.audio ?? "", "base64"));
        return;
      case "input_audio_buffer.commit": {
        const pcm = Buffer.concat(audio);
        audio = [];
        lastKind = "voice";
        const itemId = deps.nextId("item");
        send({ type: "input_audio_buffer.committed", item_id: itemId });
        send({ type: names.itemAdded, item: { id: itemId, type: "message", role: "user" } });
        const f = deps.faults.current();
        const hits = f.scope === "all" || f.scope === "voice";
        let heard = deps.recogniser.transcribe(pcm, INPUT_RATE_HZ);
        if (hits && f.transcript === "empty") heard = "";
        if (hits && f.transcript === "wrong") heard = WRONG_TRANSCRIPT;
        question = heard;
        if (!transcription) return;
        if (hits && f.transcription_failed) {
          return send({ type: "conversation.item.input_audio_transcription.failed", item_id: itemId, content_index: 0, error: { type: "transcription_error", code: "audio_unintelligible", message: "Audio could not be transcribed." } });
        }
        return send({ type: "conversation.item.input_audio_transcription.completed", item_id: itemId, content_index: 0, transcript: heard });
      }
      case "conversation.item.create": {
        lastKind = "text";
        question = ev.item?.content?.find((c) => c.type === "input_text")?.text ?? "";
        return send({ type: names.itemAdded, item: { id: deps.nextId("item"), type: "message", role: "user" } });
      }
      case "response.create":
        deps.count(`realtime_${lastKind}`);
        return respond(deps.faults.take(lastKind));
      default:
        return;
    }
  });

  function respond(f: SimFaults): void {
    const id = deps.nextId("resp");
    send({ type: "response.created", response: { id, status: "in_progress" } });
    if (f.hang) return;
    timers.after(f.delay_first_ms, () => {
      if (f.vendor_code !== null) {
        const v = vendorError(f.vendor_code);
        return send({ type: "error", error: { type: v.type, code: String(f.vendor_code), message: v.message } });
      }
      if (f.response_failed) {
        return send({ type: "response.done", response: { id, status: "failed", status_details: { type: "failed", error: { type: "server_error", code: null, message: "The server had an error while processing your request." } } } });
      }
      // a recognised canned utterance is the weather question; anything else gets the fallback answer
      const answer = answerFor(lastKind === "voice" ? (question === CANNED_TEXT ? CANNED_TEXT : question) : question, f.answer === "wrong");
      const chunks = answer.split(/(?<= )/);
      if (lastKind === "voice" && audioOut) send({ type: names.audio, response_id: id, delta: Buffer.alloc(4800).toString("base64") });
      send({ type: lastKind === "voice" && audioOut ? names.transcript : names.text, response_id: id, delta: chunks[0] });
      if (f.disconnect_mid_response) return ws.terminate();
      for (const c of chunks.slice(1)) send({ type: lastKind === "voice" && audioOut ? names.transcript : names.text, response_id: id, delta: c });
      send({ type: "response.done", response: { id, status: "completed", output: [] } });
    });
  }
}
