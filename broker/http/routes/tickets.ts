import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { DeviceId } from "../../../shared/index.ts";
import type { FleetStore } from "../../store/types.ts";
import { parseOr400 } from "./devices.ts";

const TicketQuery = z.object({
  status: z.enum(["open", "acknowledged", "resolved", "closed"]).optional(),
  device: DeviceId.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

export const ticketRoutes: FastifyPluginAsync<{ store: FleetStore }> = async (app, { store }) => {
  app.get("/api/tickets", async (req) => {
    const q = parseOr400(TicketQuery, req.query, "query");
    return { tickets: await store.listTickets({ ...(q.status ? { status: q.status } : {}), ...(q.device ? { deviceId: q.device } : {}), limit: q.limit }) };
  });
};
