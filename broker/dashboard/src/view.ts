import type { Api } from "./api.ts";

export type Role = "viewer" | "technician" | "admin";

/** What every view gets: the API client and the signed-in role. */
export interface Ctx {
  api: Api;
  role: Role;
}

/** A mounted view: its element, what it does with live events, and how it cleans up. */
export interface View {
  el: HTMLElement;
  onEvent?(type: string, data: unknown): void;
  dispose?(): void;
}

export const canAct = (role: Role) => role === "technician" || role === "admin";

/** Calls `fn` at most once per `ms`, trailing: bursts of live events cause one refresh. */
export function debounce(fn: () => void, ms = 800): { (): void; cancel(): void } {
  let t: ReturnType<typeof setTimeout> | null = null;
  const d = () => {
    if (t) return;
    t = setTimeout(() => {
      t = null;
      fn();
    }, ms);
  };
  d.cancel = () => t && clearTimeout(t);
  return d;
}
