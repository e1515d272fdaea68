import { connect as netConnect, type Socket } from "node:net";
import mqttPacket, { type IConnectPacket, type Packet } from "mqtt-packet";

/** What a virtual device needs to open its session. */
export interface LiteClientOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS: number;
  clean: boolean;
  will?: { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean };
}

export type LiteConnectResult = { result: "ok" } | { result: "refused"; code: number } | { result: "error"; detail: string } | { result: "timeout" };

/**
 * A minimal MQTT 3.1.1 client over one TCP socket, built on `mqtt-packet` (the codec MQTT.js and aedes
 * use). MQTT.js keeps a store, reconnect timers and stream machinery per connection; 10,000 of those in
 * one process cost more than the broker we measure. This one keeps a socket, a parser and a map of
 * unacknowledged packet ids. No reconnect, no QoS 2: the simulator decides what a device does next.
 * Keepalive pings are the owner's job (`ping()`), so 10,000 clients share one timer.
 */
export class LiteMqttClient {
  #o: LiteClientOptions;
  #socket: Socket | null = null;
  #nextId = 1;
  #pending = new Map<number, (ok: boolean) => void>();
  #onConnack: ((r: LiteConnectResult) => void) | null = null;
  /** Called with every PUBLISH the broker delivers (QoS 1 ones are acknowledged first). */
  onMessage: ((topic: string, payload: Buffer) => void) | null = null;
  /** Called once when the connection ends for any reason after it was established. */
  onClose: (() => void) | null = null;
  connected = false;
  bytesOut = 0;

  constructor(o: LiteClientOptions) {
    this.#o = o;
  }

  /** Opens the socket and the MQTT session; resolves with a result, never rejects. */
  connect(timeoutMs = 10_000): Promise<LiteConnectResult> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: LiteConnectResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#onConnack = null;
        if (r.result !== "ok") this.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ result: "timeout" }), timeoutMs);
      const socket = netConnect({ host: this.#o.host, port: this.#o.port });
      socket.setNoDelay(true);
      this.#socket = socket;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on("packet", (p: Packet) => this.#onPacket(p));
      parser.on("error", (err: Error) => {
        finish({ result: "error", detail: `bad packet from broker: ${err.message}` });
        this.destroy();
      });
      socket.on("data", (buf) => parser.parse(buf));
      socket.on("error", (err) => finish({ result: "error", detail: err.message }));
      socket.on("close", () => {
        finish({ result: "error", detail: "connection closed before CONNACK" });
        this.#closed();
      });
      this.#onConnack = finish;
      const o = this.#o;
      const packet: IConnectPacket = {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId: o.clientId,
        clean: o.clean,
        keepalive: o.keepaliveS,
        ...(o.username !== undefined ? { username: o.username } : {}),
        ...(o.password !== undefined ? { password: Buffer.from(o.password) } : {}),
        ...(o.will ? { will: o.will } : {}),
      };
      this.#write(packet);
    });
  }

  #write(p: Packet): void {
    const buf = mqttPacket.generate(p);
    this.bytesOut += buf.length;
    this.#socket?.write(buf);
  }

  #onPacket(p: Packet): void {
    switch (p.cmd) {
      case "connack": {
        const code = p.returnCode ?? 0;
        if (code === 0) this.connected = true;
        this.#onConnack?.(code === 0 ? { result: "ok" } : { result: "refused", code });
        break;
      }
      case "puback":
      case "suback": {
        const id = p.messageId ?? 0;
        const done = this.#pending.get(id);
        this.#pending.delete(id);
        // SUBACK 0x80 is a refusal (MQTT 3.1.1 §3.9.3)
        done?.(p.cmd === "puback" || !(p.granted ?? []).includes(128));
        break;
      }
      case "publish":
        if (p.qos === 1 && p.messageId !== undefined) this.#write({ cmd: "puback", messageId: p.messageId });
        this.onMessage?.(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
        break;
      default:
        break;
    }
  }

  #id(): number {
    // packet ids are 16-bit and must not be 0 (MQTT 3.1.1 §2.3.1); skip ids still in flight
    do this.#nextId = this.#nextId >= 65535 ? 1 : this.#nextId + 1;
    while (this.#pending.has(this.#nextId));
    return this.#nextId;
  }

  /** Publishes; QoS 1 resolves true on PUBACK, false if the connection ends first. QoS 0 resolves at once. */
  publish(topic: string, payload: Buffer, qos: 0 | 1, retain = false): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    if (qos === 0) {
      this.#write({ cmd: "publish", topic, payload, qos: 0, retain, dup: false });
      return Promise.resolve(true);
    }
    const messageId = this.#id();
    return new Promise((resolve) => {
      this.#pending.set(messageId, resolve);
      this.#write({ cmd: "publish", topic, payload, qos: 1, retain, dup: false, messageId });
    });
  }

  /** Subscribes with QoS 1; true when the broker granted it. */
  subscribe(topic: string): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    const messageId = this.#id();
    return new Promise((resolve) => {
      this.#pending.set(messageId, resolve);
      this.#write({ cmd: "subscribe", messageId, subscriptions: [{ topic, qos: 1 }] });
    });
  }

  /** Sends a PINGREQ; the owner calls this within the keepalive period. */
  ping(): void {
    if (this.connected) this.#write({ cmd: "pingreq" });
  }

  /** A clean DISCONNECT: the broker discards the Last Will. */
  disconnect(): void {
    if (this.connected) this.#write({ cmd: "disconnect" });
    this.#socket?.end();
  }

  /** Drops the socket without DISCONNECT, as a crash or power loss does: the Last Will fires. */
  destroy(): void {
    this.#socket?.destroy();
  }

  #closed(): void {
    const was = this.connected;
    this.connected = false;
    for (const done of this.#pending.values()) done(false);
    this.#pending.clear();
    this.#socket = null;
    if (was) this.onClose?.();
  }
}
