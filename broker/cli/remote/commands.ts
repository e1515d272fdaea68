import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../../../shared/index.ts";
import { RemoteClient, RemoteError } from "./client.ts";
import { ago, columns, Progress, until } from "./format.ts";

export const REMOTE_USAGE = `edge-fleet — commands against a running fleet server (REST API)

Usage:
  edge-fleet devices ls [--online true|false] [--fault CLASS] [--search TEXT] [--label k=v]
  edge-fleet devices show ID
  edge-fleet tickets [ls] [--status active|open|acknowledged|resolved|closed] [--device ID] [--severity P0..P3]
  edge-fleet tickets show|ack|resolve ID [--note TEXT] | assign ID --assignee NAME | comment ID --text TEXT
  edge-fleet tickets export [--format csv|json] [--out FILE]
  edge-fleet silences [ls] | add --matcher key=value... --comment TEXT [--duration MINUTES] | rm ID
  edge-fleet dead-letters [ls] [--limit N] | replay ID | rm ID   what the fleet gave up on; replay a report once its cause is fixed
  edge-fleet diagnose ID [--check text --check voice ...] [--timeout SECONDS]
  edge-fleet bundle ID [--out FILE] [--timeout SECONDS]

Connection (flags or environment):
  --url URL       the fleet's HTTP address (EDGE_FLEET_URL, default http://127.0.0.1:8080)
  --token TOKEN   an API token (EDGE_FLEET_TOKEN); an admin makes one with 'edge-fleet tokens create'
  --json          machine-readable output

The local provisioning commands 'edge-fleet devices add|list|revoke|rotate' work on the fleet's own
store; 'devices ls|show' ask the running server.
`;

/** The subcommands this module answers; main.ts dispatches them here. */
export function isRemoteCommand(argv: string[]): boolean {
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-")) pos.push(a);
    else if (!a.includes("=") && !BOOLEAN_FLAGS.has(a)) i++; // skip the option's value
  }
  const [cmd, sub] = pos;
  if (cmd === "remote" || cmd === "tickets" || cmd === "silences" || cmd === "dead-letters" || cmd === "diagnose" || cmd === "bundle") return true;
  return cmd === "devices" && (sub === "ls" || sub === "show");
}

const BOOLEAN_FLAGS = new Set(["--json", "--debug", "--help", "-h", "--version"]);

type Flags = Record<string, string | string[] | boolean | undefined>;
type Out = { json: boolean; print: (human: string, data: unknown) => void };

function usage(message: string): never {
  throw new ConfigError(message, []);
}

/**
 * Runs a remote command; returns the exit code: 0 ok, 1 failure (the fleet refused or is unreachable),
 * 2 usage, 3 `diagnose` found a fault (so scripts can branch on it).
 */
export async function remoteMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(argv, env);
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    console.error(err.message);
    return 1;
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: "string" }, token: { type: "string" }, json: { type: "boolean" }, debug: { type: "boolean" },
      online: { type: "string" }, fault: { type: "string" }, search: { type: "string" }, label: { type: "string" },
      status: { type: "string" }, device: { type: "string" }, severity: { type: "string" }, format: { type: "string" }, out: { type: "string" },
      note: { type: "string" }, assignee: { type: "string" }, text: { type: "string" },
      matcher: { type: "string", multiple: true }, comment: { type: "string" }, duration: { type: "string" },
      check: { type: "string", multiple: true }, timeout: { type: "string" }, limit: { type: "string" },
    },
  });
  const args = positionals[0] === "remote" ? positionals.slice(1) : positionals;
  const token = values.token ?? env.EDGE_FLEET_TOKEN;
  if (!token) usage("no API token: pass --token or set EDGE_FLEET_TOKEN (an admin creates one with 'edge-fleet tokens create --role viewer')");
  const client = new RemoteClient(values.url ?? env.EDGE_FLEET_URL ?? "http://127.0.0.1:8080", token);
  const json = Boolean(values.json);
  const out: Out = { json, print: (human, data) => console.log(json ? JSON.stringify(data, null, 2) : human) };
  const [cmd, sub, ...rest] = args;
  switch (cmd) {
    case "devices":
      return devices(client, out, sub, rest[0], values);
    case "tickets":
      return tickets(client, out, sub ?? "ls", rest[0], values);
    case "silences":
      return silences(client, out, sub ?? "ls", rest[0], values);
    case "dead-letters":
      return deadLetters(client, out, sub ?? "ls", rest[0], values);
    case "diagnose":
      return runCommand(client, out, "diagnose", sub, values);
    case "bundle":
      return runCommand(client, out, "bundle", sub, values);
  }
  usage(`unknown command '${args.join(" ")}'; run edge-fleet --help for the list of commands`);
}

