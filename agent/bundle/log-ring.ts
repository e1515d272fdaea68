import { maskString } from "../../shared/index.ts";

/**
 * The last `max` log lines, kept in memory for support bundles and diagnoses. Use `stream` as an extra pino
 * destination (pino.multistream). Lines are masked for known secret forms on the way in.
 */
export class LogRing {
  #max: number;
  #lineMax: number;
  #lines: string[] = [];
  #secrets: readonly string[];
  /** A pino destination. */
  readonly stream: { write(chunk: string): void };

  constructor(max = 500, opts: { lineMax?: number; knownSecrets?: readonly string[] } = {}) {
    this.#max = max;
    this.#lineMax = opts.lineMax ?? 2000;
    this.#secrets = opts.knownSecrets ?? [];
    this.stream = { write: (chunk: string) => this.push(chunk) };
  }

  push(chunk: string): void {
    for (const line of chunk.split("\n")) {
      if (!line) continue;
      this.#lines.push(maskString(line.length > this.#lineMax ? `${line.slice(0, this.#lineMax)}…` : line, this.#secrets));
    }
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  /** The most recent `n` lines, oldest first. */
  lines(n = this.#max): string[] {
    return this.#lines.slice(-n);
  }
}
