import { EventEmitter } from "node:events";
import {
  COMMAND_ARGS,
  CommandNameSchema,
  CommandRequest,
  formatIssues,
  newMessageId,
  topicFor,
  type BundleChunk,
  type CommandName,
  type CommandProgress,
  type CommandResponse,
} from "../../shared/index.ts";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import { BundleAssembler } from "./bundle-assembler.ts";
import { FINAL_STATUSES, type CommandRecord, type CommandStore } from "./types.ts";

/** A command the API asked for. */
export interface SendCommand {
  deviceId: string;
  name: string;
  args?: unknown;
  /** Who asked (a technician's login, a rule's name); recorded and sent to the device. */
  issuer: string;
  /** Seconds the command stays valid; a device that comes back later refuses it as expired. */
  ttlS?: number;
}

/** A command refused before it was sent; `problems` are `path: message` lines for the API's 400. */
export class CommandInputError extends Error {
  problems: string[];
  constructor(message: string, problems: string[]) {
    super(message);
    this.problems = problems;
  }
}

export interface CommandServiceOptions {
  /** Publishes from the fleet (EmbeddedBroker.publish, or the external-broker client); QoS 1. */
  publish: (topic: string, payload: Buffer, qos: 0 | 1) => Promise<void>;
  events: FleetEvents;
  store: CommandStore;
  log: Logger;
  now?: () => number;
  /** A command still unanswered this long after its expiry is marked expired. */
  expiryGraceMs?: number;
  sweepIntervalMs?: number;
  maxTtlS?: number;
  /** Origins a bundle command's upload_url may point at (fleet config commands.bundle_upload_origins). */
  uploadOrigins?: readonly string[];
}

interface ServiceEvents {
  /** Every change of a command's record (status, progress, result). */
  update: [CommandRecord];
}

/**
 * The fleet's side of remote commands: send (validated with the shared schemas, published on
 * edge/v1/<id>/cmd/req at QoS 1 so the broker queues it for an offline persistent session), track
 * queued → delivered/progress → ok/error/expired from the ingest events, keep results, reassemble bundles.
 */
export class CommandService extends EventEmitter<ServiceEvents> {
  #o: CommandServiceOptions;
  #now: () => number;
  #bundles: BundleAssembler;
  /** Bundle command ids whose chunks are being accepted (checked against the command record once). */
  #accepted = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #sweep: NodeJS.Timeout | null = null;
  #listeners: { response: (m: CommandResponse) => void; progress: (m: CommandProgress) => void; bundle: (m: BundleChunk) => void } | null = null;

  constructor(o: CommandServiceOptions) {
    super();
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#bundles = new BundleAssembler({ now: this.#now });
  }

  async start(): Promise<void> {
    await this.#o.store.open();
    const l = {
      response: (m: CommandResponse) => void this.#serial(() => this.#onResponse(m)),
      progress: (m: CommandProgress) => void this.#serial(() => this.#onProgress(m)),
      bundle: (m: BundleChunk) => void this.#serial(() => this.#onBundle(m)),
    };
    this.#listeners = l;
    this.#o.events.on("response", l.response);
    this.#o.events.on("progress", l.progress);
    this.#o.events.on("bundle", l.bundle);
    this.#sweep = setInterval(() => void this.sweep(), this.#o.sweepIntervalMs ?? 30_000).unref();
  }

  async stop(): Promise<void> {
    this.#accepted.clear();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    const l = this.#listeners;
    if (l) {
      this.#o.events.off("response", l.response);
      this.#o.events.off("progress", l.progress);
      this.#o.events.off("bundle", l.bundle);
    }
    this.#listeners = null;
    await this.#chain;
  }

  /** A device PUTs its logs and config to upload_url from inside its own network: only to an origin the operator listed. */
  #checkUploadUrl(url: string): void {
    const origins = (this.#o.uploadOrigins ?? []).map((o) => new URL(o).origin);
    const origin = new URL(url).origin;
    if (origins.includes(origin)) return;
    const hint = origins.length ? `use one of ${origins.join(", ")}` : "leave it out to receive the bundle over MQTT, or list the origin in the fleet config's commands.bundle_upload_origins";
    throw new CommandInputError(`upload_url ${origin} is not an allowed bundle upload origin; ${hint}`, [`args.upload_url: origin not in commands.bundle_upload_origins`]);
  }