const qs = (o: Record<string, unknown>) => new URLSearchParams(Object.entries(o).filter(([, v]) => typeof v === "string" && v !== "") as [string, string][]).toString();

interface Dev { id: string; online: boolean; fault: string | null; model: string | null; region: string | null; lastSeen: number | null; faultSummary: string | null }

async function devices(c: RemoteClient, out: Out, sub: string | undefined, id: string | undefined, f: Flags): Promise<number> {
  if (sub === "show") {
    if (!id) usage("name the device: edge-fleet devices show ID");
    const { device } = await c.get<{ device: Dev }>(`/api/devices/${encodeURIComponent(id)}`);
    out.print(`${device.id}  ${device.online ? "online" : "offline"}  ${device.fault ?? "undiagnosed"}  ${device.model ?? "-"}  ${device.region ?? "-"}  last seen ${ago(device.lastSeen)}\n${device.faultSummary ?? ""}`.trimEnd(), device);
    return 0;
  }
  const { devices: list } = await c.get<{ devices: Dev[] }>(`/api/devices?${qs({ online: f.online, fault: f.fault, search: f.search, label: f.label, limit: "5000" })}`);
  out.print(columns(["DEVICE", "STATE", "FAULT", "MODEL", "REGION", "LAST SEEN"], list.map((d) => [d.id, d.online ? "online" : "offline", d.fault ?? "undiagnosed", d.model, d.region, ago(d.lastSeen)])), list);
  return 0;
}

interface Tkt { id: number; severity: string; status: string; deviceId: string; title: string; openedAt: number; sla?: { respondBy: number | null; resolveBy: number | null } | null; evidence?: { verdict: { summary: string; actions: string[] } } }

async function tickets(c: RemoteClient, out: Out, sub: string, id: string | undefined, f: Flags): Promise<number> {
  const need = () => {
    const n = Number(id);
    if (!id || !Number.isInteger(n) || n < 1) usage(`name the ticket by its number: edge-fleet tickets ${sub} ID`);
    return n;
  };
  const show = (t: Tkt) => out.print(`#${t.id} ${t.severity} ${t.status}  ${t.title}\ndevice ${t.deviceId}, opened ${new Date(t.openedAt).toISOString()}\n${t.evidence?.verdict.summary ?? ""}\n${(t.evidence?.verdict.actions ?? []).map((a) => `  - ${a}`).join("\n")}`.trimEnd(), t);
  switch (sub) {
    case "ls": {
      const { tickets: list } = await c.get<{ tickets: Tkt[] }>(`/api/tickets?${qs({ status: f.status ?? "active", device: f.device, severity: f.severity })}`);
      out.print(columns(["ID", "SEV", "STATUS", "DEVICE", "SLA", "TITLE"], list.map((t) => [t.id, t.severity, t.status, t.deviceId, until(t.status === "open" ? (t.sla?.respondBy ?? null) : (t.sla?.resolveBy ?? null)), t.title])), list);
      return 0;
    }
    case "show":
      return show((await c.get<{ ticket: Tkt }>(`/api/tickets/${need()}`)).ticket), 0;
    case "ack":
      return show((await c.post<{ ticket: Tkt }>(`/api/tickets/${need()}/acknowledge`)).ticket), 0;
    case "resolve":
      return show((await c.post<{ ticket: Tkt }>(`/api/tickets/${need()}/resolve`, f.note ? { note: f.note } : {})).ticket), 0;
    case "assign":
      if (typeof f.assignee !== "string") usage("say who: edge-fleet tickets assign ID --assignee NAME");
      return show((await c.post<{ ticket: Tkt }>(`/api/tickets/${need()}/assign`, { assignee: f.assignee })).ticket), 0;
    case "comment":
      if (typeof f.text !== "string") usage("give the comment: edge-fleet tickets comment ID --text TEXT");
      return show((await c.post<{ ticket: Tkt }>(`/api/tickets/${need()}/comment`, { text: f.text })).ticket), 0;
    case "export": {
      const format = f.format === "json" ? "json" : "csv";
      const body = await c.get<string | object>(`/api/tickets/export?${qs({ format, status: f.status, device: f.device, severity: f.severity })}`);
      const text = typeof body === "string" ? body : JSON.stringify(body, null, 2);
      if (typeof f.out === "string") {
        writeFileSync(f.out, text);
        console.error(`tickets written to ${f.out}`);
      } else process.stdout.write(text);
      return 0;
    }
  }
  usage(`unknown tickets command '${sub}'; use ls, show, ack, resolve, assign, comment or export`);
}

