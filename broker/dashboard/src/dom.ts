/** A tiny element builder: h("a", {href}, "text", child). Text is always set as text, never as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | null | undefined | ((e: Event) => void)> = {}, ...children: (Node | string | number | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** "3 min ago", "2 h ago". */
export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A countdown: "12 min left" or "overdue 5 min". */
export function countdown(deadline: number | null, now = Date.now()): { text: string; overdue: boolean } {
  if (deadline === null) return { text: "no deadline", overdue: false };
  const d = deadline - now;
  const m = Math.round(Math.abs(d) / 60_000);
  const span = m >= 120 ? `${Math.floor(m / 60)} h ${m % 60} min` : m >= 1 ? `${m} min` : `${Math.round(Math.abs(d) / 1000)} s`;
  return d >= 0 ? { text: `${span} left`, overdue: false } : { text: `overdue ${span}`, overdue: true };
}

export const time = (ms: number | null) => (ms === null ? "—" : new Date(ms).toLocaleString());
export const num = (v: number | null | undefined, unit = "", digits = 0) => (v === null || v === undefined ? "—" : `${v.toFixed(digits)}${unit}`);

/** A definition list of figures. */
export function figures(rows: [string, string][]): HTMLElement {
  const dl = h("dl", { class: "figures" });
  for (const [k, v] of rows) dl.append(h("dt", {}, k), h("dd", {}, v));
  return dl;
}

export function table(head: string[], rows: (Node | string)[][], caption?: string): HTMLElement {
  const t = h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))));
  const body = h("tbody");
  for (const r of rows) body.append(h("tr", {}, ...r.map((c) => h("td", {}, c))));
  t.append(body);
  return h("div", { class: "table-wrap" }, t);
}

/** Replaces an element's children, skipping absent parts (null, undefined, false, ""). */
export function fill(el: HTMLElement, ...children: (Node | string | null | undefined | false)[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false && c !== ""));
}
