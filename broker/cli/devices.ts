import { writeFileSync } from "node:fs";
import { DeviceId, LabelKey, formatIssues, ConfigError } from "../../shared/index.ts";
import { generateSecret, hashSecret } from "../auth/secrets.ts";
import type { FleetConfig } from "../config/schema.ts";
import { createStore } from "../store/index.ts";

interface DeviceFlags {
  id?: string | undefined;
  label?: string[] | undefined;
  out?: string | undefined;
  "mqtt-url"?: string | undefined;
  json?: boolean | undefined;
}

function usage(message: string): never {
  throw new ConfigError(message, []);
}

function parseLabels(raw: string[] = []): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of raw) {
    const eq = l.indexOf("=");
    const key = l.slice(0, eq);
    if (eq < 1 || !LabelKey.safeParse(key).success) usage(`label '${l}' must be key=value with a lower-case key; for example --label region=eu`);
    labels[key] = l.slice(eq + 1);
  }
  return labels;
}

/** Writes the credentials a factory station flashes onto the device; mode 0600, the secret appears nowhere else. */
function emitCredentials(id: string, secret: string, flags: DeviceFlags, config: FleetConfig): void {
  const url = flags["mqtt-url"] ?? `mqtt://127.0.0.1:${config.mqtt.port}`;
  const creds = { device_id: id, mqtt: { url, username: id, password: secret } };
  if (flags.out) {
    writeFileSync(flags.out, JSON.stringify(creds, null, 2) + "\n", { mode: 0o600 });
    console.log(`device ${id}: credentials written to ${flags.out} (the secret is shown only there)`);
  } else {
    console.log(JSON.stringify(creds, null, 2));
    console.error(`device ${id}: store this secret now; the fleet keeps only its hash`);
  }
}

/** `edge-fleet devices add|list|revoke|rotate` on the fleet's own store (a factory or admin station). */
export async function devicesCommand(config: FleetConfig, args: string[], flags: DeviceFlags): Promise<number> {
  const [sub, arg] = args;
  if (sub === "service-secret") {
    // a service account (config mqtt.service_accounts) keeps only the hash in the config file
    const secret = generateSecret();
    console.log(JSON.stringify({ secret, secret_hash: await hashSecret(secret) }, null, 2));
    console.error("put secret_hash in mqtt.service_accounts; give the secret to the service; it is shown only now");
    return 0;
  }
  const store = createStore(config.store);
  await store.open();
  try {
    switch (sub) {
      case "add": {
        const id = flags.id ?? arg;
        const parsed = DeviceId.safeParse(id);
        if (!parsed.success) usage(`device id ${id === undefined ? "is missing" : `'${id}' ${formatIssues(parsed.error)[0]!.replace("(root): ", "")}`}; pass --id`);
        if (await store.getCredential(parsed.data)) usage(`device ${parsed.data} already exists; use 'edge-fleet devices rotate ${parsed.data}' for a new secret`);
        const secret = generateSecret();
        await store.addCredential({ id: parsed.data, secretHash: await hashSecret(secret), status: "active", createdAt: Date.now(), labels: parseLabels(flags.label) });
        emitCredentials(parsed.data, secret, flags, config);
        return 0;
      }
      case "list": {
        const list = await store.listCredentials();
        if (flags.json) console.log(JSON.stringify(list.map(({ secretHash: _omit, ...c }) => c), null, 2));
        else for (const c of list) console.log(`${c.id}\t${c.status}\t${new Date(c.createdAt).toISOString()}\t${Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(",")}`);
        return 0;
      }
      case "revoke": {
        if (!arg) usage("name the device to revoke: edge-fleet devices revoke ID");
        if (!(await store.setCredentialStatus(arg, "revoked"))) usage(`device ${arg} is not provisioned; check the id with 'edge-fleet devices list'`);
        console.log(`device ${arg} revoked; a running fleet disconnects it within its credential check interval`);
        return 0;
      }
      case "rotate": {
        if (!arg) usage("name the device to rotate: edge-fleet devices rotate ID");
        const secret = generateSecret();
        if (!(await store.replaceSecret(arg, await hashSecret(secret)))) usage(`device ${arg} is not provisioned; check the id with 'edge-fleet devices list'`);
        emitCredentials(arg, secret, flags, config);
        return 0;
      }
    }
    usage(`unknown devices command '${sub ?? ""}'; use add, list, revoke, rotate or service-secret`);
  } finally {
    await store.close();
  }
}