  /** Validates, records and publishes a command. Throws CommandInputError for a request the device would refuse. */
  async send(req: SendCommand): Promise<CommandRecord> {
    const now = this.#now();
    const ttlS = req.ttlS ?? 300;
    const maxTtl = this.#o.maxTtlS ?? 7 * 86_400;
    const name = CommandNameSchema.safeParse(req.name);
    if (!name.success) throw new CommandInputError(`'${req.name}' is not a command devices accept; use one of ${CommandNameSchema.options.join(", ")}`, []);
    if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > maxTtl) throw new CommandInputError(`ttl_s must be a whole number of seconds from 1 to ${maxTtl}`, []);
    const request = { v: 1, device_id: req.deviceId, ts: now, msg_id: newMessageId(), id: newMessageId(), issuer: req.issuer, expires_at: now + ttlS * 1000, name: name.data, args: req.args ?? {} };
    const parsed = CommandRequest.safeParse(request);
    if (!parsed.success) throw new CommandInputError(`the '${name.data}' command is invalid; fix the listed fields`, formatIssues(parsed.error));
    const upload = parsed.data.name === "bundle" ? (parsed.data.args as { upload_url?: string }).upload_url : undefined;
    if (upload !== undefined) this.#checkUploadUrl(upload);
    const rec: CommandRecord = {
      id: request.id,
      deviceId: req.deviceId,
      name: name.data,
      args: parsed.data.args as Record<string, unknown>,
      issuer: req.issuer,
      createdAt: now,
      expiresAt: request.expires_at,
      updatedAt: now,
      status: "queued",
      progress: null,
      data: null,
      error: null,
      bundle: null,
    };
    await this.#o.store.insert(rec);
    try {
      await this.#o.publish(topicFor("command", req.deviceId), Buffer.from(JSON.stringify(parsed.data)), 1);
      this.#o.log.info({ id: rec.id, device: rec.deviceId, name: rec.name, issuer: rec.issuer }, "command queued");
    } catch (err) {
      rec.status = "error";
      rec.error = { code: "publish_failed", message: `the fleet could not queue the command: ${(err as Error).message}` };
      await this.#o.store.update(rec);
    }
    this.emit("update", rec);
    return rec;
  }

  get(id: string): Promise<CommandRecord | null> {
    return this.#o.store.get(id);
  }

  list(filter?: { deviceId?: string; limit?: number }): Promise<CommandRecord[]> {
    return this.#o.store.list(filter);
  }

  /** The device acknowledged the command's PUBLISH (wire to the broker's `ack` event with its payload). */
  delivered(payload: Buffer | Uint8Array): Promise<void> {
    let id: unknown;
    try {
      id = (JSON.parse(Buffer.from(payload).toString("utf8")) as { id?: unknown }).id;
    } catch {
      return Promise.resolve();
    }
    if (typeof id !== "string") return Promise.resolve();
    return this.#serial(() => this.#change(id, (r) => (r.status === "queued" ? { status: "delivered" } : null)));
  }

  /** Marks commands unanswered past their expiry (plus grace) as expired; the timer calls this. */
  sweep(): Promise<void> {
    return this.#serial(async () => {
      const cutoff = this.#now() - (this.#o.expiryGraceMs ?? 60_000);
      for (const r of await this.#o.store.unfinished()) {
        if (r.expiresAt < cutoff) await this.#change(r.id, () => ({ status: "expired", error: { code: "expired", message: "the device did not answer before the command expired" } }));
      }
    });
  }

  async #onResponse(m: CommandResponse): Promise<void> {
    await this.#change(m.id, (r) => {
      if (r.deviceId !== m.device_id) return null;
      const status = m.status === "ok" ? "ok" : m.error?.code === "expired" ? "expired" : "error";
      return { status, data: m.data ?? null, error: m.error ?? null };
    });
  }

  async #onProgress(m: CommandProgress): Promise<void> {
    await this.#change(m.id, (r) => {
      if (r.deviceId !== m.device_id || FINAL_STATUSES.includes(r.status)) return null;
      return { status: "progress", progress: { step: m.step, done: m.done, total: m.total, detail: m.detail } };
    });
  }

  async #onBundle(c: BundleChunk): Promise<void> {
    // only chunks of a bundle command this fleet sent to this very device are buffered: otherwise one
    // device could fill the assembler with made-up ids and block every other device's bundle
    if (c.index === 0 || !this.#accepted.has(c.id)) {
      const r = await this.#o.store.get(c.id);
      if (!r || r.deviceId !== c.device_id || r.name !== "bundle" || r.bundle) {
        this.#o.log.warn({ id: c.id, device: c.device_id }, "bundle chunk for no bundle command of this device; dropped");
        return;
      }
      this.#accepted.add(c.id);
      // abandoned transfers must not grow this set: the oldest ids go first (the assembler expires them too)
      if (this.#accepted.size > 1024) this.#accepted.delete(this.#accepted.values().next().value as string);
    }
    const out = this.#bundles.add(c);
    if (out.done) this.#accepted.delete(c.id);
    if (!out.done) return;
    await this.#change(c.id, (r) => {
      if (r.deviceId !== c.device_id) return null;
      if (out.ok) return { bundle: out.bundle };
      this.#o.log.warn({ id: c.id, device: c.device_id, reason: out.reason }, "support bundle refused");
      return { error: { code: "bundle_invalid", message: out.reason }, ...(r.status === "ok" ? { status: "error" as const } : {}) };
    });
  }

  async #change(id: string, f: (r: CommandRecord) => Partial<CommandRecord> | null): Promise<void> {
    const r = await this.#o.store.get(id);
    if (!r) return;
    const patch = f(r);
    if (!patch) return;
    const next = { ...r, ...patch, updatedAt: this.#now() };
    await this.#o.store.update(next);
    this.emit("update", next);
  }

  /** Record changes one at a time, so a progress and a response arriving together cannot overwrite each other. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch((err: Error) => this.#o.log.error({ err }, "command record update failed"));
    return run;
  }
}

/** Names of the commands the fleet may send (for API docs and forms). */
export const SENDABLE_COMMANDS: readonly CommandName[] = Object.keys(COMMAND_ARGS) as CommandName[];

/**
 * A listener for the embedded broker's `ack` event (a device's PUBACK of a fleet publish): marks command
 * requests delivered. Wire with `broker.aedes.on("ack", commandAckListener(service))`.
 */
export function commandAckListener(service: CommandService): (packet: { topic?: string; payload?: unknown } | undefined) => void {
  // aedes emits `ack` with no packet when the acknowledged message is no longer in its outgoing store
  return (packet) => {
    if (typeof packet?.topic !== "string" || !packet.topic.endsWith("/cmd/req") || !(packet.payload instanceof Uint8Array)) return;
    void service.delivered(packet.payload);
  };
}
