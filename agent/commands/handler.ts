import {
  COMMAND_ARGS,
  COMMAND_ERROR_CODES,
  CommandHeader,
  CommandNameSchema,
  formatIssues,
  maskString,
  MessageId,
  newMessageId,
  type CommandErrorCode,
  type CommandName,
  type CommandResponse,
  type MessageOf,
} from "../../shared/index.ts";
import type { z } from "zod";
import type { Logger } from "../log.ts";
import type { DeviceKind } from "../transport/types.ts";
import { HandledIds } from "./handled-ids.ts";

/** What a running command may do besides returning its result. */
export interface CommandContext {
  id: string;
  issuer: string;
  signal: AbortSignal;
  /** Best-effort progress on cmd/progress (QoS 0). */
  progress(step: string, done: number, total: number, detail?: string): void;
}

export type CommandArgs<N extends CommandName> = z.infer<(typeof COMMAND_ARGS)[N]>;

/** One function per allowlisted command; its return value is the response's `data`. Injected by the composer. */
export type CommandActions = { [N in CommandName]?: (args: CommandArgs<N>, ctx: CommandContext) => Promise<unknown> };

export interface CommandUnitOptions {
  deviceId: string;
  /** The transport's send: responses are spooled (QoS 1), progress is not. */
  send: <K extends DeviceKind>(kind: K, message: MessageOf<K>) => Promise<void>;
  actions: CommandActions;
  log: Logger;
  now?: () => number;
  /** Secret values (MQTT password, API keys) masked in failure messages: an SDK may echo the key it was given. */
  knownSecrets?: readonly string[];
  /** Commands larger than this are refused (`invalid_args`): no allowlisted command needs more. */
  maxPayloadBytes?: number;
  /** Bounds one command's run; it is aborted and answered `failed` past this. */
  timeoutMs?: number;
  /** Answered ids remembered; a file makes the memory survive restarts. */
  handled?: HandledIds;
}

/**
 * Runs remote commands: header first (so even a bad command is answered by its id), then device, expiry,
 * redelivery, allowlist and arguments; exactly one response per command id, in the
 * {status, data, error, id} envelope. Nothing here can run a program or touch a path the fleet names.
 */
export class CommandUnit {
  #o: CommandUnitOptions;
  #now: () => number;
  #handled: HandledIds;
  #running = new Map<CommandName, AbortController>();

  constructor(o: CommandUnitOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#handled = o.handled ?? new HandledIds(1000);
  }

  /** Loads remembered ids (constructors do no I/O). */
  start(): void {
    this.#handled.load();
  }

