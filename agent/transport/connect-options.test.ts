import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { brokerAddress, clientOptions } from "./connect-options.ts";

/**
 * stderr of a Node process that connects MQTT.js to a closed port, given the broker as `how`. Bundled as
 * the executable is: Node stays quiet about url.parse called from inside node_modules, not from a bundle.
 */
async function connectStderr(how: "options" | "url-string"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "connect-options-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, `
    import mqtt from "mqtt";
    import { brokerAddress } from ${JSON.stringify(new URL("./connect-options.ts", import.meta.url).pathname)};
    const url = "mqtt://127.0.0.1:9";
    const c = ${how === "options" ? "mqtt.connect({ ...brokerAddress(url), reconnectPeriod: 0 })" : "mqtt.connect(url, { reconnectPeriod: 0 })"};
    c.on("error", () => {});
    setTimeout(() => process.exit(0), 300);`);
  const out = join(dir, "entry.cjs");
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "cjs", outfile: out, logLevel: "silent", nodePaths: [new URL("../../node_modules", import.meta.url).pathname] });
  return new Promise((resolve, reject) => execFile(process.execPath, [out], { timeout: 20_000 }, (err, _out, stderr) => (err ? reject(err) : resolve(stderr))));
}

describe("client options", () => {
  it("refuses a SOCKS proxy named in the environment in one sentence, rather than ignoring it", () => {
    const settings = { url: "mqtt://127.0.0.1:1883", deviceId: "spk-1", keepaliveS: 30, connectTimeoutMs: 5000 };
    expect(() => clientOptions(settings, { MQTTJS_SOCKS_PROXY: "socks5://10.0.0.1:1080" })).toThrow(/^MQTTJS_SOCKS_PROXY is set .* supports no SOCKS proxy; unset it$/);
    expect(clientOptions(settings, {})).toMatchObject({ clientId: "spk-1", clean: false, reconnectPeriod: 0 });
  });
});

describe("broker address", () => {
  it("reads scheme, host, port, WebSocket path and URL credentials with the WHATWG parser", () => {
    expect(brokerAddress("mqtts://fleet.example.com:8883")).toEqual({ protocol: "mqtts", hostname: "fleet.example.com", host: "fleet.example.com", port: 8883 });
    expect(brokerAddress("mqtt://[::1]:1884")).toMatchObject({ protocol: "mqtt", hostname: "::1", port: 1884 });
    expect(brokerAddress("wss://fleet.example.com/mqtt?x=1")).toEqual({ protocol: "wss", hostname: "fleet.example.com", host: "fleet.example.com", path: "/mqtt?x=1" });
    expect(brokerAddress("mqtt://dev%2D1:p%40ss@10.0.0.5")).toMatchObject({ hostname: "10.0.0.5", username: "dev-1", password: "p@ss" });
    // an internationalised host name resolves as punycode, and a port equal to http's default is kept
    expect(brokerAddress("mqtt://bücher.example:80")).toMatchObject({ hostname: "xn--bcher-kva.example", port: 80 });
  });

  it("connecting prints no url.parse deprecation warning (DEP0169) to the device's journal, which a URL string given to MQTT.js does", async () => {
    expect(await connectStderr("options")).not.toMatch(/DEP0169/);
    expect(await connectStderr("url-string")).toMatch(/DEP0169/);
  });
});
