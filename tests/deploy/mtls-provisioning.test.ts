import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { have, REQUIRED } from "./helpers.ts";

/**
 * The openssl steps of docs/deploy/provisioning.md ("Mutual TLS identity"), run as written, then a TLS
 * listener configured as the fleet's (requestCert + rejectUnauthorized against the device CA) checks
 * that the certificate is accepted and carries the device id as its CN.
 */
describe.skipIf(!have("openssl") && !REQUIRED)("mutual TLS provisioning with openssl", () => {
  let dir = "";
  let server: tls.Server | null = null;
  afterEach(async () => {
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
    server = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sh = (script: string) => execFileSync("sh", ["-euc", script], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();

  const deviceCa = (name: string) =>
    sh(`openssl ecparam -name prime256v1 -genkey -noout -out ${name}.key
openssl req -x509 -new -key ${name}.key -sha256 -days 3650 -subj "/O=Example Devices/CN=${name}" \\
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ${name}.pem`);

  const deviceCert = (id: string, ca: string) =>
    sh(`openssl ecparam -name prime256v1 -genkey -noout -out ${id}.key
openssl req -new -key ${id}.key -subj "/CN=${id}" -out ${id}.csr
printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n' > device-ext.cnf
openssl x509 -req -in ${id}.csr -CA ${ca}.pem -CAkey ${ca}.key -CAcreateserial -days 1825 -sha256 -extfile device-ext.cnf -out ${id}.pem
openssl verify -CAfile ${ca}.pem ${id}.pem`);

  /** The fleet's TLS listener: the same options broker/mqtt/embedded.ts sets for require_client_cert. */
  async function listen(): Promise<{ port: number; seen: Promise<{ authorized: boolean; cn: string | undefined; error: string | undefined }> }> {
    sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server-key.pem -out server.pem -days 1 -subj "/CN=fleet" -addext "subjectAltName=IP:127.0.0.1"`);
    let report!: (v: { authorized: boolean; cn: string | undefined; error: string | undefined }) => void;
    const seen = new Promise<{ authorized: boolean; cn: string | undefined; error: string | undefined }>((res) => (report = res));
    server = tls.createServer({ key: readFileSync(join(dir, "server-key.pem")), cert: readFileSync(join(dir, "server.pem")), ca: readFileSync(join(dir, "device-ca.pem")), requestCert: true, rejectUnauthorized: true }, (s) => {
      const cn = s.getPeerCertificate().subject?.CN;
      report({ authorized: s.authorized, cn: Array.isArray(cn) ? cn.join(",") : cn, error: undefined });
      s.end();
    });
    server.on("tlsClientError", (err) => report({ authorized: false, cn: undefined, error: err.message }));
    await new Promise<void>((res) => server!.listen(0, "127.0.0.1", res));
    return { port: (server.address() as { port: number }).port, seen };
  }

  function connect(port: number, id: string): Promise<void> {
    return new Promise((resolve) => {
      const c = tls.connect({ host: "127.0.0.1", port, ca: readFileSync(join(dir, "server.pem")), key: readFileSync(join(dir, `${id}.key`)), cert: readFileSync(join(dir, `${id}.pem`)) });
      c.on("error", () => resolve());
      c.on("close", () => resolve());
      c.resume();
    });
  }

  it("issues a device certificate the fleet's listener accepts, with CN = device id", async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-mtls-"));
    deviceCa("device-ca");
    expect(deviceCert("spk-0001", "device-ca")).toContain("spk-0001.pem: OK");
    const { port, seen } = await listen();
    await connect(port, "spk-0001");
    expect(await seen).toEqual({ authorized: true, cn: "spk-0001", error: undefined });
  });

  it("refuses a certificate signed by another CA", async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-mtls-"));
    deviceCa("device-ca");
    deviceCa("rogue-ca");
    deviceCert("spk-6666", "rogue-ca");
    const { port, seen } = await listen();
    await connect(port, "spk-6666");
    // The handshake fails before any session exists: the device never reaches the broker's hooks.
    expect(await seen).toMatchObject({ authorized: false, cn: undefined, error: expect.any(String) });
  });
});
