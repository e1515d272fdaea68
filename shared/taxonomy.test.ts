import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_FAMILY_TABLE } from "./faults.ts";
import { classifyError, lookupError, renderErrorCodeTable, TAXONOMY } from "./taxonomy.ts";

describe("error taxonomy", () => {
  it.each([
    ["10001", "network", "network"], ["10099", "network", "network"],
    ["10150", "auth", "auth"], ["10250", "request", "request"], ["10399", "quota", "quota"], ["10499", "server", "cloud_outage"],
    ["http_401", "auth", "auth"], ["http_403", "auth", "auth"], ["http_400", "request", "request"], ["http_422", "request", "request"],
    ["http_429", "quota", "quota"], ["http_500", "server", "cloud_outage"], ["http_504", "server", "cloud_outage"],
    ["ws_handshake_401", "auth", "auth"], ["ws_handshake_429", "quota", "quota"], ["ws_handshake_503", "server", "cloud_outage"],
    ["ws_close_1006", "network", "network"], ["ws_close_1011", "server", "cloud_outage"], ["ws_close_1008", "request", "request"],
    ["invalid_api_key", "auth", "auth"], ["rate_limit_exceeded", "quota", "quota"], ["insufficient_quota", "quota", "quota"], ["server_error", "server", "cloud_outage"],
    ["ENOTFOUND", "network", "network"], ["ECONNREFUSED", "network", "network"], ["ETIMEDOUT", "network", "network"], ["ECONNRESET", "network", "network"],
    ["CERT_HAS_EXPIRED", "network", "network"], ["ERR_TLS_CERT_ALTNAME_INVALID", "network", "network"],
  ])("%s → %s / %s", (code, family, fault) => {
    const c = classifyError({ code });
    expect(c.family).toBe(family);
    expect(c.fault).toBe(fault);
    expect(c.action.length).toBeGreaterThan(10);
  });

  it("falls back to the Realtime error type, then to unknown", () => {
    expect(classifyError({ code: "something_new", type: "invalid_request_error" }).fault).toBe("request");
    expect(classifyError({ code: "audio_unintelligible", type: "transcription_error" }).fault).toBe("voice_cloud");
    expect(classifyError({ code: "weird" }).fault).toBe("unknown");
    expect(lookupError("vendor", 10500).fault).toBe("unknown");
  });

  it("vendor rows come from the shared family table, so the two cannot drift", () => {
    for (const row of Object.values(ERROR_FAMILY_TABLE)) {
      expect(TAXONOMY.some((r) => r.source === "vendor" && typeof r.match === "object" && r.match.from === row.from && r.match.to === row.to && r.action === row.action)).toBe(true);
    }
  });

  it("docs/error-codes.md is the rendered table (regenerate with renderErrorCodeTable when this fails)", () => {
    expect(readFileSync(new URL("../docs/error-codes.md", import.meta.url), "utf8")).toBe(renderErrorCodeTable());
  });
});
