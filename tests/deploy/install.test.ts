import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, treeListing } from "./helpers.ts";

const SCRIPT = join(ROOT, "deploy", "install.sh");

describe("deploy/install.sh into a temporary root", () => {
  let tmp = "";
  let dest = "";
  let binary = "";
  let creds = "";
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), "edge-install-"));
    dest = join(tmp, "root");
    // The script installs whatever file it is given; a stand-in keeps this test independent of a build.
    binary = join(tmp, "edge-agent-linux-x64");
    copyFileSync("/bin/true", binary);
    creds = join(tmp, "device-credentials.json");
    writeFileSync(creds, JSON.stringify({ device_id: "spk-0001", mqtt: { url: "mqtts://fleet.example.com:8883", username: "spk-0001", password: "factory-secret" } }));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const install = (...args: string[]) => {
    const r = spawnSync("sh", [SCRIPT, "--root", dest, ...args], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return r;
  };

  it("leaves the same files, modes, owners and contents when run twice", () => {
    install("--binary", binary, "--credentials", creds);
    const first = treeListing(dest);
    install("--binary", binary, "--credentials", creds);
    expect(treeListing(dest)).toEqual(first);
    expect(first).toContainEqual(expect.stringMatching(/^f 0755 \S+ usr\/bin\/edge-agent /));
    expect(first).toContainEqual(expect.stringMatching(/^f 0644 0:0 usr\/lib\/systemd\/system\/edge-agent.service /));
    expect(first).toContainEqual("l 0777 0:0 etc/systemd/system/multi-user.target.wants/edge-agent.service -> /usr/lib/systemd/system/edge-agent.service");
  });

  it("writes the config and the device secret readable by the service user only", () => {
    install("--binary", binary, "--credentials", creds);
    for (const f of ["etc/edge-agent/agent.json", "etc/edge-agent/device-credentials.json"]) {
      expect((statSync(join(dest, f)).mode & 0o777).toString(8), f).toBe("600");
    }
    expect((statSync(join(dest, "etc/edge-agent")).mode & 0o777).toString(8)).toBe("750");
    expect(readFileSync(join(dest, "etc/edge-agent/device-credentials.json"), "utf8")).toContain("factory-secret");
    if (process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v systemd-sysusers"]).status === 0) {
      // The user exists in the image's passwd and owns the secrets and the spool's directory.
      const passwd = readFileSync(join(dest, "etc/passwd"), "utf8");
      const uid = Number(/^edge-agent:x:(\d+):/m.exec(passwd)?.[1]);
      expect(uid).toBeGreaterThan(0);
      expect(statSync(join(dest, "etc/edge-agent/device-credentials.json")).uid).toBe(uid);
      expect(statSync(join(dest, "var/lib/edge-agent")).uid).toBe(uid);
      expect(readFileSync(join(dest, "etc/group"), "utf8")).toMatch(/^audio:x:\d+:edge-agent$/m);
    }
  });

  it("keeps an operator's edited config on reinstall and replaces it only when --config is given", () => {
    install("--binary", binary);
    const conf = join(dest, "etc/edge-agent/agent.json");
    writeFileSync(conf, '{"device":{"id":"edited"}}');
    install("--binary", binary);
    expect(readFileSync(conf, "utf8")).toBe('{"device":{"id":"edited"}}');
    install("--binary", binary, "--config", join(ROOT, "deploy/config/companion.json"));
    expect(readFileSync(conf, "utf8")).toBe(readFileSync(join(ROOT, "deploy/config/companion.json"), "utf8"));
    expect((statSync(conf).mode & 0o777).toString(8)).toBe("600");
  });

  it("installs the fleet the same way, twice, to the same result", () => {
    const fleet = join(tmp, "edge-fleet-linux-x64");
    copyFileSync("/bin/true", fleet);
    install("--component", "fleet", "--binary", fleet);
    const first = treeListing(dest);
    install("--component", "fleet", "--binary", fleet);
    expect(treeListing(dest)).toEqual(first);
    expect(first).toContainEqual(expect.stringMatching(/^f 0600 \S+ etc\/edge-fleet\/fleet.json /));
  });

  it("refuses a missing binary with one sentence and exit 2", () => {
    const r = spawnSync("sh", [SCRIPT, "--root", dest, "--binary", join(tmp, "nope")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`install.sh: ${join(tmp, "nope")} does not exist; build it with 'npm run build:agent' or pass --binary`);
  });
});
