import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { BundleChunk } from "../../shared/index.ts";
import { buildBundle } from "./builder.ts";
import { bundleCommand } from "./command.ts";
import { LogRing } from "./log-ring.ts";

const ctx = (id = "bundle000001") => ({ id, issuer: "tech", signal: new AbortController().signal, progress: () => undefined });
const sources = (logs: string[]) => () => ({
  config: { mqtt: { url: "mqtts://fleet", password: "p4ssw0rd-device" }, cloud: { api_key: "sk-abcdefghijklmnop" } },
  logs,
  telemetry: [{ seq: 1 }],
  diagnoses: [{ diagnosis_id: "d1" }],
  knownSecrets: ["p4ssw0rd-device"],
});

describe("support bundle", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it("sends redacted gzip JSON in chunks whose concatenation matches the sha256", async () => {
    const chunks: BundleChunk[] = [];
    // incompressible log lines, so the bundle needs several 45 KB chunks
    const logs = Array.from({ length: 2000 }, (_, i) => `line ${i} ${createHash("sha256").update(String(i)).digest("base64")} password=p4ssw0rd-device`.repeat(2));
    const run = bundleCommand({ deviceId: "speaker-b", send: async (kind, m) => void (kind === "bundle" && chunks.push(m as BundleChunk)), sources: sources(logs) });
    const out = (await run({}, ctx())) as { delivery: string; chunks: number; sha256: string };
    expect(out.delivery).toBe("mqtt");
    expect(chunks.length).toBe(out.chunks);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.index)).toEqual([...chunks.keys()]);
    const gz = Buffer.concat(chunks.map((c) => Buffer.from(c.data, "base64")));
    expect(createHash("sha256").update(gz).digest("hex")).toBe(out.sha256);
    const doc = JSON.parse(gunzipSync(gz).toString()) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(["config", "logs", "telemetry", "diagnoses", "system", "versions"]));
    const text = JSON.stringify(doc);
    expect(text).not.toContain("p4ssw0rd-device");
    expect(text).not.toContain("sk-abcdefghijklmnop");
  });

  it("trims old logs to fit max_bytes, and fails clearly when even that is not enough", async () => {
    const logs = Array.from({ length: 2000 }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));
    const run = bundleCommand({ deviceId: "speaker-b", send: async () => undefined, sources: sources(logs) });
    const out = (await run({ max_bytes: 20_000 }, ctx())) as { bytes: number; trimmed: number };
    expect(out.bytes).toBeLessThanOrEqual(20_000);
    expect(out.trimmed).toBeGreaterThan(0);
    expect(buildBundle({ ...sources(logs)(), deviceId: "speaker-b", now: Date.now() }, 200)).toEqual({ error: expect.stringMatching(/does not fit in 200 bytes/) });
  });

  it("PUTs to an upload URL with its sha256, and reports a refused upload", async () => {
    const received: { method: string; sha: string; body: Buffer }[] = [];
    let status = 200;
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        received.push({ method: req.method!, sha: String(req.headers["x-bundle-sha256"]), body: Buffer.concat(parts) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload?sig=x`;
    const run = bundleCommand({ deviceId: "speaker-b", send: async () => { throw new Error("must not use MQTT"); }, sources: sources(["hello"]) });
    const out = (await run({ upload_url: url }, ctx())) as { delivery: string; sha256: string };
    expect(out.delivery).toBe("upload");
    expect(received[0]!.method).toBe("PUT");
    expect(createHash("sha256").update(received[0]!.body).digest("hex")).toBe(out.sha256);
    expect(received[0]!.sha).toBe(out.sha256);
    status = 403;
    await expect(run({ upload_url: url }, ctx())).rejects.toThrow(/HTTP 403/);
  });

  it("uploads under the executable's --lite-mode (no WebAssembly, so no fetch), and refuses a redirect instead of following it", async () => {
    const received: string[] = [];
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received.push(`${req.method} ${req.url}`);
        if (req.url === "/moved") res.writeHead(302, { location: "http://127.0.0.1:9/elsewhere" }).end();
        else res.writeHead(201).end("stored");
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Node's TypeScript stripping needs WebAssembly too: the module runs bundled to JavaScript, as in the executable
    const js = join(mkdtempSync(join(tmpdir(), "deliver-lite-")), "deliver.mjs");
    await build({ entryPoints: [new URL("./deliver.ts", import.meta.url).pathname], bundle: true, platform: "node", format: "esm", outfile: js, logLevel: "silent" });
    const script = `
      import { deliverToUrl } from ${JSON.stringify(js)};
      const o = { id: "c1", deviceId: "speaker-b", send: async () => {}, progress: () => {}, now: Date.now, signal: new AbortController().signal };
      const b = { gzip: Buffer.from("bundle bytes"), sha256: "00" };
      const ok = await deliverToUrl(b, ${JSON.stringify(base.replace("http:", "HTTP:"))} + "/upload", o);
      const moved = await deliverToUrl(b, ${JSON.stringify(base)} + "/moved", o).then(() => "followed", (e) => e.message);
      // an upper-case HTTPS URL speaks TLS (this plain server cannot answer it), not http with the wrong scheme
      const tls = await deliverToUrl(b, ${JSON.stringify(base.replace("http:", "HTTPS:"))} + "/upload", o).then(() => "answered", (e) => e.code ?? e.message);
      console.log(JSON.stringify({ ok, moved, tls }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--lite-mode", "--input-type=module", "-e", script], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ ok: { delivery: "upload", status: 201, bytes: 12, sha256: "00" }, moved: "upload refused with HTTP 302; check that the upload URL is valid and not expired", tls: "EPROTO" });
    expect(received).toEqual(["PUT /upload", "PUT /moved"]);
  });

  it("the log ring keeps the newest lines, masked", () => {
    const ring = new LogRing(3, { knownSecrets: ["hunter22"] });
    for (let i = 0; i < 5; i++) ring.stream.write(`{"msg":"line ${i}","auth":"Bearer abcdefghijk","pw":"hunter22"}\n`);
    expect(ring.lines()).toHaveLength(3);
    expect(ring.lines()[0]).toContain("line 2");
    expect(ring.lines().join("")).not.toMatch(/hunter22|abcdefghijk/);
  });
});
