import { h } from "../dom.ts";

/** Token entry: the token stays in this tab's sessionStorage only. */
export function loginView(onToken: (token: string) => Promise<string | null>): HTMLElement {
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const err = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login", onsubmit: async (e: Event) => {
    e.preventDefault();
    err.textContent = (await onToken(input.value.trim())) ?? "";
  } },
    h("h1", {}, "Sign in"),
    h("p", {}, "Paste an API token (an admin creates one with ", h("code", {}, "edge-fleet tokens create --role viewer"), "). It is kept for this browser tab only."),
    h("label", { for: "token" }, "API token"), input,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    err);
  queueMicrotask(() => input.focus());
  return form;
}
