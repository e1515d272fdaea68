import { describe, expect, it } from "vitest";
import { maskString, redact } from "./redact.ts";

describe("secrets written in the forms vendors and HTTP dumps use", () => {
  it.each([
    ['{"api_key": "AIzaSyA12345678"}', '{"api_key": "[redacted]"}'],
    ['password="hunter2secret"', 'password="[redacted]"'],
    ["Authorization: Token abcdef123456", "Authorization: Token [redacted]"],
    ["Ocp-Apim-Subscription-Key: 0123456789abcdef", "Ocp-Apim-Subscription-Key: [redacted]"],
    ["https://s3/x?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA123", "https://s3/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]"],
    // one of each form the quick pre-check must let through to the patterns (any case)
    ["GET / bearer abcdef.123456", "GET / bearer [redacted]"],
    ["Basic dXNlcjpwYXNz", "Basic [redacted]"],
    ["wss://x/v1?KEY=abc123&mode=a", "wss://x/v1?KEY=[redacted]&mode=a"],
    ["/cb?a=1&access_token=xyz", "/cb?a=1&access_token=[redacted]"],
    ["key sk-abcdefgh12345678 used", "key [redacted] used"],
    ["pk-ABCDEFGH12345678 and rk-abcdefgh_1234", "[redacted] and [redacted]"],
    ["upstream said (token=abc)", "upstream said (token=[redacted])"],
    ["SECRET: s3cr3t", "SECRET: [redacted]"],
    ["passwd=x", "passwd=[redacted]"],
    ["apikey=y", "apikey=[redacted]"],
    ["credential: AKIA999", "credential: [redacted]"],
    ["signature=deadbeef", "signature=[redacted]"],
  ])("%s", (input, want) => {
    expect(maskString(input)).toBe(want);
  });

  it("masks a rotated secret that extends the old one whole, whatever order they were learned in", () => {
    expect(maskString("old hunter22 new hunter22-b", ["hunter22", "hunter22-b"])).toBe("old [redacted] new [redacted]");
  });

  it("keeps a vendor's error message readable: 'Token expired' is not a secret", () => {
    expect(maskString("10103 Token expired; regenerate it")).toBe("10103 Token expired; regenerate it");
  });
});

describe("redact", () => {
  it("masks inside every string of a report, and known secrets whatever their order", () => {
    const report = { id: "d-1", steps: [{ name: "probe_text", detail: "401 from cloud: Bearer abcdef123456 rejected" }], note: "uses hunter22-b now", password: "x" };
    expect(redact(report, ["hunter22", "hunter22-b"])).toEqual({ id: "d-1", steps: [{ name: "probe_text", detail: "401 from cloud: Bearer [redacted] rejected" }], note: "uses [redacted] now", password: "[redacted]" });
  });

  it("masks the inline forms in object keys too (a label or a scenario map is free text as well)", () => {
    expect(redact({ labels: { "password=hunter2x": "1", room: "kitchen" } })).toEqual({ labels: { "password=[redacted]": "[redacted]", room: "kitchen" } });
  });
});
