import type { FastifyPluginAsync } from "fastify";
import { buildDashboard, type DashboardAssets } from "../dashboard/build.ts";
import type { Logger } from "../log.ts";

// the page talks to this API only; no inline script, no third-party origin
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/**
 * Serves the web dashboard (broker/dashboard/src) at `/` and `/assets/*`. The files carry no data, so
 * they are public; every figure they show comes from the API with the user's token. The bundle is
 * built on the first request and kept for the app's life.
 */
export const dashboardRoutes: FastifyPluginAsync<{ log: Logger }> = async (app, o) => {
  let assets: Promise<DashboardAssets> | null = null;
  const get = () => {
    assets ??= buildDashboard().catch((err: Error) => {
      assets = null;
      o.log.error({ err }, "dashboard build failed");
      throw Object.assign(new Error("the dashboard could not be built; see the fleet log (is esbuild installed? run npm ci)"), { statusCode: 503, code: "unavailable" });
    });
    return assets;
  };
  const page = async (_req: unknown, reply: import("fastify").FastifyReply) =>
    reply.type("text/html; charset=utf-8").header("content-security-policy", CSP).header("cache-control", "no-cache").send((await get()).html);
  app.get("/", page);
  app.get("/dashboard", page);
  app.get("/assets/app.js", async (_req, reply) => reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send((await get()).js));
  app.get("/assets/app.css", async (_req, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send((await get()).css));
};
