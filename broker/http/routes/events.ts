import type { FleetEventMap } from "../../events.ts";
import type { Handlers } from "../api/register.ts";
import type { SseHub } from "../sse.ts";
import type { RouteDeps } from "./deps.ts";

type Kind = keyof FleetEventMap;
const KINDS: Kind[] = ["state", "telemetry", "diagnosis", "ticket", "incident", "progress", "response"];

function deviceOf(kind: Kind, payload: unknown): string | undefined {
  if (kind === "ticket") return (payload as FleetEventMap["ticket"][0]).ticket.deviceId;
  // an incident spans devices: a per-device stream gets it when the device is among them
  if (kind === "incident") return undefined;
  return (payload as { device_id?: string }).device_id;
}

/** Live fleet events as Server-Sent Events, for the dashboard and scripts. */
export function eventHandlers(d: RouteDeps, hub: SseHub): Pick<Handlers, "events"> {
  return {
    events: ({ req, reply, query }) => {
      const stream = hub.open(req, reply);
      for (const kind of KINDS) {
        const listener = (payload: unknown) => {
          if (query.device && kind !== "incident" && deviceOf(kind, payload) !== query.device) return;
          stream.send(kind, payload);
        };
        d.events.on(kind, listener);
        stream.onClose(() => d.events.off(kind, listener));
      }
    },
  };
}
