import { readFileSync } from "node:fs";
import type { z } from "zod";
import { formatIssues } from "./validation.ts";

/** A configuration problem meant for a person: every issue, one per line, and exit code 2. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  readonly exitCode = 2;
  constructor(summary: string, issues: readonly string[]) {
    super(issues.length ? `${summary}:\n  ${issues.join("\n  ")}` : summary);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Deep-freezes validated options (the fastify model): nobody changes configuration behind our back. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates a parsed object against a schema, reporting every problem at once, and freezes the result. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${source} has ${parsed.error.issues.length} problem(s); fix them and start again`, formatIssues(parsed.error));
  return deepFreeze(parsed.data);
}

/** Reads a JSON config file; a missing file or bad JSON is a ConfigError with one clear sentence. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable by this user" : `cannot be read (${code})`;
    throw new ConfigError(`config file ${path} ${why}; pass --config with the path of a JSON config file`, []);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON (${(err as Error).message}); fix the syntax and start again`, []);
  }
}

/** Loads, validates and freezes a JSON config file. */
export function loadConfigFile<S extends z.ZodType>(schema: S, path: string): z.infer<S> {
  return validateConfig(schema, readConfigFile(path), `config file ${path}`);
}
