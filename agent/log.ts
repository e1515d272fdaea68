import pino, { type Logger } from "pino";
import { PINO_REDACT_PATHS } from "../shared/index.ts";

export type { Logger };

/** The agent's root logger (journald picks up stdout under systemd); secrets are redacted by key. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ name: "edge-agent", level, redact: { paths: PINO_REDACT_PATHS, censor: "[redacted]" } }, destination);
}
