import pino, { type Logger } from "pino";
import { PINO_REDACT_PATHS } from "../shared/index.ts";

export type { Logger };

/**
 * The agent's root logger (journald picks up stdout under systemd); secrets are redacted by key.
 * Extra destinations (the in-memory ring that feeds support bundles) receive the same lines.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, extra: { write(chunk: string): void }[] = []): Logger {
  const opts = { name: "edge-agent", level, redact: { paths: PINO_REDACT_PATHS, censor: "[redacted]" } };
  if (!extra.length) return pino(opts, destination);
  return pino(opts, pino.multistream([{ stream: destination ?? pino.destination(1), level: level as pino.Level }, ...extra.map((stream) => ({ stream, level: level as pino.Level }))]));
}
