import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from "aedes";
import type { TLSSocket } from "node:tls";
import { deviceNamespace, parseTopic, topicFor, TOPICS } from "../../shared/index.ts";
import { TOPIC_ROOT } from "../../shared/version.ts";
import { verifySecret } from "../auth/secrets.ts";
import type { IngestPipeline } from "../ingest/pipeline.ts";
import type { FleetStore } from "../store/types.ts";
import type { Refusals } from "./refusals.ts";
import { BucketMap } from "./token-bucket.ts";

export interface HookOptions {
  store: FleetStore;
  ingest: IngestPipeline;
  refusals: Refusals;
  allowAnonymous: boolean;
  maxPayloadBytes: number;
  maxTopicLevels: number;
  publishRate: { per_second: number; burst: number };
  connectRatePerMinute: number;
  /** The fleet's own identities: read every device's reports, publish commands; hashed secrets. */
  serviceAccounts?: readonly { username: string; secret_hash: string }[];
  now?: () => number;
}

/** The device id an authenticated client speaks for (set by authenticate; never taken from the payload). */
export const DEVICE = Symbol("deviceId");
/** Set on a client authenticated as one of the fleet's service accounts. */
export const SERVICE = Symbol("service");
type DeviceClient = Client & { [DEVICE]?: string; [SERVICE]?: string };

/** The common name of a verified client certificate (mutual TLS), or null on plain TCP/WebSocket or without a certificate. */
export function verifiedCertificateName(client: Client): string | null {
  const conn = client.conn as Partial<TLSSocket> | undefined;
  if (!conn || typeof conn.getPeerCertificate !== "function" || conn.authorized !== true) return null;
  const cn = conn.getPeerCertificate().subject?.CN;
  return typeof cn === "string" ? cn : Array.isArray(cn) ? (cn[0] ?? null) : null;
}

function topicLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++;
  return n;
}

/** Filters a service account may subscribe to: device reports of every device, and $SYS for ops. */
function serviceMaySubscribe(topic: string): boolean {
  return topic === `${TOPIC_ROOT}/#` || topic.startsWith(`${TOPIC_ROOT}/`) || topic.startsWith("$SYS/");
}

function authError(message: string, code: 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** Remote address of a client's connection, for the per-address connection rate. */
function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; _socket?: { remoteAddress?: string } } | undefined;
  return conn?.remoteAddress ?? conn?._socket?.remoteAddress ?? "unknown";
}

/**
 * A Last Will may only be the client's own offline state: aedes stores it at connect without asking
 * authorizePublish, and in cluster mode another broker publishes it with no client to check against.
 * A device's will on someone else's topic (their state, or their command topic) is refused at connect.
 */
function willRefusal(client: Client, deviceId: string | null): string | null {
  const will = (client as unknown as { _will?: { topic?: string } | null })._will;
  if (!will || (deviceId !== null && isOwnStateTopic(String(will.topic), deviceId))) return null;
  return `Last Will on ${String(will.topic).slice(0, 200)}`;
}

/** The state topic of `deviceId` itself: the only topic a Last Will may have. */
function isOwnStateTopic(topic: string, deviceId: string): boolean {
  const t = parseTopic(topic);
  return t.ok && t.kind === "state" && t.deviceId === deviceId;
}

/**
 * Where a publish that must reach nobody is sent once accepted: a will aedes must still mark as published
 * (refusing it would leave it first in the dead broker's list, retried forever ahead of every other will),
 * or a late will of an earlier connection that service subscribers must not mistake for the device going
 * offline. Nothing subscribes here; clients cannot (topics starting with $ are the server's).
 */
const NOWHERE = "$edge/ignored";
function routeNowhere(packet: PublishPacket): void {
  packet.topic = NOWHERE;
  packet.retain = false;
}

/**
 * aedes policy hooks (the aedes model: small named hooks with safe defaults). A device authenticates
 * as itself (client id = username = device id), may publish only device-originated kinds inside its
 * own namespace, and may subscribe only to its own command topic.
 */
