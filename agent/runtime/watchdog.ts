import { execFile } from "node:child_process";
import type { Logger } from "../log.ts";

/** The outcome of one message to the service manager: a failure is data, never a crash. */
export type NotifyResult = { result: "ok" } | { result: "error"; message: string };

/** Sends `VAR=value` lines to the service manager's NOTIFY_SOCKET. */
export type NotifySender = (assignments: readonly string[], env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<NotifyResult>;

/**
 * Sends through systemd's own `systemd-notify` tool. Node has no AF_UNIX datagram sockets and the agent
 * ships no native addon, so a short-lived child does the sendmsg(). Two consequences the units encode:
 * the sender is not the main PID, so the unit needs `NotifyAccess=all`; and systemd-notify waits for the
 * manager to process the message (sd_notify_barrier, systemd ≥ 246), so the manager can still attribute
 * it to our unit although the child has exited.
 */
export function systemdNotifySender(binary = "systemd-notify", timeoutMs = 5000): NotifySender {
  return (assignments, env, signal) =>
    new Promise((resolve) => {
      execFile(binary, [...assignments], { env, timeout: timeoutMs, signal }, (err, _stdout, stderr) => {
        if (!err) return resolve({ result: "ok" });
        const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? `${binary} is not installed` : stderr.trim() || err.message;
        resolve({ result: "error", message: why });
      });
    });
}

/** What the watchdog needs; everything but the logger has a default for production. */
export interface WatchdogOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  pid?: number;
  send?: NotifySender;
  /** A keep-alive is sent only while this says the agent works (e.g. its loop has run recently). */
  healthy?: () => boolean;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/**
 * systemd readiness and watchdog keep-alive (`Type=notify`, `WatchdogSec=`). Without NOTIFY_SOCKET (not
 * under systemd, or a unit without notify) every method does nothing. Keep-alives go every half of
 * WATCHDOG_USEC, the interval sd_watchdog_enabled(3) recommends, so one late tick does not kill us.
 */
export class Watchdog {
  #o: WatchdogOptions;
  #env: NodeJS.ProcessEnv;
  #send: NotifySender;
  #timer: unknown = null;
  #abort = new AbortController();
  #inFlight = false;
  #started = false;
  #failures = 0;

  constructor(o: WatchdogOptions) {
    this.#o = o;
    this.#env = o.env ?? process.env;
    this.#send = o.send ?? systemdNotifySender();
  }

  /** True when a service manager listens (NOTIFY_SOCKET is set). */
  get enabled(): boolean {
    return Boolean(this.#env.NOTIFY_SOCKET);
  }

  /**
   * The keep-alive interval, or null when no watchdog is configured for this process. WATCHDOG_PID names
   * the process the manager watches; another PID (a child that inherited the env) must not ping.
   */
  get intervalMs(): number | null {
    const usec = Number(this.#env.WATCHDOG_USEC);
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0) return null;
    const pid = this.#env.WATCHDOG_PID;
    if (pid && Number(pid) !== (this.#o.pid ?? process.pid)) return null;
    return Math.max(1, Math.floor(usec / 2000));
  }

  /** Keep-alives sent and failed so far (for the agent's own health report). */
  get failures(): number {
    return this.#failures;
  }

  /** Tells systemd the agent is up (READY=1) and starts the keep-alive. */
  async start(status = "running"): Promise<void> {
    if (!this.enabled || this.#started) return;
    this.#started = true;
    this.#abort = new AbortController();
    await this.notify(["READY=1", `STATUS=${status}`]);
    const every = this.intervalMs;
    if (every === null) return;
    const set = this.#o.setInterval ?? ((fn, ms) => setInterval(fn, ms).unref());
    this.#timer = set(() => void this.#tick(), every);
  }

  /** Stops the keep-alive and tells systemd the agent is stopping. */
  async stop(): Promise<void> {
    if (this.#timer !== null) (this.#o.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(this.#timer);
    this.#timer = null;
    if (!this.#started) return;
    this.#started = false;
    await this.notify(["STOPPING=1"]);
    this.#abort.abort();
  }

  /** Sends a status line (`systemctl status` shows it). */
  async status(text: string): Promise<NotifyResult | null> {
    return this.notify([`STATUS=${text.replace(/\n/g, " ")}`]);
  }

  /** Sends raw assignments; null when there is no service manager. */
  async notify(assignments: readonly string[]): Promise<NotifyResult | null> {
    if (!this.enabled) return null;
    const r = await this.#send(assignments, this.#env, this.#abort.signal);
    if (r.result === "error") {
      this.#failures++;
      // warn, not error: systemd restarts us if keep-alives really stop arriving, which is the alarm.
      if (this.#failures === 1 || this.#failures % 100 === 0) this.#o.log.warn({ failures: this.#failures, reason: r.message }, "systemd notification failed");
    }
    return r;
  }

  async #tick(): Promise<void> {
    // One keep-alive at a time: a slow systemd-notify must not pile up children.
    if (this.#inFlight) return;
    if (this.#o.healthy && !this.#o.healthy()) {
      this.#o.log.warn("agent unhealthy: withholding the watchdog keep-alive so systemd restarts it");
      return;
    }
    this.#inFlight = true;
    try {
      await this.notify(["WATCHDOG=1"]);
    } finally {
      this.#inFlight = false;
    }
  }
}
