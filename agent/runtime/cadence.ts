/**
 * A node-cron expression (with seconds) that fires every `intervalS` seconds at a per-device offset.
 * The offset spreads a fleet's reports over the whole interval instead of every device firing at
 * second 0 of every minute (the thundering herd a broker would see from 10,000 devices).
 * Cron can only express intervals that divide a minute, an hour or a day; others round to the nearest
 * one that does, and the caller is told.
 */
export function cronForInterval(intervalS: number, random: () => number = Math.random): { expr: string; effectiveS: number } {
  const pick = (n: number) => Math.floor(random() * n);
  // node-cron takes steps only on ranges: `7-59/15`, not `7/15`
  const step = (offset: number, max: number, every: number) => (every === 1 ? "*" : `${offset}-${max}/${every}`);
  const nearest = (candidates: number[], v: number) => candidates.reduce((a, b) => (Math.abs(b - v) < Math.abs(a - v) ? b : a));
  if (intervalS < 60) {
    const s = nearest([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30], intervalS);
    return { expr: `${step(pick(s), 59, s)} * * * * *`, effectiveS: s };
  }
  if (intervalS < 3600) {
    const m = nearest([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30], intervalS / 60);
    return { expr: `${pick(60)} ${step(pick(m), 59, m)} * * * *`, effectiveS: m * 60 };
  }
  const h = nearest([1, 2, 3, 4, 6, 8, 12, 24], intervalS / 3600);
  return { expr: `${pick(60)} ${pick(60)} ${step(pick(h), 23, h)} * * *`, effectiveS: h * 3600 };
}
