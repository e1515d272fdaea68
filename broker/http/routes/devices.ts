import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { DeviceId, FaultClass, formatIssues } from "../../../shared/index.ts";
import type { FleetStore } from "../../store/types.ts";

export const DeviceListQuery = z.object({
  online: z.enum(["true", "false"]).optional(),
  fault: FaultClass.optional(),
  search: z.string().max(64).optional(),
  label: z.string().regex(/^[a-z][a-z0-9_]{0,31}=.{1,64}$/, "must be key=value").optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Parses a request part with a schema, answering 400 with every problem listed. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw Object.assign(new Error(`invalid ${where}: ${formatIssues(r.error).join("; ")}`), { statusCode: 400, code: "bad_request" });
  return r.data;
}

export function notFound(what: string): Error {
  return Object.assign(new Error(`${what} not found`), { statusCode: 404, code: "not_found" });
}

export const deviceRoutes: FastifyPluginAsync<{ store: FleetStore }> = async (app, { store }) => {
  app.get("/api/devices", async (req) => {
    const q = parseOr400(DeviceListQuery, req.query, "query");
    const [key, value] = q.label ? [q.label.slice(0, q.label.indexOf("=")), q.label.slice(q.label.indexOf("=") + 1)] : [];
    const devices = await store.listDevices({
      ...(q.online ? { online: q.online === "true" } : {}),
      ...(q.fault ? { fault: q.fault } : {}),
      ...(q.search ? { search: q.search } : {}),
      ...(key ? { label: { key, value: value! } } : {}),
      limit: q.limit,
      offset: q.offset,
    });
    return { devices };
  });

  app.get("/api/devices/:id", async (req) => {
    const id = parseOr400(DeviceId, (req.params as { id: string }).id, "device id");
    const device = await store.getDevice(id);
    if (!device) throw notFound(`device ${id}`);
    return { device };
  });

  app.get("/api/devices/:id/history", async (req) => {
    const id = parseOr400(DeviceId, (req.params as { id: string }).id, "device id");
    const q = parseOr400(z.object({ since: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(5000).default(500) }), req.query, "query");
    return { history: await store.history(id, q.since, q.limit) };
  });

  app.get("/api/devices/:id/diagnoses", async (req) => {
    const id = parseOr400(DeviceId, (req.params as { id: string }).id, "device id");
    return { diagnoses: await store.diagnoses(id, 50) };
  });
};
