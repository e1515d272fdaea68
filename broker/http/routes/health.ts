import type { FastifyPluginAsync } from "fastify";

/** Liveness and readiness for load balancers and systemd. */
export const healthRoutes: FastifyPluginAsync<{ ready: () => boolean }> = async (app, o) => {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => (o.ready() ? { status: "ready" } : reply.status(503).send({ status: "starting" })));
};
