import { COMMAND_ARGS, formatIssues, type CommandName, type CommandProgress, type CommandResponse, type DiagnosisMessage } from "../../../shared/index.ts";
import type { Handlers } from "../api/register.ts";
import { roleAllows } from "../auth/roles.ts";
import { httpError, notFound } from "../errors.ts";
import type { ApiCommand, CommandActions } from "../ports.ts";
import type { SseHub } from "../sse.ts";
import type { RouteDeps } from "./deps.ts";

type CommandOps = "sendCommand" | "getCommand" | "commandEvents" | "commandBundle";

/** Commands that change how a device behaves (not just what it reports) need an admin. */
const ADMIN_COMMANDS: ReadonlySet<string> = new Set(["set-cadence"]);

/** Remote diagnostics over HTTP: send a command (202), poll it, follow it live, download its bundle. */
export function commandHandlers(d: RouteDeps, hub: SseHub): Pick<Handlers, CommandOps> {
  const service = (): CommandActions => {
    if (!d.commands) throw httpError("unavailable", "remote commands are not available in this fleet (no command service is wired); upgrade edge-fleet");
    return d.commands;
  };
  const getOne = async (id: string) => {
    const c = await service().get(id);
    if (!c) throw notFound(`command ${id}`);
    return c;
  };
  /**
   * What a viewer may see of a command: status and results, but not the bundle's content (logs, config,
   * samples: technician only, through commandBundle) nor an upload URL (often a pre-signed write URL).
   */
  const project = (c: ApiCommand, role: Parameters<typeof roleAllows>[0]): ApiCommand => {
    if (roleAllows(role, "technician")) return c;
    const { upload_url: _hidden, ...args } = c.args ?? {};
    return { ...c, args, bundle: c.bundle ? { sha256: c.bundle.sha256, bytes: c.bundle.bytes } : null };
  };
  return {
    sendCommand: async ({ params, body, principal }) => {
      const commands = service();
      if (ADMIN_COMMANDS.has(body.name) && !roleAllows(principal.role, "admin")) {
        throw httpError("forbidden", `the ${body.name} command needs the admin role and your token has ${principal.role}; ask an admin`);
      }
      const args = COMMAND_ARGS[body.name as CommandName].safeParse(body.args);
      if (!args.success) throw httpError("bad_request", `invalid args for ${body.name}: ${formatIssues(args.error).join("; ")}; see the command list in docs/asyncapi.json`);
      const device = await d.store.getDevice(params.id);
      if (!device) throw notFound(`device ${params.id}`);
      // an offline device still gets the command when it reconnects within ttl_s (QoS 1, persistent session)
      let command;
      try {
        command = await commands.send({ deviceId: params.id, name: body.name, args: args.data as Record<string, unknown>, issuer: `api:${principal.name}`.slice(0, 64), ttlS: body.ttl_s });
      } catch (err) {
        if ((err as Error).name === "CommandInputError" || "problems" in (err as object)) throw httpError("bad_request", `${(err as Error).message}; see docs/openapi.json`);
        throw err;
      }
      d.log.info({ command: command.id, device: params.id, name: body.name, by: principal.tokenId }, "command sent over the API");
      return { command };
    },
    getCommand: async ({ params, principal }) => ({ command: project(await getOne(params.id), principal.role) }),
    commandEvents: async ({ params, req, reply, principal }) => {
      const first = await getOne(params.id);
      const stream = hub.open(req, reply);
      stream.send("command", project(first, principal.role));
      // ids are random, but a device could still echo another's command id: match the device too
      const mine = (m: { id?: string; device_id: string }) => m.device_id === first.deviceId;
      const onProgress = (p: CommandProgress) => p.id === params.id && mine(p) && stream.send("progress", p);
      const onResponse = (r: CommandResponse) => r.id === params.id && mine(r) && stream.send("response", r);
      const onDiagnosis = (m: DiagnosisMessage) => m.command_id === params.id && mine(m) && stream.send("diagnosis", m);
      const onUpdate = (c: ApiCommand) => c.id === params.id && stream.send("command", project(c, principal.role));
      d.commands?.on?.("update", onUpdate);
      d.events.on("progress", onProgress);
      d.events.on("response", onResponse);
      d.events.on("diagnosis", onDiagnosis);
      stream.onClose(() => {
        d.commands?.off?.("update", onUpdate);
        d.events.off("progress", onProgress);
        d.events.off("response", onResponse);
        d.events.off("diagnosis", onDiagnosis);
      });
    },
    commandBundle: async ({ params, reply }) => {
      const c = await getOne(params.id);
      if (!c.bundle) throw httpError("not_found", `command ${params.id} has no bundle (yet); it must be a finished bundle command, check GET /api/commands/${params.id}`);
      reply.header("content-disposition", `attachment; filename="bundle-${c.deviceId}-${params.id}.json"`);
      reply.header("x-bundle-sha256", c.bundle.sha256);
      return reply.type("application/json").send(JSON.stringify(c.bundle.content, null, 2));
    },
  };
}
