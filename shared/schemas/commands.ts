import { z } from "zod";
import { EpochMs, MessageId } from "../ids.ts";
import { envelope, Text } from "./common.ts";

/** The checks a technician may ask a diagnosis to run; omitted = all. */
export const CHECKS = ["system", "audio", "network", "status_page", "text", "voice"] as const;
export const Check = z.enum(CHECKS);

export const SAMPLERS = ["system", "audio", "network"] as const;
export const SamplerName = z.enum(SAMPLERS);

/** The message kinds whose cadence a fleet may change remotely. */
export const CadenceKind = z.enum(["telemetry", "probes", "diagnosis"]);

/**
 * The allowlist of remote commands (issue #5). There is deliberately no command that runs a shell,
 * a path or an arbitrary program on the device: every argument is a closed set or a bounded value.
 */
export const COMMAND_ARGS = {
  diagnose: z.object({ checks: z.array(Check).min(1).max(CHECKS.length).optional() }).strict(),
  "probe-now": z.object({ probes: z.array(z.enum(["voice", "text", "status_page"])).min(1).max(3).optional() }).strict(),
  "sample-now": z.object({ only: z.array(SamplerName).min(1).max(SAMPLERS.length).optional() }).strict(),
  bundle: z
    .object({
      upload_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
      max_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).optional(),
    })
    .strict(),
  "set-cadence": z
    .object({ kind: CadenceKind, interval_s: z.number().int().min(10).max(86_400) })
    .strict(),
  ping: z.object({}).strict(),
} as const;

export type CommandName = keyof typeof COMMAND_ARGS;
export const COMMAND_NAMES = Object.keys(COMMAND_ARGS) as CommandName[];
export const CommandNameSchema = z.enum(COMMAND_NAMES as [CommandName, ...CommandName[]]);

/** The header of a command, parsed first so that even a command with bad arguments can be answered by id. */
export const CommandHeader = z.object({
  ...envelope,
  id: MessageId,
  issuer: Text(64).min(1),
  expires_at: EpochMs,
});

const variants = COMMAND_NAMES.map((name) =>
  CommandHeader.extend({ name: z.literal(name), args: COMMAND_ARGS[name] }),
);

export const CommandRequest = z.discriminatedUnion("name", variants as unknown as [typeof variants[number], ...typeof variants]);
export type CommandRequest = z.infer<typeof CommandRequest>;

export const CommandError = z.object({ code: Text(64), message: Text(500) });

/** Exactly one per command, in the zigbee2mqtt envelope: {status, data, error, id}. */
export const CommandResponse = z.object({
  ...envelope,
  id: MessageId,
  name: Text(32).nullable(),
  status: z.enum(["ok", "error"]),
  data: z.unknown().nullable(),
  error: CommandError.nullable(),
});
export type CommandResponse = z.infer<typeof CommandResponse>;

export const CommandProgress = z.object({
  ...envelope,
  id: MessageId,
  step: Text(64),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  detail: Text(300),
});
export type CommandProgress = z.infer<typeof CommandProgress>;

/** One chunk of a support bundle (gzip of JSON), base64; the whole bundle's sha256 lets the fleet verify it. */
export const BundleChunk = z.object({
  ...envelope,
  id: MessageId,
  index: z.number().int().nonnegative(),
  total: z.number().int().min(1).max(1024),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  data: z.base64().max(64 * 1024),
});
export type BundleChunk = z.infer<typeof BundleChunk>;

/** Stable codes for refused commands, shared by agent and fleet. */
export const COMMAND_ERROR_CODES = {
  malformed: "the command is not valid JSON or lacks its id, issuer or expiry",
  invalid_args: "the command's arguments do not match its schema",
  unknown_command: "the command is not on the agent's allowlist",
  expired: "the command's expiry passed before the device could run it",
  wrong_device: "the command is addressed to another device",
  busy: "the same command is already running",
  failed: "the command ran and failed",
} as const;
export type CommandErrorCode = keyof typeof COMMAND_ERROR_CODES;


