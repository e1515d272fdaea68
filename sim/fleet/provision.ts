import { randomBytes, scrypt } from "node:crypto";
import type { DeviceCredential } from "../../broker/store/types.ts";
import type { VirtualDeviceFacts } from "./messages.ts";

/** A virtual device's identity and the facts it reports. */
export interface SimIdentity extends VirtualDeviceFacts {
  secret: string;
}

/** The part of the fleet store provisioning needs (any FleetStore qualifies). */
export interface CredentialSink {
  addCredential(cred: DeviceCredential): Promise<void>;
}

const MODELS = ["speaker-mini", "speaker-max", "companion-7"];
const REGIONS = ["eu-west", "us-east", "ap-south"];

/** Deterministic 32-bit PRNG (mulberry32): the same seed gives the same fleet and the same fault set. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The same `scrypt$N$r$p$salt$hash` format as broker/auth/secrets.ts (which sim may import only as a
 * type boundary; keeping the format here lets a benchmark provision without pulling the broker in).
 */
function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { N: 1024, r: 8, p: 1 }, (err, key) =>
      err ? reject(err) : resolve(["scrypt", 1024, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$")),
    ),
  );
}

/**
 * Creates `count` identities named `<prefix>-00001`… with their own random secrets and stores their
 * credentials, so each virtual device authenticates exactly as a real one does.
 */
export async function provisionFleet(store: CredentialSink, count: number, prefix: string, seed = 1): Promise<SimIdentity[]> {
  const rand = seededRandom(seed);
  const width = Math.max(5, String(count).length);
  const ids: SimIdentity[] = [];
  for (let i = 1; i <= count; i++) {
    ids.push({
      id: `${prefix}-${String(i).padStart(width, "0")}`,
      secret: randomBytes(32).toString("base64url"),
      model: MODELS[Math.floor(rand() * MODELS.length)]!,
      region: REGIONS[Math.floor(rand() * REGIONS.length)]!,
      firmware: rand() < 0.8 ? "fw-2.4.1" : "fw-2.3.9",
      appId: "app-sim",
    });
  }
  const createdAt = Date.now();
  // scrypt runs on libuv's pool; a bounded number in flight keeps memory flat for large fleets
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const d = ids[next++]!;
      await store.addCredential({ id: d.id, secretHash: await hashSecret(d.secret), status: "active", createdAt, labels: { fleet: "sim" } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}
