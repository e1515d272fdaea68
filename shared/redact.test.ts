import { describe, expect, it } from "vitest";
import { maskString } from "./redact.ts";

describe("secrets written in the forms vendors and HTTP dumps use", () => {
  it.each([
    ['{"api_key": "AIzaSyA12345678"}', '{"api_key": "[redacted]"}'],
    ['password="hunter2secret"', 'password="[redacted]"'],
    ["Authorization: Token abcdef123456", "Authorization: Token [redacted]"],
    ["Ocp-Apim-Subscription-Key: 0123456789abcdef", "Ocp-Apim-Subscription-Key: [redacted]"],
    ["https://s3/x?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA123", "https://s3/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]"],
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