interface Sil { id: string; matchers: Record<string, string>; startsAt: number; endsAt: number; comment: string; createdBy: string }

async function silences(c: RemoteClient, out: Out, sub: string, id: string | undefined, f: Flags): Promise<number> {
  switch (sub) {
    case "ls": {
      const { silences: list } = await c.get<{ silences: Sil[] }>("/api/silences");
      out.print(columns(["ID", "MATCHERS", "ENDS", "BY", "COMMENT"], list.map((s) => [s.id, Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(","), until(s.endsAt), s.createdBy, s.comment])), list);
      return 0;
    }
    case "add": {
      const matchers: Record<string, string> = {};
      for (const m of (f.matcher as string[] | undefined) ?? []) {
        const eq = m.indexOf("=");
        if (eq < 1) usage(`matcher '${m}' must be key=value, for example --matcher region=eu`);
        matchers[m.slice(0, eq)] = m.slice(eq + 1);
      }
      if (!Object.keys(matchers).length) usage("a silence needs at least one --matcher key=value (e.g. region=eu, device_id=speaker-1, fault=cloud_outage)");
      if (typeof f.comment !== "string") usage("say why with --comment (it is part of the audit)");
      const minutes = f.duration === undefined ? 120 : Number(f.duration);
      if (!Number.isInteger(minutes) || minutes < 1) usage("--duration is whole minutes, at least 1");
      const { silence } = await c.post<{ silence: Sil }>("/api/silences", { matchers, comment: f.comment, duration_minutes: minutes });
      out.print(`silence ${silence.id} until ${new Date(silence.endsAt).toISOString()}`, silence);
      return 0;
    }
    case "rm":
      if (!id) usage("name the silence: edge-fleet silences rm ID");
      await c.delete(`/api/silences/${encodeURIComponent(id)}`);
      out.print(`silence ${id} ended`, { deleted: true, id });
      return 0;
  }
  usage(`unknown silences command '${sub}'; use ls, add or rm`);
}

interface Letter { id: number; at: number; target: string; attempts: number; error: string; body: { device_id?: unknown; msg_id?: unknown } | null }

async function deadLetters(c: RemoteClient, out: Out, sub: string, id: string | undefined, f: Flags): Promise<number> {
  if (sub === "replay") {
    const n = Number(id);
    if (!id || !Number.isInteger(n) || n < 1) usage("name the dead letter by its number: edge-fleet dead-letters replay ID (edge-fleet dead-letters lists them)");
    const r = await c.post<{ outcome: string; dead_letter: Letter }>(`/api/dead-letters/${n}/replay`);
    out.print(`dead letter ${n} replayed (${r.dead_letter.target}): ${r.outcome}`, r);
    return 0;
  }
  if (sub === "rm") {
    const n = Number(id);
    if (!id || !Number.isInteger(n) || n < 1) usage("name the dead letter by its number: edge-fleet dead-letters rm ID (edge-fleet dead-letters lists them)");
    await c.delete(`/api/dead-letters/${n}`);
    out.print(`dead letter ${n} discarded`, { deleted: true, id: n });
    return 0;
  }
  if (sub !== "ls") usage(`unknown dead-letters command '${sub}'; use ls, replay or rm`);
  const limit = f.limit === undefined ? 50 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 5000) usage("--limit is a whole number from 1 to 5000");
  const { dead_letters: list } = await c.get<{ dead_letters: Letter[] }>(`/api/dead-letters?${qs({ limit: String(limit) })}`);
  // a device report names its device and message; a webhook's body is the notification
  const what = (l: Letter) => (l.target.startsWith("ingest:") && l.body ? `${String(l.body.device_id)} ${String(l.body.msg_id)}` : "-");
  out.print(columns(["ID", "WHEN", "TARGET", "TRIES", "REPORT", "ERROR"], list.map((l) => [l.id, ago(l.at), l.target, l.attempts, what(l), l.error.slice(0, 120)])), list);
  return 0;
}