  /** Aborts commands still running. */
  stop(): void {
    for (const c of this.#running.values()) c.abort();
  }

  /** Handles one raw payload from cmd/req; never throws. Resolves once the response is queued. */
  async handle(payload: Buffer): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString("utf8"));
    } catch {
      this.#o.log.warn({ bytes: payload.length }, "command is not JSON and carries no id to answer; ignored");
      return;
    }
    const head = CommandHeader.safeParse(raw);
    if (!head.success) {
      const id = MessageId.safeParse((raw as { id?: unknown } | null)?.id);
      if (!id.success) {
        this.#o.log.warn({ problems: formatIssues(head.error).slice(0, 3) }, "command without a usable id; ignored");
        return;
      }
      return this.#answerOnce(id.data, null, refusal("malformed", `${COMMAND_ERROR_CODES.malformed}: ${formatIssues(head.error).slice(0, 3).join("; ")}`));
    }
    const h = head.data;
    const name = typeof (raw as { name?: unknown }).name === "string" ? ((raw as { name: string }).name.slice(0, 32)) : null;
    if (h.device_id !== this.#o.deviceId) return this.#answerOnce(h.id, name, refusal("wrong_device", `the command is addressed to '${h.device_id}', this device is '${this.#o.deviceId}'`));
    if (h.expires_at <= this.#now()) return this.#answerOnce(h.id, name, refusal("expired", `the command expired at ${new Date(h.expires_at).toISOString()} before the device received it; send it again`));
    const known = CommandNameSchema.safeParse(name);
    if (!known.success) return this.#answerOnce(h.id, name, refusal("unknown_command", `'${name ?? "(none)"}' is not an allowed command; allowed: ${CommandNameSchema.options.join(", ")}`));
    const max = this.#o.maxPayloadBytes ?? 16 * 1024;
    if (payload.length > max) return this.#answerOnce(h.id, name, refusal("invalid_args", `the command is ${payload.length} bytes, over the ${max}-byte limit; send smaller arguments`));
    const args = COMMAND_ARGS[known.data].safeParse((raw as { args?: unknown }).args ?? {});
    if (!args.success) return this.#answerOnce(h.id, name, refusal("invalid_args", `arguments of '${known.data}' are invalid: ${formatIssues(args.error, "args").slice(0, 5).join("; ")}`));
    const action = this.#o.actions[known.data] as ((a: unknown, c: CommandContext) => Promise<unknown>) | undefined;
    if (!action) return this.#answerOnce(h.id, name, refusal("unknown_command", `'${known.data}' is not available on this device`));
    if (!this.#handled.add(h.id)) return this.#duplicate(h.id);
    if (this.#running.has(known.data)) return this.#respond(h.id, name, refusal("busy", `a '${known.data}' command is already running; try again when it has answered`));
    await this.#run(h.id, h.issuer, known.data, action, args.data);
  }

  async #run(id: string, issuer: string, name: CommandName, action: (a: unknown, c: CommandContext) => Promise<unknown>, args: unknown): Promise<void> {
    const ctl = new AbortController();
    this.#running.set(name, ctl);
    const signal = AbortSignal.any([ctl.signal, AbortSignal.timeout(this.#o.timeoutMs ?? 300_000)]);
    const ctx: CommandContext = { id, issuer, signal, progress: (step, done, total, detail = "") => this.#progress(id, step, done, total, detail) };
    this.#o.log.info({ id, name, issuer }, "running command");
    try {
      const data = await action(args, ctx);
      await this.#respond(id, name, { status: "ok", data: data ?? null, error: null });
    } catch (err) {
      const message = signal.aborted ? "the command did not finish in time and was aborted" : maskString((err as Error).message ?? String(err), this.#o.knownSecrets ?? []);
      this.#o.log.warn({ id, name, err: message }, "command failed");
      await this.#respond(id, name, refusal("failed", message));
    } finally {
      this.#running.delete(name);
    }
  }

  #duplicate(id: string): void {
    // answered already (its response is in the spool): a second answer would break "exactly one"
    this.#o.log.debug({ id }, "redelivered command ignored");
  }

  async #answerOnce(id: string, name: string | null, body: Pick<CommandResponse, "status" | "data" | "error">): Promise<void> {
    if (!this.#handled.add(id)) return this.#duplicate(id);
    this.#o.log.warn({ id, name, code: body.error?.code, reason: body.error?.message }, "command refused");
    await this.#respond(id, name, body);
  }

  async #respond(id: string, name: string | null, body: Pick<CommandResponse, "status" | "data" | "error">): Promise<void> {
    const msg: CommandResponse = { v: 1, device_id: this.#o.deviceId, ts: this.#now(), msg_id: newMessageId(), id, name, ...body };
    try {
      await this.#o.send("response", msg);
    } catch (err) {
      this.#o.log.error({ id, err: (err as Error).message }, "command response could not be queued");
    }
  }

  #progress(id: string, step: string, done: number, total: number, detail: string): void {
    const msg = { v: 1 as const, device_id: this.#o.deviceId, ts: this.#now(), msg_id: newMessageId(), id, step: step.slice(0, 64), done, total, detail: detail.slice(0, 300) };
    this.#o.send("progress", msg).catch(() => undefined);
  }
}

function refusal(code: CommandErrorCode, message: string): Pick<CommandResponse, "status" | "data" | "error"> {
  return { status: "error", data: null, error: { code, message: message.slice(0, 500) } };
}
