const DAY_MS = 86_400_000;

/** Bytes published today (UTC day), for the bandwidth budget in telemetry; resets when the day changes. */
export class DailyCounter {
  #now: () => number;
  #day: number;
  #value = 0;

  constructor(now: () => number) {
    this.#now = now;
    this.#day = Math.floor(now() / DAY_MS);
  }

  add(n: number): void {
    this.#roll();
    this.#value += n;
  }

  value(): number {
    this.#roll();
    return this.#value;
  }

  #roll(): void {
    const day = Math.floor(this.#now() / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#value = 0;
    }
  }
}
