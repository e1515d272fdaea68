import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import type { FleetStore } from "../store/types.ts";
import { deviceRoutes } from "./routes/devices.ts";
import { healthRoutes } from "./routes/health.ts";
import { ticketRoutes } from "./routes/tickets.ts";

export interface AppOptions {
  store: FleetStore;
  events: FleetEvents;
  log: Logger;
  ready: () => boolean;
}

/** Builds the HTTP app without listening (the fastify model): tests use `app.inject()`. */
export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: o.log.child({ unit: "http" }) as unknown as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 256 * 1024 });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, "request failed");
    reply.status(status).send({ error: { code: err.code ?? (status >= 500 ? "internal" : "bad_request"), message: status >= 500 ? "internal error; see the fleet log" : err.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}; see docs/openapi.json for the API` } });
  });
  await app.register(healthRoutes, { ready: o.ready });
  await app.register(deviceRoutes, { store: o.store });
  await app.register(ticketRoutes, { store: o.store });
  return app;
}
