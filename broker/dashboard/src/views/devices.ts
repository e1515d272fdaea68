import { FAULT_CLASSES } from "../../../../shared/faults.ts";
import type { DeviceRecord } from "../../../store/types.ts";
import { ago, h, table } from "../dom.ts";
import { health } from "../health.ts";
import { debounce, type Ctx, type View } from "../view.ts";

/** Device list: search, filter by state and fault, health colours, last seen. */
export async function deviceList(ctx: Ctx, params: URLSearchParams): Promise<View> {
  const search = h("input", { type: "search", id: "dev-search", name: "search", placeholder: "id, model or region", value: params.get("search") ?? "" });
  const online = h("select", { id: "dev-online", name: "online" }, h("option", { value: "" }, "any"), h("option", { value: "true" }, "online"), h("option", { value: "false" }, "offline"));
  online.value = params.get("online") ?? "";
  const fault = h("select", { id: "dev-fault", name: "fault" }, h("option", { value: "" }, "any"), ...FAULT_CLASSES.map((f) => h("option", { value: f }, f)));
  fault.value = params.get("fault") ?? "";
  const results = h("div", { "aria-live": "polite" });
  const render = async () => {
    const q = new URLSearchParams({ limit: "1000" });
    if (search.value) q.set("search", search.value);
    if (online.value) q.set("online", online.value);
    if (fault.value) q.set("fault", fault.value);
    const { devices } = await ctx.api.get<{ devices: DeviceRecord[] }>(`/api/devices?${q}`);
    const rows = devices.map((d) => {
      const hl = health(d);
      return [
        h("span", { class: `dot ${hl.cls}`, "aria-hidden": "true" }),
        h("a", { href: `#/devices/${encodeURIComponent(d.id)}`, "data-device": d.id }, d.id),
        h("span", { class: `health ${hl.cls}` }, hl.label),
        d.model ?? "—",
        d.region ?? "—",
        d.agentVersion ?? "—",
        ago(d.lastSeen),
      ];
    });
    results.replaceChildren(h("p", { class: "muted" }, `${devices.length} device${devices.length === 1 ? "" : "s"}`), table(["", "Device", "Health", "Model", "Region", "Agent", "Last seen"], rows));
  };
  const refresh = debounce(() => void render().catch(() => {}), 300);
  for (const c of [search, online, fault]) c.addEventListener(c === search ? "input" : "change", refresh);
  await render();
  const el = h("section", { "aria-labelledby": "dev-title" },
    h("h1", { id: "dev-title" }, "Devices"),
    h("form", { class: "filters", role: "search", onsubmit: (e: Event) => (e.preventDefault(), refresh()) },
      h("label", { for: "dev-search" }, "Search"), search,
      h("label", { for: "dev-online" }, "State"), online,
      h("label", { for: "dev-fault" }, "Fault"), fault),
    results);
  return { el, onEvent: (type) => (type === "state" || type === "diagnosis") && refresh(), dispose: () => refresh.cancel() };
}
