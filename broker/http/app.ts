import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { FleetEvents } from "../events.ts";
import type { Logger } from "../log.ts";
import { FleetMetrics } from "../metrics/metrics.ts";
import { DEFAULT_COMMITMENTS, type SlaCommitments } from "../reports/sla.ts";
import type { FleetStore } from "../store/types.ts";
import { registerRoutes, type Handlers } from "./api/register.ts";
import { tokenStoreFor, type TokenStore } from "./auth/tokens.ts";
import { dashboardRoutes } from "./dashboard.ts";
import type { CommandActions, DeadLetterActions, IncidentActions, SilenceActions, TicketActions } from "./ports.ts";
import { adminHandlers } from "./routes/admin.ts";
import { commandHandlers } from "./routes/commands.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { deviceHandlers } from "./routes/devices.ts";
import { eventHandlers } from "./routes/events.ts";
import { healthHandlers } from "./routes/health.ts";
import { incidentHandlers } from "./routes/incidents.ts";
import { reportHandlers } from "./routes/reports.ts";
import { ticketHandlers } from "./routes/tickets.ts";
import { SseHub } from "./sse.ts";

export interface AppOptions {
  store: FleetStore;
  events: FleetEvents;
  log: Logger;
  ready: () => boolean;
  now?: () => number;
  /** Defaults to a table in the store's SQLite file. */
  tokens?: TokenStore;
  /** The ticket engine's actions (issue #6); without it ticket actions answer 503. */
  tickets?: TicketActions | null;
  incidents?: IncidentActions | null;
  silences?: SilenceActions | null;
  /** The command service (issue #5); without it remote commands answer 503. */
  commands?: CommandActions | null;
  /** Dead-letter replay (broker/ingest/replay.ts); without it replay answers 503. */
  deadLetters?: DeadLetterActions | null;
  revokeDevice?: ((id: string) => Promise<boolean>) | null;
  /** Refusal counts for /metrics. */
  refusals?: { snapshot(): Record<string, number> };
  sla?: Partial<SlaCommitments>;
  /** Read endpoints without a token; default off (env EDGE_FLEET_ANONYMOUS_READ=1 turns it on). */
  anonymousRead?: boolean;
  /** An operator-chosen admin token registered at start (env EDGE_FLEET_ADMIN_TOKEN). */
  bootstrapAdminToken?: string;
  /** Where the dashboard is served from; false turns it off. */
  dashboard?: boolean;
}

/** Builds the HTTP app without listening (the fastify model): tests use `app.inject()`. */
export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const log = o.log.child({ unit: "http" });
  const now = o.now ?? Date.now;
  const tokens = o.tokens ?? tokenStoreFor(o.store);
  const bootstrap = o.bootstrapAdminToken ?? process.env.EDGE_FLEET_ADMIN_TOKEN;
  if (bootstrap !== undefined) {
    // a short operator-chosen token could be guessed; generated ones are 43+ characters
    if (bootstrap.length < 32) throw new Error("EDGE_FLEET_ADMIN_TOKEN must be at least 32 characters; generate one with 'openssl rand -base64 32'");
    await tokens.ensure(bootstrap, "admin", "bootstrap-admin", now());
  }
  const metrics = new FleetMetrics({ store: o.store, events: o.events, refusals: o.refusals, now });
  metrics.start();

  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    // stop() must not wait for clients' keep-alive sockets (CLI, dashboards): they reconnect to the next process
    forceCloseConnections: true,
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500 && status !== 503) req.log.error({ err }, "request failed");
    const code = status >= 500 && status !== 503 ? "internal" : err.code?.startsWith("FST_") ? "bad_request" : (err.code ?? "bad_request");
    const message = status >= 500 && status !== 503 ? "internal error; see the fleet log" : err.code?.startsWith("FST_") ? `${err.message}; see docs/openapi.json` : err.message;
    reply.status(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}; see docs/openapi.json for the API` } });
  });

  const hub = new SseHub();
  const deps: RouteDeps = {
    store: o.store,
    events: o.events,
    log,
    ready: o.ready,
    now,
    tokens,
    tickets: o.tickets ?? null,
    incidents: o.incidents ?? null,
    silences: o.silences ?? null,
    commands: o.commands ?? null,
    deadLetters: o.deadLetters ?? null,
    revokeDevice: o.revokeDevice ?? null,
    sla: { ...DEFAULT_COMMITMENTS, ...o.sla },
    metricsText: () => metrics.text(),
  };
  const handlers: Handlers = {
    ...healthHandlers(deps),
    ...deviceHandlers(deps),
    ...ticketHandlers(deps),
    ...incidentHandlers(deps),
    ...commandHandlers(deps, hub),
    ...adminHandlers(deps),
    ...eventHandlers(deps, hub),
    ...reportHandlers(deps),
  };
  registerRoutes(app, handlers, { tokens, anonymousRead: o.anonymousRead ?? process.env.EDGE_FLEET_ANONYMOUS_READ === "1", now });
  if (o.dashboard !== false) await app.register(dashboardRoutes, { log });
  // open event streams never go idle: end them first, or closing the server would wait forever
  app.addHook("preClose", async () => hub.closeAll());
  app.addHook("onClose", async () => metrics.stop());
  return app;
}