export function createHooks(o: HookOptions): Pick<AedesOptions, "preConnect" | "authenticate" | "authorizePublish" | "authorizeSubscribe"> {
  const now = o.now ?? Date.now;
  const connectBuckets = new BucketMap(o.connectRatePerMinute / 60, Math.max(1, Math.ceil(o.connectRatePerMinute / 6)));
  const publishBuckets = new BucketMap(o.publishRate.per_second, o.publishRate.burst);

  return {
    preConnect(client, _packet, callback) {
      // a reconnect storm from one address (NAT, or a looping device) must not starve everyone else
      if (!connectBuckets.take(remoteAddress(client), now())) {
        o.refusals.record("connect_rate", null, `too many connections from ${remoteAddress(client)}`);
        return callback(new Error("connection rate exceeded"), false);
      }
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const c = client as DeviceClient;
      // the identity is settled: a will elsewhere than its own state topic refuses the connection
      const accept = (kind: typeof DEVICE | typeof SERVICE, id: string) => {
        const refused = willRefusal(client, kind === DEVICE ? id : null);
        if (refused) {
          o.refusals.record("not_authorized", client.id ?? null, refused);
          return done(authError("the Last Will must be this device's own state topic", 5), false);
        }
        c[kind] = id;
        done(null, true);
      };
      // Mutual TLS: the TLS listener verified the certificate against the device CA; its CN is the
      // device id and must equal the client id (the same binding as username = client id below).
      const cn = verifiedCertificateName(client);
      if (cn !== null) {
        if (cn !== client.id) {
          o.refusals.record("identity_mismatch", client.id ?? null, `certificate CN '${cn}' is not the client id`);
          return done(authError("client id must equal the certificate CN", 5), false);
        }
        o.store.getCredential(cn).then(
          (cred) => {
            if (cred?.status === "revoked") {
              o.refusals.record("revoked", cn, "credential revoked");
              return done(authError("device revoked", 5), false);
            }
            accept(DEVICE, cn);
          },
          () => done(authError("authentication unavailable", 5), false),
        );
        return;
      }
      const svc = username ? o.serviceAccounts?.find((a) => a.username === username) : undefined;
      if (svc) {
        verifySecret(password?.toString("utf8") ?? "", svc.secret_hash).then((ok) => {
          if (!ok) {
            o.refusals.record("auth_failed", username ?? null, "bad service secret");
            return done(authError("bad secret", 4), false);
          }
          accept(SERVICE, svc.username);
        }, () => done(authError("authentication unavailable", 5), false));
        return;
      }
      if (!username && o.allowAnonymous) {
        // anonymous access is for lab brokers; it must not let a passwordless client take over (and
        // read the commands of) a device that has credentials
        o.store.getCredential(client.id).then((cred) => {
          if (cred) {
            o.refusals.record("auth_failed", client.id ?? null, "anonymous connect as a provisioned device");
            return done(authError("this device id needs its credentials", 4), false);
          }
          accept(DEVICE, client.id);
        }, () => done(authError("authentication unavailable", 5), false));
        return;
      }
      if (!username || !password) {
        o.refusals.record("auth_failed", client.id ?? null, "no username or password");
        return done(authError("username and password required", 4), false);
      }
      // MQTT 3.1.1 §3.1.3.1: the client id identifies the session; binding it to the identity stops
      // one device from taking over (and reading) another's persistent session.
      if (client.id !== username) {
        o.refusals.record("identity_mismatch", client.id ?? null, `client id '${client.id}' is not the username '${username}'`);
        return done(authError("client id must equal the device id", 5), false);
      }
      o.store
        .getCredential(username)
        .then(async (cred) => {
          if (!cred) throw authError("unknown device", 4);
          if (cred.status === "revoked") {
            o.refusals.record("revoked", username, "credential revoked");
            throw authError("device revoked", 5);
          }
          if (!(await verifySecret(password.toString("utf8"), cred.secretHash))) throw authError("bad secret", 4);
          accept(DEVICE, username);
        })
        .catch((err: AuthenticateError) => {
          if (err.message !== "device revoked") o.refusals.record("auth_failed", username, err.message);
          done(err.returnCode ? err : authError("authentication unavailable", 5), false);
        });
    },

    authorizePublish(client, packet: PublishPacket, callback) {
      // null: aedes publishing the Last Will of a client whose broker died (cluster mode, found by the
      // surviving brokers' heartbeat check); its topic was checked at connect (willRefusal). It is that
      // device's offline signal, so it is ingested like any will (one of an earlier connection than the
      // device's current one is ignored by the ingest and reaches nobody).
      if (!client) {
        const t = parseTopic(packet.topic);
        const owner = (packet as { clientId?: string }).clientId;
        if (!t.ok || !isOwnStateTopic(packet.topic, owner ?? t.deviceId)) {
          // one stored before wills were checked at connect: counted, and routed nowhere
          o.refusals.record("not_authorized", owner ?? null, `orphaned Last Will on ${packet.topic.slice(0, 200)}`);
          routeNowhere(packet);
          return callback(null);
        }
        o.ingest.handle(packet.topic, packet.payload as Buffer, null).then(
          (outcome) => {
            if (outcome === "accepted") packet.retain = false;
            else routeNowhere(packet);
            callback(null);
          },
          // aedes keeps the will and tries again at its next check
          (err: Error) => callback(err),
        );
        return;
      }
      const topic = packet.topic;
      // MQTT 3.1.1 §4.7.2: topics starting with $ are the server's; no client publishes there
      if (topic.startsWith("$")) {
        o.refusals.record("not_authorized", client.id, `publish to reserved ${topic.slice(0, 200)}`);
        return callback(new Error("publish not authorized"));
      }
      // aedes' own ceiling (100) protects its trie; ours is the product's, and counted
      if (topicLevels(topic) > o.maxTopicLevels) {
        o.refusals.record("topic_too_deep", client.id, `topic of ${topicLevels(topic)} levels`);
        return callback(new Error("topic too deep"));
      }
      const service = (client as DeviceClient)[SERVICE];
      const t = parseTopic(topic);
      if (service) {
        // the fleet's identity sends commands; it never speaks for a device
        if (t.ok && t.kind === "command") return callback(null);
        o.refusals.record("not_authorized", client.id, `service publish to ${topic.slice(0, 200)}`);
        return callback(new Error("publish not authorized"));
      }
      const deviceId = (client as DeviceClient)[DEVICE];
      if (!deviceId || !topic.startsWith(deviceNamespace(deviceId)) || !t.ok || TOPICS[t.kind].from !== "device") {
        // MQTT 3.1.1 §3.3.5: a server that refuses a PUBLISH must ack it or close the connection; we close
        o.refusals.record("not_authorized", client.id, `publish to ${topic.slice(0, 200)}`);
        return callback(new Error("publish not authorized"));
      }
      if (packet.payload && (packet.payload as Buffer).byteLength > o.maxPayloadBytes) {
        // acked and dropped (counted) rather than closing: the device must not redeliver it forever
        o.refusals.record("oversized", client.id, `payload of ${(packet.payload as Buffer).byteLength} bytes`);
        packet.retain = false;
        // (never stored; the copy forwarded to service subscribers is theirs to validate, like any payload)
        return callback(null);
      }
      // the Last Will is the offline signal: it must never be rate limited away
      const isWill = (client as unknown as { will?: unknown }).will === packet;
      if (!isWill && !publishBuckets.take(client.id, now())) {
        // closing (rather than acking and dropping) keeps the report in the device's spool for later
        o.refusals.record("rate_limited", client.id, "publish rate exceeded");
        return callback(new Error("publish rate exceeded"));
      }
      // Ingest before the PUBACK (aedes acks QoS 1 after this hook): a report acknowledged to the
      // device is already in the store. Invalid content is acked and dropped (counted): a device
      // would otherwise redeliver the same bad message forever.
      o.ingest.handle(topic, packet.payload as Buffer, client.id).then(
        (outcome) => {
          // The store is the record of a device's state (REST API, live events); a retained copy in the
          // broker's memory would cost ~0.6 KB per device, kept for every device ever seen, even long
          // gone (issue #9). Subscribers still get the state live, with the flag cleared; a late will of
          // an earlier connection, which the store ignored, reaches nobody.
          if (outcome === "ignored" && isWill) routeNowhere(packet);
          packet.retain = false;
          callback(null);
        },
        (err: Error) => callback(err),
      );
    },

    authorizeSubscribe(client, sub: Subscription, callback) {
      const service = (client as DeviceClient)[SERVICE];
      if (service && serviceMaySubscribe(sub.topic)) return callback(null, sub);
      const deviceId = (client as DeviceClient)[DEVICE];
      if (deviceId && sub.topic === topicFor("command", deviceId)) return callback(null, sub);
      o.refusals.record("acl_subscribe", client.id, `subscribe to ${sub.topic.slice(0, 200)}`);
      // a null subscription makes aedes answer SUBACK 0x80 (failure) without dropping the connection
      callback(null, null);
    },
  };
}
