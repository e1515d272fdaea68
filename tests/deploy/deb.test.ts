import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { have, REQUIRED, ROOT } from "./helpers.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe.skipIf(!have("dpkg-deb") && !REQUIRED)("deploy/debian/build-deb.sh", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["arm64", "arm64"],
    ["armv7l", "armhf"],
  ])("packages an %s executable as a %s .deb with the unit, the user and the examples", (arch, debarch) => {
    dir = mkdtempSync(join(tmpdir(), "edge-deb-"));
    // A stand-in for the executable: packaging does not look inside it, and this keeps the test fast.
    const binary = join(dir, `edge-agent-linux-${arch}`);
    copyFileSync("/bin/true", binary);
    const r = spawnSync("sh", [join(ROOT, "deploy/debian/build-deb.sh"), "--arch", arch, "--binary", binary, "--out", dir], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const deb = join(dir, `edge-agent_${VERSION}_${debarch}.deb`);
    expect(r.stdout.trim()).toBe(deb);

    const field = (name: string) => spawnSync("dpkg-deb", ["--field", deb, name], { encoding: "utf8" }).stdout.trim();
    expect(field("Package")).toBe("edge-agent");
    expect(field("Version")).toBe(VERSION);
    expect(field("Architecture")).toBe(debarch);
    expect(field("Depends")).toContain("libstdc++6");
    if (debarch === "armhf") expect(field("Depends")).toContain("libatomic1");

    const contents = spawnSync("dpkg-deb", ["--contents", deb], { encoding: "utf8" }).stdout;
    expect(contents).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/bin\/edge-agent\n/);
    expect(contents).toMatch(/-rw-r--r-- root\/root .* \.\/usr\/lib\/systemd\/system\/edge-agent\.service\n/);
    expect(contents).toContain("./usr/lib/sysusers.d/edge-agent.conf");
    expect(contents).toContain("./usr/share/doc/edge-agent/examples/smart-speaker.json");

    // The maintainer scripts ship executable and parse.
    const ctl = join(dir, "control");
    expect(spawnSync("dpkg-deb", ["--control", deb, ctl]).status).toBe(0);
    for (const s of ["postinst", "prerm", "postrm"]) expect(spawnSync("sh", ["-n", join(ctl, s)]).status, s).toBe(0);
    expect(readFileSync(join(ctl, "postinst"), "utf8")).toContain("install -m 0600 -o edge-agent");
  });

  it("refuses an unknown architecture with one sentence", () => {
    const r = spawnSync("sh", [join(ROOT, "deploy/debian/build-deb.sh"), "--arch", "mips"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("build-deb.sh: --arch must be x64, arm64 or armv7l");
  });
});
