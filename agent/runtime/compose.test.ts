import { describe, expect, it } from "vitest";
import { resolveAgentConfig } from "../config/index.ts";
import { aiTargets } from "./compose.ts";

describe("network targets default to the AI service", () => {
  it("probes the Realtime endpoint's host over TLS when no target is configured", () => {
    const c = resolveAgentConfig({ device: { id: "spk-1" }, cloud: { realtime: { url: "wss://api.example.com/v1/realtime" } } }, "test");
    expect(aiTargets(c)).toEqual([{ name: "ai_service", url: "https://api.example.com/", tls: "verify" }]);
  });

  it("probes the HTTP adapter's host when that adapter is chosen", () => {
    const c = resolveAgentConfig({ device: { id: "spk-1" }, cloud: { adapter: "http", http: { text_url: "http://127.0.0.1:8787/v1/chat" } } }, "test");
    expect(aiTargets(c)).toEqual([{ name: "ai_service", url: "http://127.0.0.1:8787/", tls: "verify" }]);
  });
});
