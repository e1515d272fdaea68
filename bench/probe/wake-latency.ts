/**
 * The host's wake-up latency, measured in the probe benchmark's own run: how long after a packet is sent
 * a process that has been idle for `delayMs` gets to read it. Every client timing a first delta waits
 * idle for the injected delay and is woken by the answer, so this is part of the floor's error and the
 * agent's alike. On the CI host of 2026-11-21 it grew with the idle time — ~0.4 ms after 10 ms, ~13 ms
 * after 1,000 ms (a virtual CPU left idle is woken slowly by its hypervisor) — while a timer waking the
 * same process stayed within a millisecond.
 *
 * `node bench/probe/wake-latency.ts` is the peer: asked over IPC, it sleeps on a timer (which wakes it on
 * time) and answers with its monotonic clock; the parent, idle meanwhile, reads the answer. Both clocks
 * are CLOCK_MONOTONIC, so the difference is the delivery and wake-up.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

interface Ask {
  delayMs: number;
}
interface Answer {
  sentNs: string;
}

if (process.argv[2] === "--peer") {
  process.on("message", (m: Ask) => setTimeout(() => process.send!({ sentNs: String(process.hrtime.bigint()) } satisfies Answer), m.delayMs));
  process.on("disconnect", () => process.exit(0));
}

/** A forked peer; `measure(delayMs)` answers the wake-up latency in ms of one exchange. */
export async function wakeLatencyProbe(): Promise<{ measure(delayMs: number): Promise<number>; stop(): void }> {
  const peer: ChildProcess = fork(fileURLToPath(import.meta.url), ["--peer"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    peer.once("spawn", () => resolve());
    peer.once("error", reject);
  });
  return {
    measure(delayMs) {
      return new Promise((resolve, reject) => {
        const gone = () => reject(new Error("the wake-up peer exited"));
        peer.once("exit", gone);
        peer.once("message", (a: Answer) => {
          peer.off("exit", gone);
          resolve(Number(process.hrtime.bigint() - BigInt(a.sentNs)) / 1e6);
        });
        peer.send({ delayMs } satisfies Ask);
      });
    },
    stop: () => void (peer.connected && peer.disconnect()),
  };
}
