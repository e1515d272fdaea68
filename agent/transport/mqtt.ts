import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { encodeMessage, newMessageId, topicFor, TOPICS, type MessageOf, type StateMessage } from "../../shared/index.ts";
import type { Logger } from "../log.ts";
import { Spool } from "../spool/spool.ts";
import { backoffDelayMs, firstConnectDelayMs, type BackoffPolicy } from "./backoff.ts";
import { brokerAddress, clientOptions, connectionChanged, type ConnectionSettings } from "./connect-options.ts";
import { DailyCounter } from "./daily-counter.ts";
import type { DeviceKind, Transport } from "./types.ts";

export interface MqttTransportOptions extends ConnectionSettings {
  /** The retained state published on connect; the same with status offline is the Last Will. */
  state: () => Omit<StateMessage, "status" | "reason" | "msg_id" | "ts">;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** Defaults to an immediate first connect, 1 s → 120 s backoff. */
  reconnect?: BackoffPolicy;
  /** The report queue; defaults to a memory-only spool. The transport opens and closes it. */
  spool?: Spool;
  /** Unacknowledged reports in flight at once. */
  maxInflight?: number;
  /** Pace of spooled publishes, below the fleet's per-device rate limit so a backlog never gets us cut off. */
  publishPerSecond?: number;
}

/** The options a SIGHUP reload may change. */
export type MqttReloadable = Omit<MqttTransportOptions, "log" | "now" | "random" | "spool" | "state">;

/**
 * MQTT transport: spool → QoS 1 publish → PUBACK → remove; retained state with a Last Will refreshed per
 * connection; persistent session; our own reconnect loop with full-jitter backoff. start()/stop() undo
 * each other.
 */
export class MqttTransport implements Transport {
  #o: MqttTransportOptions;
  #now: () => number;
  #random: () => number;
  #spool: Spool;
  #bytes: DailyCounter;
  #client: MqttClient | null = null;
  #clientOpts: IClientOptions | null = null;
  #handlers: ((payload: Buffer) => void)[] = [];
  #started = false;
  #attempt = 0;
  #connectTimer: NodeJS.Timeout | null = null;
  #pumpTimer: NodeJS.Timeout | null = null;
  #gen = 0;
  #inflight = new Set<number>();
  #lastSent = -1;
  #nextPublishAt = 0;
  #nextReason: StateMessage["reason"] = "startup";
  #subscribed = false;

  constructor(o: MqttTransportOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
    this.#spool = o.spool ?? new Spool({ dir: null, maxMessages: 10_000, maxBytes: 16 * 1024 * 1024, memoryFallbackMessages: 500, log: o.log });
    this.#bytes = new DailyCounter(this.#now);
  }

  /** Connected and subscribed to commands. */
  get connected(): boolean {
    return this.#subscribed && (this.#client?.connected ?? false);
  }

