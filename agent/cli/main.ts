#!/usr/bin/env node
import { parseArgs } from "node:util";
import { redact, runMain } from "../../shared/index.ts";
import { loadAgentConfig } from "../config/index.ts";
import { AGENT_VERSION } from "../version.ts";

const USAGE = `edge-agent — health sampling, fault isolation and reporting for voice devices

Usage:
  edge-agent run       --config agent.json      run as a service: sample, diagnose, report over MQTT
  edge-agent diagnose  --config agent.json [--json] [--only checks]
                                                run every check now and print a support report
                                                (exit 0 healthy, 1 fault found, 2 usage/config error)
  edge-agent sample    --config agent.json [--json] [--only audio,network,system]
  edge-agent config check --config agent.json   validate a config file (exit 2 on any problem)
  edge-agent config show  --config agent.json   print the effective config with secrets redacted
  edge-agent --version

Options:
  --config PATH   JSON configuration (default /etc/edge-agent/agent.json); schema: docs/agent-config.schema.json
  --debug         print stack traces for errors
`;

/** Exit codes: 0 ok/healthy, 1 fault found or runtime failure, 2 usage or configuration error. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", default: "/etc/edge-agent/agent.json" },
      json: { type: "boolean", default: false },
      only: { type: "string" },
      debug: { type: "boolean" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.version) return (console.log(AGENT_VERSION), 0);
  const [cmd, sub] = positionals;
  if (values.help || !cmd) return (console.log(USAGE), cmd || values.help ? 0 : 2);
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  switch (cmd) {
    case "config": {
      const config = loadAgentConfig(values.config);
      if (sub === "check") return (console.log(`config file ${values.config} is valid (device ${config.device.id})`), 0);
      if (sub === "show") return (console.log(JSON.stringify(redact(config), null, 2)), 0);
      break;
    }
    case "run": {
      const { runCommand } = await import("./run.ts");
      return runCommand(loadAgentConfig(values.config), values.config);
    }
    case "sample": {
      const { sampleCommand } = await import("./sample.ts");
      return sampleCommand(loadAgentConfig(values.config).samplers, { json: values.json, ...(only ? { only } : {}) });
    }
    case "diagnose": {
      const { diagnoseCommand } = await import("./diagnose.ts");
      return diagnoseCommand(loadAgentConfig(values.config), { json: values.json, ...(only ? { only } : {}) });
    }
  }
  console.error(`unknown command '${positionals.join(" ")}'; run edge-agent --help for the list of commands`);
  return 2;
}

if (import.meta.main) runMain("edge-agent", main);
