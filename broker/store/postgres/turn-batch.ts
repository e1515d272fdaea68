import { BatchRolledBackError } from "../failures.ts";

/**
 * Calls made during one event-loop turn, run together: `add(item)` resolves with that item's result once
 * `run` has answered for the whole batch, or rejects with the batch's error. PostgreSQL charges each
 * statement and each commit the same for one row as for hundreds (issue #9), so the PostgreSQL store
 * sends a turn's reports as one statement. A batch holds at most `max` items; a busier turn is several.
 * `run` answers one result per item, in order, or nothing (for calls that only need to know it is done).
 *
 * With `split`, a batch that fails with an error `split` accepts (one of its items', not the database's) is
 * run again in halves, down to single items, so only the items that fail by themselves fail: one report
 * PostgreSQL refuses costs two statements per halving (19 for 500), not its 499 neighbours' PUBACKs. The
 * statements a batch may take are capped at what isolating two such items needs; items still unresolved
 * then fail with BatchRolledBackError, which counts against none of them (a trigger that refuses
 * everything must not turn one turn into a thousand statements on a database in trouble).
 */
export class TurnBatch<I, R> {
  #run: (items: I[]) => Promise<R[] | void>;
  #max: number;
  #pending: { items: I[]; done: ((err: Error | null, r?: R) => void)[] } | null = null;
  #split: ((err: Error) => boolean) | undefined;
  #inFlight = new Set<Promise<void>>();

  constructor(run: (items: I[]) => Promise<R[] | void>, max = 500, split?: (err: Error) => boolean) {
    this.#run = run;
    this.#max = max;
    this.#split = split;
  }

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      if (this.#pending && this.#pending.items.length >= this.#max) this.#write();
      if (!this.#pending) {
        const p = { items: [] as I[], done: [] as ((err: Error | null, r?: R) => void)[] };
        this.#pending = p;
        setImmediate(() => this.#pending === p && this.#write());
      }
      this.#pending.items.push(item);
      this.#pending.done.push((err, r) => (err ? reject(err) : resolve(r as R)));
    });
  }

  /** Runs what is pending and waits for every batch in flight (before the pool closes). */
  async drain(): Promise<void> {
    if (this.#pending) this.#write();
    await Promise.all([...this.#inFlight]);
  }

  #write(): void {
    const { items, done } = this.#pending!;
    this.#pending = null;
    const run = this.#attempt(items, done, { left: 4 * Math.ceil(Math.log2(Math.max(2, items.length))) + 1 });
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #attempt(items: I[], done: ((err: Error | null, r?: R) => void)[], budget: { left: number }): Promise<void> {
    // the batch's statements are spent: what is left fails unattributed, without another statement
    if (budget.left <= 0) return done.forEach((d) => d(new BatchRolledBackError()));
    budget.left--;
    try {
      // a writer that throws at once or answers for the wrong number of calls fails its batch, nothing else
      const results = await Promise.resolve().then(() => this.#run(items));
      if (results && results.length !== items.length) throw new Error(`the batch writer answered ${results.length} results for ${items.length} calls`);
      done.forEach((d, i) => d(null, results ? results[i] : undefined));
    } catch (err) {
      if (items.length > 1 && this.#split?.(err as Error)) {
        // in order: the second half's reports are newer, and each device's row keeps the latest written
        const half = Math.ceil(items.length / 2);
        await this.#attempt(items.slice(0, half), done.slice(0, half), budget);
        await this.#attempt(items.slice(half), done.slice(half), budget);
        return;
      }
      done.forEach((d) => d(err as Error));
    }
  }
}
