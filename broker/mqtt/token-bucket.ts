/** A token bucket: `rate` tokens per second, up to `burst`; time is passed in so tests need no clock. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly rate: number;
  readonly burst: number;

  constructor(rate: number, burst: number, now: number) {
    this.rate = rate;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  take(now: number, n = 1): boolean {
    // a clock that jumps backwards refills nothing instead of going negative
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}

/** One bucket per key (client id, source address), with the least recently used dropped past `max`. */
export class BucketMap {
  #buckets = new Map<string, TokenBucket>();
  readonly rate: number;
  readonly burst: number;
  readonly max: number;

  constructor(rate: number, burst: number, max = 100_000) {
    this.rate = rate;
    this.burst = burst;
    this.max = max;
  }

  take(key: string, now: number): boolean {
    let b = this.#buckets.get(key);
    if (b) this.#buckets.delete(key);
    else b = new TokenBucket(this.rate, this.burst, now);
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.max) this.#buckets.delete(this.#buckets.keys().next().value as string);
    return b.take(now);
  }

  delete(key: string): void {
    this.#buckets.delete(key);
  }
}
