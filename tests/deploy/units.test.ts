import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { have, REQUIRED, ROOT } from "./helpers.ts";

const UNITS = ["edge-agent", "edge-fleet"] as const;
const unitText = (name: string) => readFileSync(join(ROOT, "deploy", "systemd", `${name}.service`), "utf8");

/** `Key=value` lines of a unit (comments dropped), for asserting on settings, not on wording. */
function settings(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1]!, [...(m.get(kv[1]!) ?? []), kv[2]!]);
  }
  return m;
}

describe("systemd units", () => {
  it("harden both services as issue #8 asks", () => {
    for (const name of UNITS) {
      const s = settings(unitText(name));
      expect(s.get("NoNewPrivileges"), name).toEqual(["yes"]);
      expect(s.get("ProtectSystem"), name).toEqual(["strict"]);
      expect(s.get("ReadWritePaths"), name).toEqual([`/var/lib/${name}`]);
      expect(s.get("Restart"), name).toEqual(["on-failure"]);
      expect(s.get("StandardOutput"), name).toEqual(["journal"]);
      expect(s.get("User"), name).toEqual([name]);
      expect(s.get("CapabilityBoundingSet"), name).toEqual([""]);
    }
  });

  it("let the agent open capture devices and make systemd watch it", () => {
    const s = settings(unitText("edge-agent"));
    expect(s.get("SupplementaryGroups")).toEqual(["audio"]);
    expect(s.get("DeviceAllow")).toEqual(["char-alsa rw"]);
    expect(s.get("Type")).toEqual(["notify"]);
    // systemd-notify is a child of the agent: main-only access would drop its keep-alives.
    expect(s.get("NotifyAccess")).toEqual(["all"]);
    expect(s.get("WatchdogSec")).toEqual(["60s"]);
  });

  it("start the programs with the config paths the install script writes", () => {
    expect(settings(unitText("edge-agent")).get("ExecStart")).toEqual(["/usr/bin/edge-agent run --config /etc/edge-agent/agent.json"]);
    expect(settings(unitText("edge-fleet")).get("ExecStart")).toEqual(["/usr/bin/edge-fleet serve --config /etc/edge-fleet/fleet.json"]);
  });
});

describe.skipIf(!have("systemd-analyze") && !REQUIRED)("systemd-analyze on the units", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** verify needs ExecStart's binary to exist: test copies point at a stand-in under a temp dir. */
  function testCopies(): string[] {
    dir = mkdtempSync(join(tmpdir(), "edge-units-"));
    mkdirSync(join(dir, "bin"));
    return UNITS.map((name) => {
      copyFileSync("/bin/true", join(dir, "bin", name));
      const file = join(dir, `${name}.service`);
      writeFileSync(file, unitText(name).replace(`/usr/bin/${name}`, join(dir, "bin", name)));
      return file;
    });
  }

  it("verify passes without a warning", () => {
    const r = spawnSync("systemd-analyze", ["verify", ...testCopies()], { encoding: "utf8" });
    expect(r.stderr + r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("rates both sandboxes OK or better (exposure at most 3.0 of 10)", () => {
    for (const file of testCopies()) {
      const r = spawnSync("systemd-analyze", ["security", "--offline=yes", "--threshold=30", "--no-pager", file], { encoding: "utf8" });
      expect(r.status, `${file}\n${r.stdout.split("\n").slice(-3).join("\n")}`).toBe(0);
    }
  });
});