interface Cmd { id: string; status: string; error?: { message: string } | null; bundle?: { bytes: number; sha256: string } | null; progress?: { step: string; done: number; total: number } | null }
interface Diag { diagnosis_id: string; command_id: string | null; verdict: { fault: string; summary: string; actions: string[]; evidence: { check: string; status: string; detail: string }[] } }

/** Sends diagnose or bundle, follows it live with a progress indicator, and prints the verdict or saves the bundle. */
async function runCommand(c: RemoteClient, out: Out, name: "diagnose" | "bundle", id: string | undefined, f: Flags): Promise<number> {
  if (!id) usage(`name the device: edge-fleet ${name} ID`);
  const timeoutS = f.timeout === undefined ? 150 : Number(f.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 5) usage("--timeout is seconds, at least 5");
  const args = name === "diagnose" && f.check ? { checks: f.check } : {};
  const { command } = await c.post<{ command: Cmd }>(`/api/devices/${encodeURIComponent(id)}/commands`, { name, args, ttl_s: Math.min(3600, Math.ceil(timeoutS)) });
  const progress = new Progress(out.json ? false : undefined);
  progress.start(`${name} ${command.id} sent to ${id}; waiting for the device…`);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutS * 1000);
  let verdict: Diag | null = null;
  let final: Cmd | null = null;
  try {
    for await (const ev of c.events(`/api/commands/${command.id}/events`, ac.signal)) {
      if (ev.event === "progress") {
        const p = ev.data as { step: string; done: number; total: number; detail: string };
        progress.update(`[${p.done}/${p.total}] ${p.step}: ${p.detail}`);
      } else if (ev.event === "diagnosis") {
        verdict = ev.data as Diag;
      } else if (ev.event === "command") {
        const cmd = ev.data as Cmd;
        if (["ok", "error", "expired"].includes(cmd.status)) final = cmd;
        else progress.update(`${name} ${cmd.status}${cmd.progress ? `: ${cmd.progress.step}` : ""}`);
      } else if (ev.event === "response") {
        progress.update("the device answered");
      }
      if (name === "diagnose" && verdict) break;
      if (final && final.status !== "ok") break;
      if (final && name === "bundle" && final.bundle) break;
      if (final && name === "diagnose") {
        verdict = await findDiagnosis(c, id, command.id);
        break;
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
    progress.stop();
  }
  if (final && final.status !== "ok") {
    console.error(`${name} on ${id} ended ${final.status}: ${final.error?.message ?? "no reason given"}`);
    return 1;
  }
  if (name === "diagnose") {
    if (!verdict) return console.error(`no verdict from ${id} within ${timeoutS} s; check that it is online ('edge-fleet devices show ${id}') and try again`), 1;
    const v = verdict.verdict;
    out.print([`${id}: ${v.fault} — ${v.summary}`, ...v.evidence.map((e) => `  ${e.status.padEnd(7)} ${e.check}: ${e.detail}`), ...(v.actions.length ? ["What to do:", ...v.actions.map((a) => `  - ${a}`)] : [])].join("\n"), verdict);
    return v.fault === "none" ? 0 : 3;
  }
  const done = final?.bundle ? final : (await c.get<{ command: Cmd }>(`/api/commands/${command.id}`)).command;
  if (!done.bundle) return console.error(`no bundle from ${id} within ${timeoutS} s; try again with a longer --timeout`), 1;
  const body = await c.get<unknown>(`/api/commands/${command.id}/bundle`);
  const file = typeof f.out === "string" ? f.out : `bundle-${id}-${command.id}.json`;
  writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body, null, 2), { mode: 0o600 });
  out.print(`bundle from ${id} (${done.bundle.bytes} bytes, sha256 ${done.bundle.sha256}) written to ${file}`, { file, ...done.bundle });
  return 0;
}

async function findDiagnosis(c: RemoteClient, deviceId: string, commandId: string): Promise<Diag | null> {
  // the diagnosis message may have arrived before the event stream opened: look it up
  for (let i = 0; i < 10; i++) {
    const { diagnoses } = await c.get<{ diagnoses: { commandId: string | null; message: Diag }[] }>(`/api/devices/${encodeURIComponent(deviceId)}/diagnoses?limit=10`);
    const d = diagnoses.find((x) => x.commandId === commandId);
    if (d) return d.message;
    await new Promise((r) => setTimeout(r, 300));
  }
  return null;
}
