/**
 * A device for browser tests, speaking the real MQTT protocol: it reports state, telemetry with AI
 * latency and a faulty diagnosis, and answers a `diagnose` command with progress, a response and a
 * diagnosis carrying the command id — what agent/commands does on a real device.
 */
import mqtt, { type MqttClient } from "mqtt";
import { diagnosisMsg, stateMsg, telemetryMsg } from "../../broker/testing/messages.ts";
import { encodeMessage, newMessageId, SCHEMA_VERSION, topicFor, type FaultClass, type ProbeRun, type TelemetryMessage } from "../../shared/index.ts";

function probe(kind: "text" | "voice", at: number, totalMs: number): ProbeRun {
  return {
    probe: kind, adapter: "http", result: "ok", started_at: at, dns_ms: 4, connect_ms: 20, tls_ms: 30, first_text_ms: totalMs * 0.6, first_audio_ms: kind === "voice" ? totalMs * 0.8 : null, total_ms: totalMs,
    bytes_sent: 900, bytes_received: 2400, transcript: null, transcript_ok: null, answer: "It is sunny.", answer_ok: true, request_id: `req-${at}`, error: null,
  };
}

export class SimDevice {
  client: MqttClient | null = null;
  readonly id: string;
  #fault: FaultClass;

  constructor(id: string, fault: FaultClass) {
    this.id = id;
    this.#fault = fault;
  }

  async connect(url: string, secret: string): Promise<void> {
    const client = mqtt.connect(url, { clientId: this.id, username: this.id, password: secret, protocolVersion: 4, reconnectPeriod: 0, clean: true });
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync(topicFor("command", this.id), { qos: 1 });
    client.on("message", (topic, payload) => {
      if (topic === topicFor("command", this.id)) void this.#onCommand(JSON.parse(payload.toString()) as { id: string; name: string });
    });
  }

  async #pub(kind: "state" | "telemetry" | "diagnosis" | "progress" | "response", message: unknown): Promise<void> {
    await this.client!.publishAsync(topicFor(kind, this.id), encodeMessage(kind, message as never), { qos: kind === "progress" ? 0 : 1, retain: kind === "state" });
  }

  /** State, a short telemetry history with AI latency, and the current diagnosis. */
  async report(now: number): Promise<void> {
    await this.#pub("state", stateMsg(this.id, now - 60_000, { model: "speaker-s1", region: "eu" }));
    for (let i = 0; i < 6; i++) {
      const at = now - (6 - i) * 10_000;
      const t: TelemetryMessage = { ...telemetryMsg(this.id, at, i), ai: { at, text: probe("text", at, 380 + i * 25), voice: probe("voice", at, 620 + i * 40), status_page: null } };
      await this.#pub("telemetry", t);
    }
    await this.#pub("diagnosis", diagnosisMsg(this.id, now - 1000, { fault: this.#fault, family: null }));
  }

  async #onCommand(cmd: { id: string; name: string }): Promise<void> {
    const env = () => ({ v: SCHEMA_VERSION, device_id: this.id, ts: Date.now(), msg_id: newMessageId() });
    const steps = ["system check", "text probe", "canned utterance", "live capture"];
    for (const [i, step] of steps.entries()) await this.#pub("progress", { ...env(), id: cmd.id, step, done: i + 1, total: steps.length, detail: `running ${step}` });
    const d = diagnosisMsg(this.id, Date.now(), { fault: this.#fault, trigger: "command", family: null });
    await this.#pub("response", { ...env(), id: cmd.id, name: cmd.name, status: "ok", data: { fault: this.#fault, diagnosis_id: d.diagnosis_id }, error: null });
    await this.#pub("diagnosis", { ...d, command_id: cmd.id });
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }
}
