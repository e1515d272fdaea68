import type { FleetConfig } from "../config/schema.ts";
import { FleetServer } from "../fleet.ts";
import { createLogger } from "../log.ts";

/** Runs the fleet until SIGINT/SIGTERM, then stops every unit in order. Returns -1: the process lives on. */
export async function serveCommand(config: FleetConfig): Promise<number> {
  const log = createLogger(config.log.level);
  const fleet = new FleetServer({ config, log });
  await fleet.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    fleet.stop().then(() => process.exit(0), (err: Error) => (log.error({ err }, "stop failed"), process.exit(1)));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return -1;
}
