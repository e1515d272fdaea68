import type { Handlers } from "../api/register.ts";
import { httpError, notFound } from "../errors.ts";
import type { RouteDeps } from "./deps.ts";

type AdminOps = "listSilences" | "createSilence" | "deleteSilence" | "listDeadLetters" | "replayDeadLetter" | "deleteDeadLetter" | "listTokens" | "createToken" | "revokeToken" | "whoami";

const HOUR_MS = 3_600_000;

/** Silences (through the ticket engine) and API tokens: the admin's surface. */
export function adminHandlers(d: RouteDeps): Pick<Handlers, AdminOps> {
  const silences = () => {
    if (!d.silences) throw httpError("unavailable", "silences are not available in this fleet (no ticket engine with silences is wired); upgrade edge-fleet");
    return d.silences;
  };
  const deadLetters = () => {
    if (!d.deadLetters) throw httpError("unavailable", "dead-letter replay is not available in this fleet (no ingest is wired); upgrade edge-fleet");
    return d.deadLetters;
  };
  return {
    whoami: ({ principal }) => principal,
    listSilences: async () => ({ silences: await silences().list() }),
    createSilence: async ({ body, principal }) => {
      const startsAt = body.starts_at ?? d.now();
      const endsAt = body.ends_at ?? startsAt + (body.duration_minutes ?? 120) * 60_000;
      if (endsAt <= startsAt) throw httpError("bad_request", "ends_at must be after starts_at; pass a later ends_at or a duration_minutes");
      if (endsAt - startsAt > 90 * 24 * HOUR_MS) throw httpError("bad_request", "a silence may last at most 90 days; create a new one when it ends");
      let silence;
      try {
        silence = await silences().create({ matchers: body.matchers, startsAt, endsAt, comment: body.comment, createdBy: principal.name });
      } catch (err) {
        if ((err as Error).name === "SilenceError") throw httpError("bad_request", (err as Error).message);
        throw err;
      }
      d.log.info({ silence: silence.id, by: principal.tokenId }, "silence created");
      return { silence };
    },
    deleteSilence: async ({ params, principal }) => {
      if (!(await silences().remove(params.id, principal.name))) throw notFound(`active silence ${params.id}`);
      return { deleted: true as const };
    },
    listDeadLetters: async ({ query }) => ({ dead_letters: (await d.store.listDeadLetters(query.limit)).map((l) => ({ ...l, id: l.id ?? 0 })) }),
    replayDeadLetter: async ({ params, principal }) => {
      const r = await deadLetters().replay(params.id, principal.name);
      if (!r) throw notFound(`dead letter ${params.id}`);
      if (!r.ok) throw httpError(r.reason === "not_a_report" ? "bad_request" : r.reason === "unavailable" ? "unavailable" : "conflict", r.message);
      // (conflict: stale, busy, or it failed again)
      return { outcome: r.outcome, dead_letter: { ...r.deadLetter, id: r.deadLetter.id ?? params.id } };
    },
    deleteDeadLetter: async ({ params, principal }) => {
      const r = await deadLetters().discard(params.id, principal.name);
      if (r === "gone") throw notFound(`dead letter ${params.id}`);
      if (r === "busy") throw httpError("conflict", `dead letter ${params.id} is held by a replay or another discard; list the dead letters again in a minute`);
      return { deleted: true as const };
    },
    listTokens: async () => ({ tokens: await d.tokens.list() }),
    createToken: async ({ body, principal }) => {
      const created = await d.tokens.create({ name: body.name, role: body.role, now: d.now() });
      d.log.info({ token: created.token.id, role: body.role, by: principal.tokenId }, "API token created");
      return created;
    },
    revokeToken: async ({ params, principal }) => {
      if (!(await d.tokens.revoke(params.id, d.now()))) throw notFound(`active token ${params.id}`);
      d.log.warn({ token: params.id, by: principal.tokenId }, "API token revoked");
      return { revoked: true as const };
    },
  };
}
