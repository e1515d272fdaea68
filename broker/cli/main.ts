#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runMain } from "../../shared/index.ts";
import { loadFleetConfig } from "../config/load.ts";
import { StoreOpenError } from "../store/sqlite/db.ts";
import { devicesCommand } from "./devices.ts";
import { serveCommand } from "./serve.ts";
import { VERSION } from "../version.ts";
import { isRemoteCommand, remoteMain, REMOTE_USAGE } from "./remote/commands.ts";
import { tokensCommand } from "./remote/tokens.ts";

const configFlag = (argv: string[]) => {
  const i = argv.indexOf("--config");
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith("--config="))?.slice(9);
};

const USAGE = `edge-fleet — fleet broker, registry and ticketing for edge-agent devices

Usage:
  edge-fleet serve [--config fleet.json]
  edge-fleet devices add --id ID [--label key=value]... [--out credentials.json] [--mqtt-url URL]
  edge-fleet devices list | revoke ID | rotate ID [--out credentials.json]
  edge-fleet tokens create [--role viewer|technician|admin] [--name NAME] | list | revoke ID
  edge-fleet devices ls | devices show ID | tickets | silences | diagnose ID | bundle ID
      (against a running server: --url/EDGE_FLEET_URL, --token/EDGE_FLEET_TOKEN, --json;
       edge-fleet tickets --help for details)
  edge-fleet config check --config fleet.json
  edge-fleet --version

Options:
  --config PATH   JSON configuration (defaults are embedded; see docs/fleet-config.schema.json)
  --debug         print stack traces for errors
`;

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. */
export async function main(argv: string[]): Promise<number> {
  // commands against a running server (issue #7) and API tokens take their own flags
  if (isRemoteCommand(argv)) return argv.includes("--help") || argv.includes("-h") ? (console.log(REMOTE_USAGE), 0) : remoteMain(argv);
  if (argv[0] === "tokens") return tokensCommand(loadFleetConfig(configFlag(argv)), argv);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      id: { type: "string" },
      label: { type: "string", multiple: true },
      out: { type: "string" },
      "mqtt-url": { type: "string" },
      json: { type: "boolean" },
      debug: { type: "boolean" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.version) return (console.log(VERSION), 0);
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) return (console.log(USAGE), cmd || values.help ? 0 : 2);
  switch (cmd) {
    case "serve":
      return serveCommand(loadFleetConfig(values.config));
    case "devices":
      return devicesCommand(loadFleetConfig(values.config), rest, values);
    case "config":
      if (rest[0] !== "check") break;
      loadFleetConfig(values.config);
      console.log(`configuration ${values.config ?? "(embedded defaults)"} is valid`);
      return 0;
  }
  console.error(`unknown command '${[cmd, ...rest].join(" ")}'; run edge-fleet --help for the list of commands`);
  return 2;
}

if (import.meta.main) runMain("edge-fleet", main, [StoreOpenError]);
