import { afterEach, describe, expect, it } from "vitest";
import { startApi, type Api } from "./harness.ts";

describe("dashboard assets", () => {
  let api: Api;
  afterEach(async () => api?.close());

  it("serves the page and its bundled script and styles from a clean clone, with no third-party origin", async () => {
    api = await startApi();
    const page = await api.app.inject({ url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.body).toContain('src="/assets/app.js"');
    const js = await api.app.inject({ url: "/assets/app.js" });
    const css = await api.app.inject({ url: "/assets/app.css" });
    expect(js.headers["content-type"]).toContain("javascript");
    // uPlot is in the bundle (its class names survive minification), and so is its stylesheet
    expect(js.body.includes("u-legend")).toBe(true);
    expect(css.body.includes(".uplot")).toBe(true);
    // bundled: nothing fetched from a CDN
    expect(/(src|href)=["']?https?:\/\//.test(page.body + css.body)).toBe(false);
    expect(/import\s*\(?["']https?:/.test(js.body)).toBe(false);
  });
});
