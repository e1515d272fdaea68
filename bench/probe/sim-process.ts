import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SimFaultsInput } from "../../sim/cloud/faults.ts";

const SIM_MAIN = fileURLToPath(new URL("../../sim/cloud/main.ts", import.meta.url));

/** The reference cloud in its own process, driven through its control API. */
export interface SimProcess {
  url: string;
  wsUrl: string;
  setFaults(f: SimFaultsInput): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `sim/cloud/main.ts --port 0` as a child. The cloud gets its own event loop (and the other core):
 * a device never shares one with its cloud, and in one process the simulator's recognition of the
 * uploaded utterance would delay the agent's timers and inflate the very error being measured.
 */
export function startSimProcess(apiKey: string): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, [SIM_MAIN, "--port", "0", "--api-key", apiKey], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = "";
    const onExit = (code: number | null) => reject(new Error(`the reference cloud exited with ${code} before listening: ${out.slice(-300)}`));
    child.once("exit", onExit);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /http (http:\/\/\S+)\s+realtime (ws:\/\/\S+)/.exec(out);
      if (!m) return;
      child.off("exit", onExit);
      child.stdout!.removeAllListeners("data").resume();
      const url = m[1]!;
      resolve({
        url,
        wsUrl: m[2]!,
        async setFaults(f) {
          const res = await fetch(`${url}/_sim/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(f) });
          if (!res.ok) throw new Error(`the reference cloud refused faults ${JSON.stringify(f)}: ${await res.text()}`);
        },
        stop,
      });
    });
  });
}
