import { topicFor } from "../../shared/index.ts";
import { LiteMqttClient } from "../../sim/fleet/client.ts";
import { telemetryMessage } from "../../sim/fleet/messages.ts";
import { seededRandom, type SimIdentity } from "../../sim/fleet/provision.ts";
import { sleep } from "./child.ts";

/** Result of one load run: acknowledged QoS 1 publishes per second over the measured window. */
export interface LoadResult {
  ackedPerS: number;
  acked: number;
  windowS: number;
  failed: number;
  /** Payload size of the publishes, in bytes (the same generator for every broker measured). */
  payloadBytes: number;
  /** What `measure` returned at the window's start and end (e.g. the broker's CPU time), when given. */
  window: { start: number; end: number } | null;
}

/**
 * The one load generator both sides of the ingest benchmark get: `identities.length` connections,
 * each keeping `window` QoS 1 telemetry publishes in flight (a new one on every PUBACK), fresh
 * msg_id each (so dedup never short-cuts the pipeline). Counts PUBACKs after a warm-up.
 */
export async function loadRun(o: {
  port: number;
  identities: SimIdentity[];
  authenticate: boolean;
  window: number;
  warmupMs: number;
  measureMs: number;
  /** Sampled when the measured window opens and closes (the broker's CPU milliseconds, say). */
  measure?: () => number;
}): Promise<LoadResult> {
  const clients = await Promise.all(
    o.identities.map(async (d) => {
      const c = new LiteMqttClient({ host: "127.0.0.1", port: o.port, clientId: d.id, keepaliveS: 120, clean: true, ...(o.authenticate ? { username: d.id, password: d.secret } : {}) });
      const r = await c.connect();
      if (r.result !== "ok") throw new Error(`load client ${d.id} could not connect: ${JSON.stringify(r)}`);
      return { c, d };
    }),
  );
  const rand = seededRandom(9);
  let counting = false;
  let running = true;
  let acked = 0;
  let failed = 0;
  let payloadBytes = 0;
  const loops = clients.flatMap(({ c, d }) => {
    const topic = topicFor("telemetry", d.id);
    let seq = 0;
    const one = async () => {
      while (running) {
        const payload = Buffer.from(JSON.stringify(telemetryMessage(d, seq++, Date.now(), rand)));
        payloadBytes = payload.byteLength;
        const ok = await c.publish(topic, payload, 1);
        if (!ok) {
          failed++;
          return;
        }
        if (counting) acked++;
      }
    };
    return Array.from({ length: o.window }, one);
  });
  await sleep(o.warmupMs);
  const start = o.measure?.() ?? 0;
  counting = true;
  const t0 = performance.now();
  await sleep(o.measureMs);
  counting = false;
  const windowS = (performance.now() - t0) / 1000;
  const end = o.measure?.() ?? 0;
  running = false;
  await Promise.race([Promise.all(loops), sleep(5000)]);
  for (const { c } of clients) c.disconnect();
  return { ackedPerS: acked / windowS, acked, windowS, failed, payloadBytes, window: o.measure ? { start, end } : null };
}
