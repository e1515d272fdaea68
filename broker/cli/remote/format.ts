/** Aligned plain-text columns for terminals; `--json` bypasses this entirely. */
export function columns(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return "never";
  const s = Math.round((now - ms) / 1000);
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : s < 86_400 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86_400)}d ago`;
}

export function until(deadline: number | null, now = Date.now()): string {
  if (deadline === null) return "-";
  const m = Math.round((deadline - now) / 60_000);
  return m >= 0 ? `${m}m left` : `overdue ${-m}m`;
}

/** A progress line on stderr: a spinner on a terminal, plain lines otherwise (logs, CI). */
export class Progress {
  #tty: boolean;
  #frame = 0;
  #timer: NodeJS.Timeout | null = null;
  #text = "";

  constructor(tty = Boolean(process.stderr.isTTY)) {
    this.#tty = tty;
  }

  start(text: string): void {
    this.update(text);
    if (this.#tty) this.#timer = setInterval(() => this.#draw(), 120);
  }

  update(text: string): void {
    this.#text = text;
    if (this.#tty) this.#draw();
    else process.stderr.write(`${text}\n`);
  }

  #draw(): void {
    const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    process.stderr.write(`\r\x1b[2K${frames[this.#frame++ % frames.length]} ${this.#text}`);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#tty) process.stderr.write("\r\x1b[2K");
  }
}