  get #policy(): BackoffPolicy {
    return this.#o.reconnect ?? { initialMs: 1000, maxMs: 120_000, firstConnectJitterMs: 0 };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#clientOpts = clientOptions(this.#o);
    await this.#spool.open();
    this.#started = true;
    this.#scheduleConnect(firstConnectDelayMs(this.#policy, this.#random));
  }

  #scheduleConnect(delayMs: number): void {
    if (!this.#started) return;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#o.log.debug({ delayMs, attempt: this.#attempt }, "connecting after delay");
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = null;
      this.#connect();
    }, delayMs);
  }

  #stateMessage(status: "online" | "offline", reason: StateMessage["reason"]): StateMessage {
    return { ...this.#o.state(), status, reason, ts: this.#now(), msg_id: newMessageId() };
  }

  #connect(): void {
    const gen = ++this.#gen;
    this.#subscribed = false;
    const deviceId = this.#o.deviceId;
    // a fresh will per connection: its msg_id and ts say when this session began (issue #5)
    const willMessage = this.#stateMessage("offline", "will");
    const will = { topic: topicFor("state", deviceId), payload: encodeMessage("state", willMessage), qos: 1 as const, retain: true };
    let client: MqttClient;
    try {
      client = mqtt.connect({ ...brokerAddress(this.#o.url), ...this.#clientOpts, will });
    } catch (err) {
      // e.g. an unsupported URL scheme: keep retrying (a reload can fix the URL) rather than crash
      this.#o.log.error({ err: (err as Error).message, url: this.#o.url }, "cannot connect; check mqtt.url");
      this.#scheduleConnect(backoffDelayMs(this.#attempt++, this.#policy, this.#random));
      return;
    }
    this.#client = client;
    client.on("connect", () => {
      if (gen !== this.#gen) return;
      this.#attempt = 0;
      this.#o.log.info({ url: this.#o.url }, "connected");
      this.#inflight.clear();
      this.#lastSent = -1;
      // "online" only once the command subscription is in place: on a device's very first connection
      // there is no session yet, and a command published before the SUBACK would match no subscription
      client.subscribe(topicFor("command", deviceId), { qos: 1 }, (err) => {
        if (gen !== this.#gen) return;
        if (err) this.#o.log.warn({ err: err.message }, "command subscription failed");
        this.#subscribed = true;
        // names this connection's will, so the fleet can ignore a late will of an earlier one
        const state = encodeMessage("state", { ...this.#stateMessage("online", this.#nextReason), will_msg_id: willMessage.msg_id });
        this.#nextReason = "startup";
        client.publish(topicFor("state", deviceId), state, { qos: 1, retain: true }, (e) => {
          if (!e) this.#bytes.add(state.length);
        });
        this.#pump();
      });
    });
    client.on("message", (topic, payload) => {
      if (topic !== topicFor("command", deviceId)) return;
      for (const h of this.#handlers) {
        try {
          h(payload);
        } catch (err) {
          this.#o.log.error({ err }, "command handler threw");
        }
      }
    });
    client.on("error", (err) => this.#o.log.warn({ err: err.message, url: this.#o.url }, "mqtt connection problem"));
    client.on("close", () => this.#lost(client));
  }

  #lost(client: MqttClient): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#subscribed = false;
    this.#gen++;
    this.#inflight.clear();
    client.removeAllListeners("close");
    client.end(true);
    if (!this.#started) return;
    const delay = backoffDelayMs(this.#attempt++, this.#policy, this.#random);
    this.#o.log.info({ delayMs: delay, attempt: this.#attempt, depth: this.#spool.status().depth }, "connection lost; reconnecting");
    this.#scheduleConnect(delay);
  }

  /** Publishes spooled records in order, a bounded window at a time, paced below the broker's limits. */
  #pump(): void {
    const client = this.#client;
    if (!client || !this.connected || this.#pumpTimer) return;
    const gen = this.#gen;
    const max = this.#o.maxInflight ?? 10;
    const intervalMs = 1000 / (this.#o.publishPerSecond ?? 10);
    while (this.#inflight.size < max) {
      // a clock stepped back (NTP, a dead RTC) would otherwise hold every report until it caught up (issue #10)
      if (this.#nextPublishAt - this.#now() > intervalMs) this.#nextPublishAt = this.#now();
      const wait = this.#nextPublishAt - this.#now();
      if (wait > 0) {
        this.#pumpTimer = setTimeout(() => {
          this.#pumpTimer = null;
          this.#pump();
        }, wait);
        return;
      }
      const [r] = this.#spool.peek(this.#lastSent, 1);
      if (!r) return;
      this.#lastSent = r.seq;
      this.#inflight.add(r.seq);
      this.#nextPublishAt = this.#now() + intervalMs;
      client.publish(topicFor(r.kind as DeviceKind, this.#o.deviceId), r.payload, { qos: 1, retain: false }, (err) => {
        if (gen !== this.#gen) return;
        this.#inflight.delete(r.seq);
        if (err) {
          // the broker refused or the link broke: reconnect and resend from the oldest unacknowledged
          this.#o.log.warn({ err: err.message }, "publish failed");
          this.#lost(client);
          return;
        }
        this.#spool.ack(r.seq);
        this.#bytes.add(r.payload.length);
        this.#pump();
      });
    }
  }

  async send<K extends DeviceKind>(kind: K, message: MessageOf<K>): Promise<void> {
    if (!this.#started) throw new Error("transport not started");
    const payload = encodeMessage(kind, message);
    if (TOPICS[kind].qos === 0) {
      // best-effort kinds (command progress) are not worth a spool slot: send now or never
      const client = this.#client;
      if (client?.connected) client.publish(topicFor(kind, this.#o.deviceId), payload, { qos: 0 }, (err) => !err && this.#bytes.add(payload.length));
      return;
    }
    await this.#spool.append(kind, payload);
    this.#pump();
  }

  onCommand(handler: (payload: Buffer) => void): void {
    this.#handlers.push(handler);
  }

  spoolStatus() {
    return this.#spool.status();
  }

  bytesSentToday(): number {
    return this.#bytes.value();
  }

  /**
   * Applies new settings (SIGHUP). Connection settings unchanged: applied in place, the connection stays.
   * Changed: a new connection is made at once (new credentials, new CA); queued reports are kept.
   * Throws a readable error (unreadable CA file...) and keeps the old settings.
   */
  reload(next: MqttReloadable): { reconnected: boolean } {
    const changed = connectionChanged(this.#o, { ...this.#o, ...next });
    const opts = changed && this.#started ? clientOptions({ ...this.#o, ...next }) : this.#clientOpts;
    this.#o = { ...this.#o, ...next };
    this.#clientOpts = opts;
    if (!changed || !this.#started) return { reconnected: false };
    this.#nextReason = "reload";
    this.#attempt = 0;
    const client = this.#client;
    if (client) {
      this.#client = null;
      this.#gen++;
      client.removeAllListeners("close");
      client.end(true);
    }
    this.#scheduleConnect(0);
    return { reconnected: true };
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#connectTimer = this.#pumpTimer = null;
    const client = this.#client;
    this.#client = null;
    this.#gen++;
    if (client) {
      client.removeAllListeners("close");
      if (client.connected) {
        const state = encodeMessage("state", this.#stateMessage("offline", "shutdown"));
        await Promise.race([
          client.publishAsync(topicFor("state", this.#o.deviceId), state, { qos: 1, retain: true }).catch(() => undefined),
          new Promise((r) => setTimeout(r, 2000).unref()),
        ]);
      }
      // a clean DISCONNECT (not a forced end): it tells the broker to discard the Last Will (MQTT 3.1.1
      // §3.14.4), otherwise the will's "offline/will" would overwrite our "offline/shutdown"
      const ended = client.endAsync(false).catch(() => undefined);
      const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 2000).unref());
      if ((await Promise.race([ended, timer])) === "timeout") await client.endAsync(true).catch(() => undefined);
    }
    await this.#spool.close();
  }
}
