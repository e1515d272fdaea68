import pino, { type Logger } from "pino";
import { PINO_REDACT_PATHS } from "../shared/index.ts";

export type { Logger };

/** The fleet's root logger; units take `log.child({ unit })`. Secrets are redacted by key. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ name: "edge-fleet", level, redact: { paths: PINO_REDACT_PATHS, censor: "[redacted]" } }, destination);
}
