import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { formatIssues } from "../../../shared/index.ts";
import { roleAllows, type Principal } from "../auth/roles.ts";
import type { TokenStore } from "../auth/tokens.ts";
import { httpError } from "../errors.ts";
import { unstorableText } from "../text-guard.ts";
import { ROUTES, type OperationId, type RouteSpec } from "./spec.ts";

type Get<T, K extends string> = T extends Record<K, infer V> ? V : undefined;
type In<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the parsed request parts and the caller. */
export interface Ctx<K extends OperationId> {
  params: In<Get<(typeof ROUTES)[K], "params">>;
  query: In<Get<(typeof ROUTES)[K], "query">>;
  body: In<Get<(typeof ROUTES)[K], "body">>;
  principal: Principal;
  req: FastifyRequest;
  reply: FastifyReply;
}

export type Handler<K extends OperationId> = (c: Ctx<K>) => unknown;
export type Handlers = { [K in OperationId]: Handler<K> };

export interface AuthOptions {
  tokens: TokenStore;
  /** Lets requests without a token read (viewer routes only); off by default: secure by default. */
  anonymousRead: boolean;
  now: () => number;
}

const ANONYMOUS: Principal = { tokenId: "anonymous", name: "anonymous", role: "viewer" };
const PUBLIC: Principal = { tokenId: "public", name: "public", role: "viewer" };

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw httpError("bad_request", `invalid ${where}: ${formatIssues(r.error).join("; ")}; see docs/openapi.json`);
  return r.data;
}

function bearer(req: FastifyRequest, spec: RouteSpec): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) throw httpError("unauthorized", "the Authorization header must be 'Bearer <token>'");
    return m[1]!;
  }
  // EventSource cannot send headers, and a download link cannot either: those routes accept the token in the query
  if (spec.produces === "text/event-stream" || spec.url.endsWith("/bundle")) {
    const q = (req.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof q === "string" && q) return q;
  }
  return null;
}

async function authenticate(req: FastifyRequest, spec: RouteSpec, auth: AuthOptions): Promise<Principal> {
  if (spec.access === "public") return PUBLIC;
  const secret = bearer(req, spec);
  let principal: Principal;
  if (!secret) {
    if (!(auth.anonymousRead && spec.access === "viewer")) {
      throw httpError("unauthorized", "this endpoint needs a bearer token; send 'Authorization: Bearer <token>' (an admin creates one with 'edge-fleet tokens create')");
    }
    principal = ANONYMOUS;
  } else {
    const token = await auth.tokens.verify(secret, auth.now());
    if (!token) throw httpError("unauthorized", "the bearer token is unknown or revoked; ask an admin for a valid token");
    principal = { tokenId: token.id, name: token.name, role: token.role };
  }
  if (!roleAllows(principal.role, spec.access)) {
    throw httpError("forbidden", `this action needs the ${spec.access} role and your token has ${principal.role}; ask an admin for a ${spec.access} token`);
  }
  return principal;
}

/** Registers every route of the table with its auth check and request validation. */
export function registerRoutes(app: FastifyInstance, handlers: Handlers, auth: AuthOptions): void {
  for (const [op, spec] of Object.entries(ROUTES) as [OperationId, RouteSpec][]) {
    const handler = handlers[op] as Handler<OperationId>;
    app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const principal = await authenticate(req, spec, auth);
        // text neither store can keep gets one answer, whichever store this fleet runs (text-guard.ts)
        const bad = unstorableText(req.params, "path") ?? unstorableText(req.query, "query") ?? unstorableText(req.body, "body");
        if (bad) throw httpError("bad_request", `${bad}, which the fleet cannot store; remove it and send the request again`);
        const ctx = {
          params: parse(spec.params, req.params, "path"),
          query: parse(spec.query, req.query ?? {}, "query"),
          body: parse(spec.body, req.body, "body"),
          principal,
          req,
          reply,
        } as Ctx<OperationId>;
        const out = await handler(ctx);
        if (spec.status && !reply.sent) reply.status(spec.status);
        return out;
      },
    });
  }
}
