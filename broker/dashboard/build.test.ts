import { describe, expect, it } from "vitest";
import { buildDashboard } from "./build.ts";

describe("dashboard bundle", () => {
  it("carries the fault tables but no zod: the browser gets types and tables, not the validation library", async () => {
    const { js } = await buildDashboard({ minify: true });
    expect(js).toContain("Voice capture fault on the device");
    expect(js).not.toMatch(/ZodError|_zod/);
    // with zod it was 535 KB; a budget that catches the next heavy import
    expect(js.length).toBeLessThan(150 * 1024);
  });
});
