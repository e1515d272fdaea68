import { afterEach, describe, expect, it } from "vitest";
import { ROLES, roleAllows } from "../../broker/http/auth/roles.ts";
import { ROUTES, type RouteSpec } from "../../broker/http/api/spec.ts";
import { startApi, type Api } from "./harness.ts";

/** A concrete URL for a route of the table (path parameters filled with plausible values). */
function urlOf(spec: RouteSpec): string {
  return spec.url.replace(":id", spec.url.startsWith("/api/tickets") ? "1" : spec.url.startsWith("/api/commands") ? "cmd00000001" : "speaker-1");
}

const secured = Object.entries(ROUTES as Record<string, RouteSpec>)
  .filter(([, s]) => s.access !== "public")
  .map(([op, s]) => [`${s.method} ${s.url} (${op})`, s.access, s] as const);

describe("every API route enforces its role", () => {
  let api: Api;
  afterEach(async () => api?.close());

  it.each(secured)("%s answers 401 with a clear error without a token, and with an unknown one", async (_op, _access, spec) => {
    api = await startApi();
    for (const headers of [{}, { authorization: "Bearer eft_not-a-real-token" }]) {
      const res = await api.app.inject({ method: spec.method, url: urlOf(spec), headers, ...(spec.method === "POST" ? { payload: {} } : {}) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("unauthorized");
      expect(res.json().error.message).toMatch(/token/);
    }
  });

  it.each(secured.filter(([, access]) => access !== "viewer"))("%s answers 403 to every role below %s", async (_op, _access, spec) => {
    api = await startApi();
    for (const role of ROLES.filter((r) => !roleAllows(r, spec.access as "viewer"))) {
      const res = await api.app.inject({ method: spec.method, url: urlOf(spec), headers: api.auth(role), ...(spec.method === "POST" ? { payload: {} } : {}) });
      expect(res.statusCode, `${role} on ${spec.method} ${spec.url}`).toBe(403);
      expect(res.json().error.message).toContain(`needs the ${spec.access} role`);
    }
  });

  it("a viewer may not run diagnostics; a technician may, and only an admin may change a device's cadence", async () => {
    api = await startApi();
    await api.store.applyState((await import("../../broker/testing/messages.ts")).stateMsg("speaker-1", Date.now()), Date.now());
    const run = (role: "viewer" | "technician" | "admin", payload: object) => api.app.inject({ method: "POST", url: "/api/devices/speaker-1/commands", headers: api.auth(role), payload });
    expect((await run("viewer", { name: "diagnose" })).statusCode).toBe(403);
    const ok = await run("technician", { name: "diagnose" });
    expect(ok.statusCode).toBe(202);
    expect(ok.json().command).toMatchObject({ deviceId: "speaker-1", name: "diagnose", issuer: "api:technician-user" });
    const cadence = { name: "set-cadence", args: { kind: "telemetry", interval_s: 60 } };
    expect((await run("technician", cadence)).statusCode).toBe(403);
    expect((await run("admin", cadence)).statusCode).toBe(202);
  });

  it("public routes answer without a token, and anonymous read is opt-in", async () => {
    api = await startApi();
    expect((await api.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await api.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    await api.close();
    api = await startApi({ anonymousRead: true });
    expect((await api.app.inject({ url: "/api/devices" })).json()).toEqual({ devices: [] });
    expect((await api.app.inject({ method: "POST", url: "/api/devices/x/commands", payload: { name: "ping" } })).statusCode).toBe(401);
  });

  it("a revoked token stops working at once, and tokens are stored only as hashes", async () => {
    api = await startApi();
    const created = await api.app.inject({ method: "POST", url: "/api/tokens", headers: api.auth("admin"), payload: { name: "ci", role: "viewer" } });
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json();
    expect(secret).toMatch(/^eft_[A-Za-z0-9_-]{43}$/);
    const bearer = { authorization: `Bearer ${secret}` };
    expect((await api.app.inject({ url: "/api/me", headers: bearer })).json()).toMatchObject({ role: "viewer", name: "ci" });
    const rows = api.store.db.prepare("SELECT * FROM api_tokens").all();
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect((await api.app.inject({ method: "DELETE", url: `/api/tokens/${token.id}`, headers: api.auth("admin") })).statusCode).toBe(200);
    expect((await api.app.inject({ url: "/api/me", headers: bearer })).statusCode).toBe(401);
  });

  it("registers a bootstrap admin token and refuses a short one", async () => {
    const boot = "b".repeat(40);
    api = await startApi({ bootstrapAdminToken: boot });
    expect((await api.app.inject({ url: "/api/tokens", headers: { authorization: `Bearer ${boot}` } })).statusCode).toBe(200);
    await expect(startApi({ bootstrapAdminToken: "short" })).rejects.toThrow(/at least 32 characters/);
  });
});
