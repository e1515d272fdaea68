import { parseArgs } from "node:util";
import { CloudSim } from "./server.ts";

/** `node sim/cloud/main.ts --port 8787 [--api-key KEY]`: the reference cloud for the demo and benchmarks. */
async function main(): Promise<void> {
  let values: { port?: string; "api-key"?: string; host?: string };
  try {
    ({ values } = parseArgs({ options: { port: { type: "string", default: "8787" }, "api-key": { type: "string" }, host: { type: "string", default: "127.0.0.1" } } }));
  } catch (err) {
    console.error(`${(err as Error).message}; usage: node sim/cloud/main.ts --port N [--api-key KEY] [--host 127.0.0.1]`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port ${values.port} is not a port number; pass 0-65535`);
    process.exit(2);
  }
  const sim = new CloudSim({ apiKey: values["api-key"] ?? null, host: values.host! });
  const { url, wsUrl } = await sim.start({ port });
  console.log(`reference cloud listening: http ${url}  realtime ${wsUrl}  status ${url}/api/v2/status.json  faults ${url}/_sim/faults`);
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

void main();
