import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { runStatusPageProbe } from "./statuspage.ts";

// The probe speaks node:http rather than fetch (issue #9); these pin the failure cases a support engineer reads.
let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

function ctx(signal = new AbortController().signal) {
  let t = 0;
  return { apiKey: null, signal, now: () => (t += 5), wallNow: () => 0, log: pino({ level: "silent" }) };
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("status page probe over node:http", () => {
  it("an HTTP error status is an error carrying that status", async () => {
    const url = await serve((_req, res) => res.writeHead(503).end("down"));
    const run = await runStatusPageProbe(url, [], ctx());
    expect(run).toMatchObject({ result: "error", error: { code: "http_503", http_status: 503 } });
    expect(run.bytes_received).toBe(4);
  });

  it("a closed port is 'refused'", async () => {
    const url = await serve((_req, res) => res.end());
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    const run = await runStatusPageProbe(url, [], ctx());
    expect(run).toMatchObject({ result: "refused", error: { code: "ECONNREFUSED" } });
  });

  it("a page that never answers ends as a timeout when the signal fires", async () => {
    const url = await serve(() => {});
    const ac = new AbortController();
    const pending = runStatusPageProbe(url, [], ctx(ac.signal));
    setImmediate(() => ac.abort());
    expect(await pending).toMatchObject({ result: "timeout", error: { code: "probe_timeout" } });
  });

  it("reads components only from components.json, filtering to the configured names", async () => {
    const url = await serve((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/v2/status.json") return res.end(JSON.stringify({ status: { indicator: "minor", description: "Partial outage" } }));
      res.end(JSON.stringify({ components: [{ name: "TTS", status: "degraded_performance" }, { name: "ASR", status: "major_outage" }, { name: "Web", status: "operational" }] }));
    });
    const run = await runStatusPageProbe(url, ["asr"], ctx());
    expect(run).toMatchObject({ result: "ok", status_indicator: "minor", answer: "Partial outage", degraded_components: ["ASR: major_outage"] });
  });
});
