import "./style.css";
import { Api, ApiError } from "./api.ts";
import { h } from "./dom.ts";
import type { Ctx, Role, View } from "./view.ts";
import { devicePage } from "./views/device.ts";
import { deviceList } from "./views/devices.ts";
import { loginView } from "./views/login.ts";
import { overview } from "./views/overview.ts";
import { slaPage } from "./views/sla.ts";
import { ticketList, ticketPage } from "./views/tickets.ts";

const EVENT_TYPES = ["state", "telemetry", "diagnosis", "ticket", "incident", "progress", "response"];

/** The single-page app: hash routes, one live event stream, views swapped in <main>. */
class Dashboard {
  api = new Api();
  main = document.getElementById("main")!;
  liveEl = document.getElementById("live")!;
  view: View | null = null;
  ctx: Ctx | null = null;
  source: EventSource | null = null;
  seq = 0;

  async boot(): Promise<void> {
    document.getElementById("logout")!.addEventListener("click", () => this.signOut());
    window.addEventListener("hashchange", () => void this.route());
    if (!this.api.token) return this.showLogin();
    const problem = await this.signIn(this.api.token);
    if (problem) this.showLogin(problem);
  }

  async signIn(token: string): Promise<string | null> {
    this.api.token = token;
    try {
      const me = await this.api.get<{ role: Role; name: string }>("/api/me");
      this.ctx = { api: this.api, role: me.role };
      document.getElementById("logout")!.hidden = false;
      this.connect();
      await this.route();
      return null;
    } catch (err) {
      this.api.token = null;
      return err instanceof ApiError && err.status === 401 ? "That token is unknown or revoked; check it and try again." : (err as Error).message;
    }
  }

  signOut(): void {
    this.api.token = null;
    this.source?.close();
    this.ctx = null;
    document.getElementById("logout")!.hidden = true;
    this.showLogin();
  }

  showLogin(problem?: string): void {
    this.view?.dispose?.();
    this.view = null;
    const form = loginView((t) => this.signIn(t));
    if (problem) form.querySelector(".error")!.textContent = problem;
    this.main.replaceChildren(form);
  }

  connect(): void {
    this.source?.close();
    const es = this.api.events("/api/events");
    this.source = es;
    es.onopen = () => ((this.liveEl.textContent = "live"), this.liveEl.classList.add("on"));
    es.onerror = () => ((this.liveEl.textContent = "reconnecting…"), this.liveEl.classList.remove("on"));
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (e) => {
        try {
          this.view?.onEvent?.(type, JSON.parse((e as MessageEvent<string>).data));
        } catch (err) {
          console.error("live event failed", type, err);
        }
      });
    }
  }

  async route(): Promise<void> {
    if (!this.ctx) return;
    const seq = ++this.seq;
    const [path, query = ""] = location.hash.replace(/^#/, "").split("?") as [string, string?];
    const params = new URLSearchParams(query);
    const parts = path.split("/").filter(Boolean);
    for (const a of document.querySelectorAll("nav a")) a.toggleAttribute("aria-current", (a.getAttribute("href") ?? "") === `#/${parts[0] ?? ""}`);
    try {
      let next: View;
      if (parts[0] === "devices" && parts[1]) next = await devicePage(this.ctx, decodeURIComponent(parts[1]));
      else if (parts[0] === "devices") next = await deviceList(this.ctx, params);
      else if (parts[0] === "tickets" && parts[1]) next = await ticketPage(this.ctx, Number(parts[1]));
      else if (parts[0] === "tickets") next = await ticketList(this.ctx, params);
      else if (parts[0] === "sla") next = await slaPage(this.ctx, params);
      else next = await overview(this.ctx);
      if (seq !== this.seq) return next.dispose?.();
      this.view?.dispose?.();
      this.view = next;
      this.main.replaceChildren(next.el);
      const h1 = next.el.querySelector("h1");
      document.title = `${h1?.textContent ?? "edge-fleet"} · edge-fleet`;
      this.main.focus({ preventScroll: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.signOut();
      this.main.replaceChildren(h("section", {}, h("h1", {}, "Something went wrong"), h("p", { class: "error" }, (err as Error).message), h("p", {}, h("a", { href: "#/" }, "Back to the overview"))));
    }
  }
}

void new Dashboard().boot();
