import type { Client } from "aedes";

/** The parts of mqtt-packet's Parser (the one aedes builds per client) that the limit hooks into. */
interface ParserInternals {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * The largest MQTT packet the broker reads, for a given max_payload_bytes: room for a report a little over
 * the payload limit (acked and dropped, counted, so its device does not resend it forever) and at least
 * 1 MiB; anything larger is garbage or an attack, and its connection is closed.
 */
export function maxPacketBytes(maxPayloadBytes: number): number {
  return Math.max(1024 * 1024, 4 * maxPayloadBytes);
}

/**
 * Refuses an MQTT packet whose announced length exceeds `maxBytes` as soon as its fixed header is read,
 * before its body is buffered. aedes reads every packet whole (MQTT allows 256 MB) before any hook sees
 * it, so one client, even before authenticating with its CONNECT, could make the broker hold that much.
 * The parser's error closes the connection (aedes' own handling of malformed packets). Returns false when
 * the client has no parser of the expected shape (another aedes version): the caller says so once.
 */
export function limitPacketSize(client: Client, maxBytes: number, refused: (announced: number) => void): boolean {
  const parser = (client as unknown as { _parser?: Partial<ParserInternals> })._parser;
  if (!parser || typeof parser._parseLength !== "function" || typeof parser._emitError !== "function") return false;
  const parseLength = parser._parseLength;
  parser._parseLength = function (this: ParserInternals): boolean {
    if (!parseLength.call(this)) return false;
    if (this.packet.length <= maxBytes) return true;
    refused(this.packet.length);
    this._emitError(new Error(`packet of ${this.packet.length} bytes exceeds the broker's ${maxBytes}-byte limit`));
    return false;
  };
  return true;
}
