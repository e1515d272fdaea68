import { readFileSync, renameSync, writeFileSync } from "node:fs";

/**
 * The ids of commands already answered, bounded, oldest forgotten first. QoS 1 delivers at least once and a
 * persistent session redelivers after a reconnect: without this a redelivered `diagnose` would run (and be
 * answered) twice. With a file, the memory survives an agent restart too.
 */
export class HandledIds {
  #max: number;
  #file: string | null;
  #ids = new Set<string>();

  constructor(max: number, file: string | null = null) {
    this.#max = max;
    this.#file = file;
  }

  /** Loads the file if there is one; a missing or broken file starts empty (at worst one duplicate run). */
  load(): void {
    if (!this.#file) return;
    try {
      const ids = JSON.parse(readFileSync(this.#file, "utf8")) as unknown;
      if (Array.isArray(ids)) for (const id of ids.slice(-this.#max)) if (typeof id === "string") this.#ids.add(id);
    } catch {
      // first start, or a torn file after power loss
    }
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers an id; false when it was already known. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    for (const old of this.#ids) {
      if (this.#ids.size <= this.#max) break;
      this.#ids.delete(old);
    }
    if (this.#file) {
      try {
        writeFileSync(`${this.#file}.tmp`, JSON.stringify([...this.#ids]));
        renameSync(`${this.#file}.tmp`, this.#file);
      } catch {
        // memory still protects this run; only a restart could then repeat a command
      }
    }
    return true;
  }
}
