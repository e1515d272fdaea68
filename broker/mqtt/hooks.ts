import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from "aedes";
import { deviceNamespace, parseTopic, topicFor, TOPICS } from "../../shared/index.ts";
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
  now?: () => number;
}

/** The device id an authenticated client speaks for (set by authenticate; never taken from the payload). */
export const DEVICE = Symbol("deviceId");
type DeviceClient = Client & { [DEVICE]?: string };

function authError(message: string, code: 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** Remote address of a client's connection, for the per-address connection rate. */
function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; _socket?: { remoteAddress?: string } } | undefined;
  return conn?.remoteAddress ?? conn?._socket?.remoteAddress ?? "unknown";
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
      if (!username && o.allowAnonymous) {
        c[DEVICE] = client.id;
        return done(null, true);
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
          c[DEVICE] = username;
          done(null, true);
        })
        .catch((err: AuthenticateError) => {
          if (err.message !== "device revoked") o.refusals.record("auth_failed", username, err.message);
          done(err.returnCode ? err : authError("authentication unavailable", 5), false);
        });
    },

    authorizePublish(client, packet: PublishPacket, callback) {
      // null: aedes publishing an obsolete will of a client that is gone; it was authorised at connect
      if (!client) return callback(null);
      const deviceId = (client as DeviceClient)[DEVICE];
      const topic = packet.topic;
      const t = parseTopic(topic);
      if (!deviceId || !topic.startsWith(deviceNamespace(deviceId)) || !t.ok || TOPICS[t.kind].from !== "device") {
        // MQTT 3.1.1 §3.3.5: a server that refuses a PUBLISH must ack it or close the connection; we close
        o.refusals.record("not_authorized", client.id, `publish to ${topic.slice(0, 200)}`);
        return callback(new Error("publish not authorized"));
      }
      if (!publishBuckets.take(client.id, now())) {
        // closing (rather than acking and dropping) keeps the report in the device's spool for later
        o.refusals.record("rate_limited", client.id, "publish rate exceeded");
        return callback(new Error("publish rate exceeded"));
      }
      // Ingest before the PUBACK (aedes acks QoS 1 after this hook): a report acknowledged to the
      // device is already in the store. Invalid content is acked and dropped (counted): a device
      // would otherwise redeliver the same bad message forever.
      o.ingest.handle(topic, packet.payload as Buffer, client.id).then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    },

    authorizeSubscribe(client, sub: Subscription, callback) {
      const deviceId = (client as DeviceClient)[DEVICE];
      if (deviceId && sub.topic === topicFor("command", deviceId)) return callback(null, sub);
      o.refusals.record("acl_subscribe", client.id, `subscribe to ${sub.topic.slice(0, 200)}`);
      // a null subscription makes aedes answer SUBACK 0x80 (failure) without dropping the connection
      callback(null, null);
    },
  };
}
