import { createTask, parse } from "node-cron";

/** A job on a cron schedule; `start()`/`stop()` undo each other. */
export interface CronJob {
  start(): void;
  stop(): void;
}

/** Options of one job: a tick that finds the previous run still busy is skipped and reported. */
export interface CronJobOptions {
  name: string;
  onOverlap?: () => void;
}

type Fields = { second: Set<number>; minute: Set<number>; hour: Set<number>; dayOfMonth: Set<number>; month: Set<number>; dayOfWeek: Set<number> };

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** node-cron's parse of the expression as numeric sets, or null when it uses `L` or `n#k` (left to node-cron). */
function numericFields(expression: string): Fields | null {
  const f = parse(expression) as Record<keyof Fields, (number | string)[]>;
  const out = {} as Fields;
  for (const k of ["second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const) {
    if (!f[k].every((v) => typeof v === "number")) return null;
    out[k] = new Set(f[k] as number[]);
  }
  return out;
}

/**
 * The first time strictly after `from` (whole seconds, local time) that the fields match, as node-cron
 * matches them (day of month AND day of week); null when none within ~5 years (`0 0 0 31 2 *`).
 */
export function nextMatch(f: Fields, from: number): number | null {
  let d = new Date(Math.floor(from / 1000) * 1000 + 1000);
  for (let i = 0; i < 50_000; i++) {
    const [y, mo, day, h, mi, s] = [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
    if (!f.month.has(mo + 1)) d = new Date(y, mo + 1, 1);
    else if (!f.dayOfMonth.has(day) || !f.dayOfWeek.has(d.getDay())) d = new Date(y, mo, day + 1);
    else if (!f.hour.has(h)) d = new Date(y, mo, day, h + 1);
    else if (!f.minute.has(mi)) d = new Date(y, mo, day, h, mi + 1);
    else if (!f.second.has(s)) d = new Date(y, mo, day, h, mi, s + 1);
    else return d.getTime();
  }
  return null;
}

/**
 * Runs `fn` on a cron expression (node-cron syntax and parser), never twice at once.
 *
 * Why not node-cron's scheduler (issue #9): it turns every tick into calendar parts with
 * `Intl.DateTimeFormat.formatToParts`, which maps ICU's data and code into the process: ≈10 MB of the
 * device agent's RSS for three fixed schedules. Plain `Date` local-time arithmetic matches the same
 * fields; the rare `L` / `n#k` expressions still go to node-cron.
 */
export function cronJob(expression: string, fn: () => Promise<unknown>, opts: CronJobOptions): CronJob {
  const fields = numericFields(expression);
  if (!fields) {
    const task = createTask(expression, () => fn(), { name: opts.name, noOverlap: true, logger: quiet });
    task.on("execution:overlap", () => opts.onOverlap?.());
    return { start: () => void task.start(), stop: () => void task.destroy() };
  }
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let stopped = true;
  const arm = (after: number) => {
    if (stopped) return;
    const at = nextMatch(fields, after);
    if (at === null) return;
    timer = setTimeout(() => {
      // from the planned second, not the wake-up time: a late wake-up must not fire the same second twice
      arm(Math.max(at, Date.now()));
      if (busy) return opts.onOverlap?.();
      busy = true;
      fn()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, Math.max(0, at - Date.now()));
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      arm(Date.now());
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
