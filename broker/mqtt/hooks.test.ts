import type { Client, PublishPacket } from "aedes";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { topicFor } from "../../shared/index.ts";
import type { IngestOutcome, IngestPipeline } from "../ingest/pipeline.ts";
import type { FleetStore } from "../store/types.ts";
import { createHooks } from "./hooks.ts";
import { Refusals } from "./refusals.ts";

/** The hooks with an ingest that answers `outcome` and records what it was given. */
function hooks(outcome: IngestOutcome) {
  const seen: string[] = [];
  const refusals = new Refusals(pino({ level: "silent" }));
  const h = createHooks({
    store: {} as FleetStore,
    ingest: { handle: async (topic: string) => (seen.push(topic), outcome) } as unknown as IngestPipeline,
    refusals,
    allowAnonymous: false,
    maxPayloadBytes: 8192,
    maxTopicLevels: 8,
    publishRate: { per_second: 20, burst: 60 },
    connectRatePerMinute: 120,
  });
  const authorize = (client: Client | null, packet: PublishPacket) =>
    new Promise<Error | null>((resolve) => h.authorizePublish!(client as Client, packet, (err) => resolve(err ?? null)));
  return { seen, refusals, authorize };
}

const will = (topic: string, clientId: string) => ({ cmd: "publish", topic, payload: Buffer.from("{}"), qos: 1, retain: true, dup: false, clientId }) as unknown as PublishPacket;

describe("a dead cluster broker's Last Wills, published by a survivor (no client)", () => {
  it("ingests the device's own state will and clears its retain flag", async () => {
    const { seen, authorize } = hooks("accepted");
    const p = will(topicFor("state", "dev-a"), "dev-a");
    expect(await authorize(null, p)).toBeNull();
    expect(seen).toEqual([topicFor("state", "dev-a")]);
    expect(p).toMatchObject({ topic: topicFor("state", "dev-a"), retain: false });
  });

  it("routes an earlier connection's will, which the store ignored, to nobody", async () => {
    const { authorize } = hooks("ignored");
    const p = will(topicFor("state", "dev-a"), "dev-a");
    expect(await authorize(null, p)).toBeNull();
    expect(p.topic).toBe("$edge/ignored");
  });

  it("accepts but routes nowhere a will on another device's topic or a command topic (stored before wills were checked), counting it; never an error, which would stall every will after it", async () => {
    for (const topic of [topicFor("state", "dev-b"), topicFor("command", "dev-a")]) {
      const { seen, refusals, authorize } = hooks("accepted");
      const p = will(topic, "dev-a");
      expect(await authorize(null, p)).toBeNull();
      expect(p.topic).toBe("$edge/ignored");
      expect(seen).toEqual([]);
      expect(refusals.counts.get("not_authorized")).toBe(1);
    }
  });
});
