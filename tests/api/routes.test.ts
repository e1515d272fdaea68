import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../broker/http/api/spec.ts";
import { diagnosisMsg, stateMsg, telemetryMsg } from "../../broker/testing/messages.ts";
import { newMessageId, SCHEMA_VERSION } from "../../shared/index.ts";
import { startApi, ticketRow, type Api } from "./harness.ts";

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

async function seed(api: Api) {
  await api.store.applyState(stateMsg("speaker-1", T0, { region: "eu", labels: { site: "lab" } }), T0);
  await api.store.applyState(stateMsg("speaker-2", T0, { region: "us", model: "speaker-s2" }), T0);
  await api.store.applyTelemetry(telemetryMsg("speaker-1", T0 + 1000), T0 + 1000, 100);
  await api.store.applyDiagnosis(diagnosisMsg("speaker-2", T0 + 2000, { fault: "cloud_outage" }), T0 + 2000);
  const t = await api.store.insertTicket(ticketRow("speaker-2", "cloud_outage", T0 + 2000, { title: "=cmd|' /C calc'!A0" }));
  return { ticketId: t.id };
}

describe("REST API behaviour", () => {
  let api: Api;
  afterEach(async () => api?.close());

  it("lists devices with filters and keeps the {devices}, {device} shapes; responses match the documented schemas", async () => {
    api = await startApi({ now: () => T0 + 10_000 });
    await seed(api);
    const get = async (url: string) => (await api.app.inject({ url, headers: api.auth("viewer") })).json();
    const all = await get("/api/devices");
    expect(ROUTES.listDevices.response.safeParse(all).success).toBe(true);
    expect(all.devices.map((d: { id: string }) => d.id).sort()).toEqual(["speaker-1", "speaker-2"]);
    expect((await get("/api/devices?fault=cloud_outage")).devices.map((d: { id: string }) => d.id)).toEqual(["speaker-2"]);
    expect((await get("/api/devices?label=site%3Dlab")).devices.map((d: { id: string }) => d.id)).toEqual(["speaker-1"]);
    const one = await get("/api/devices/speaker-1");
    expect(ROUTES.getDevice.response.safeParse(one).success).toBe(true);
    expect(one.device).toMatchObject({ id: "speaker-1", region: "eu", online: true });
    const hist = await get("/api/devices/speaker-1/history");
    expect(ROUTES.deviceHistory.response.safeParse(hist).success).toBe(true);
    expect(hist.history).toHaveLength(1);
    const diag = await get("/api/devices/speaker-2/diagnoses");
    expect(ROUTES.deviceDiagnoses.response.safeParse(diag).success).toBe(true);
    expect(diag.diagnoses[0].fault).toBe("cloud_outage");
  });

  it("answers bad input with one clear sentence, never a crash", async () => {
    api = await startApi();
    const cases: [string, string, object | undefined, RegExp][] = [
      ["GET", "/api/devices?online=maybe", undefined, /invalid query: online/],
      ["GET", "/api/devices/bad%20id", undefined, /invalid path: id/],
      ["GET", "/api/devices/nope", undefined, /device nope not found/],
      ["GET", "/api/tickets/abc", undefined, /invalid path: id/],
      ["POST", "/api/tickets/1/comment", { text: "" }, /invalid body: text/],
      ["POST", "/api/devices/speaker-1/commands", { name: "rm -rf" }, /invalid body: name/],
      ["POST", "/api/tokens", { name: "x", role: "root" }, /invalid body: role/],
      // text neither store can keep (PostgreSQL refuses U+0000 and half of a surrogate pair): refused alike on both
      ["GET", "/api/devices?search=%00", undefined, /^query\.search contains a NUL character \(U\+0000\), which the fleet cannot store; remove it and send the request again$/],
      ["POST", "/api/tickets/1/comment", { text: "see \u0000log" }, /^body\.text contains a NUL character/],
      ["POST", "/api/silences", { matchers: { region: "eu" }, duration_minutes: 60, comment: "cut \ud83d" }, /^body\.comment contains half of a surrogate pair \(a character cut in two\), which the fleet cannot store/],
      ["POST", "/api/silences", { matchers: { "re\u0000gion": "eu" }, duration_minutes: 60, comment: "x" }, /^a key in body\.matchers contains a NUL character/],
    ];
    for (const [method, url, payload, msg] of cases) {
      const res = await api.app.inject({ method: method as "GET", url, headers: api.auth("admin"), ...(payload ? { payload } : {}) });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.json().error.message, url).toMatch(msg);
    }
    // the token is checked first: an anonymous request hears 401, whatever its text
    expect((await api.app.inject({ url: "/api/devices?search=%00" })).statusCode).toBe(401);
    expect(await api.store.listSilences()).toEqual([]);
    const broken = await api.app.inject({ method: "POST", url: "/api/tokens", headers: { ...api.auth("admin"), "content-type": "application/json" }, payload: "{not json" });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe("bad_request");
  });

  it("lists, exports and acts on tickets, with SLA clocks and CSV-injection-safe cells", async () => {
    api = await startApi({ now: () => T0 + 3_600_000 });
    const { ticketId } = await seed(api);
    const list = (await api.app.inject({ url: "/api/tickets?status=active", headers: api.auth("viewer") })).json();
    expect(ROUTES.listTickets.response.safeParse(list).success).toBe(true);
    // P1: respond within 30 min; an hour later it is breached
    expect(list.tickets[0].sla).toMatchObject({ respondBreached: true, respondBy: T0 + 2000 + 30 * 60_000 });
    const csv = await api.app.inject({ url: "/api/tickets/export?format=csv", headers: api.auth("viewer") });
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.headers["content-disposition"]).toContain("attachment");
    expect(csv.body.split("\r\n")[0]).toBe("id,status,severity,fault,deviceId,title,openedAt,updatedAt,occurrences,summary");
    expect(csv.body).toContain(`,'=cmd|' /C calc'!A0,`);
    const json = await api.app.inject({ url: "/api/tickets/export?format=json", headers: api.auth("viewer") });
    expect(JSON.parse(json.body).tickets[0].id).toBe(ticketId);

    const tech = api.auth("technician");
    const ack = await api.app.inject({ method: "POST", url: `/api/tickets/${ticketId}/acknowledge`, headers: tech });
    expect(ack.json().ticket).toMatchObject({ status: "acknowledged", acknowledgedBy: "technician-user" });
    expect((await api.app.inject({ method: "POST", url: `/api/tickets/${ticketId}/acknowledge`, headers: tech })).statusCode).toBe(409);
    await api.app.inject({ method: "POST", url: `/api/tickets/${ticketId}/assign`, headers: tech, payload: { assignee: "ana" } });
    await api.app.inject({ method: "POST", url: `/api/tickets/${ticketId}/comment`, headers: tech, payload: { text: "looking" } });
    const resolved = await api.app.inject({ method: "POST", url: `/api/tickets/${ticketId}/resolve`, headers: tech, payload: { note: "vendor fixed it" } });
    expect(resolved.json().ticket).toMatchObject({ status: "resolved", assignee: "ana", note: "vendor fixed it", comments: [{ actor: "technician-user", text: "looking" }] });
    expect((await api.app.inject({ url: "/api/tickets/999", headers: tech })).statusCode).toBe(404);
  });

  it("answers 503 with a clear sentence when the ticket engine or command service is not wired", async () => {
    api = await startApi({ withUnits: false });
    await api.store.applyState(stateMsg("speaker-1", T0), T0);
    const cmd = await api.app.inject({ method: "POST", url: "/api/devices/speaker-1/commands", headers: api.auth("admin"), payload: { name: "diagnose" } });
    expect(cmd.statusCode).toBe(503);
    expect(cmd.json().error.message).toMatch(/remote commands are not available/);
    expect((await api.app.inject({ url: "/api/silences", headers: api.auth("admin") })).statusCode).toBe(503);
  });

  it("creates, lists and ends silences (admin)", async () => {
    api = await startApi({ now: () => T0 });
    const admin = api.auth("admin");
    const bad = await api.app.inject({ method: "POST", url: "/api/silences", headers: admin, payload: { matchers: {}, comment: "x" } });
    expect(bad.json().error.message).toMatch(/1 to 16 label matchers/);
    const created = await api.app.inject({ method: "POST", url: "/api/silences", headers: admin, payload: { matchers: { region: "eu" }, duration_minutes: 60, comment: "maintenance" } });
    expect(created.statusCode).toBe(201);
    expect(created.json().silence).toMatchObject({ matchers: { region: "eu" }, startsAt: T0, endsAt: T0 + 3_600_000, createdBy: "admin-user" });
    const id = created.json().silence.id;
    expect((await api.app.inject({ url: "/api/silences", headers: api.auth("viewer") })).json().silences).toHaveLength(1);
    expect((await api.app.inject({ method: "DELETE", url: `/api/silences/${id}`, headers: admin })).json()).toEqual({ deleted: true });
    expect((await api.app.inject({ method: "DELETE", url: `/api/silences/${id}`, headers: admin })).statusCode).toBe(404);
  });

  it("sends a command (202), reports its status, serves its bundle, and validates args before sending", async () => {
    api = await startApi();
    await api.store.applyState(stateMsg("speaker-1", T0), T0);
    const tech = api.auth("technician");
    const badArgs = await api.app.inject({ method: "POST", url: "/api/devices/speaker-1/commands", headers: tech, payload: { name: "diagnose", args: { checks: ["teleport"] } } });
    expect(badArgs.statusCode).toBe(400);
    expect(badArgs.json().error.message).toMatch(/invalid args for diagnose: checks/);
    expect(api.units.sent).toHaveLength(0);
    expect((await api.app.inject({ method: "POST", url: "/api/devices/ghost/commands", headers: tech, payload: { name: "ping" } })).statusCode).toBe(404);
    const sent = await api.app.inject({ method: "POST", url: "/api/devices/speaker-1/commands", headers: tech, payload: { name: "bundle" } });
    expect(sent.statusCode).toBe(202);
    const id = sent.json().command.id;
    expect((await api.app.inject({ url: `/api/commands/${id}`, headers: api.auth("viewer") })).json().command).toMatchObject({ id, status: "ok" });
    expect((await api.app.inject({ url: `/api/commands/${id}/bundle`, headers: api.auth("viewer") })).statusCode).toBe(403);
    const bundle = await api.app.inject({ url: `/api/commands/${id}/bundle?access_token=${api.secrets.technician}` });
    expect(bundle.headers["content-disposition"]).toContain(`bundle-speaker-1-${id}.json`);
    expect(bundle.json()).toEqual({ logs: ["line"] });
  });

  it("GET /api/reports/sla gathers the devices' probe runs per month and region against commitments", async () => {
    api = await startApi({ now: () => T0 + 60_000 });
    await seed(api);
    const run = (total: number) => ({ probe: "text" as const, adapter: "http" as const, result: "ok" as const, started_at: T0 + total, dns_ms: 1, connect_ms: 1, tls_ms: 1, request_sent_ms: 5, first_text_ms: 5 + total, first_audio_ms: null, total_ms: 2 * total, bytes_sent: 1, bytes_received: 1, transcript: null, transcript_ok: null, answer: null, answer_ok: null, request_id: null, error: null });
    for (const total of [300, 500, 900]) await api.store.applyTelemetry({ ...telemetryMsg("speaker-1", T0 + total), ai: { at: T0 + total, text: run(total), voice: null, status_page: null } }, T0 + total, 100);
    const res = await api.app.inject({ url: "/api/reports/sla?latency_ms=800&latency_percentile=p50", headers: api.auth("viewer") });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(ROUTES.slaReport.response.safeParse(r).success).toBe(true);
    expect(r.commitments).toEqual({ availabilityPct: 99.9, errorRatePct: 0.1, latencyMs: 800, latencyPercentile: "p50" });
    expect(r.periods).toEqual([expect.objectContaining({ month: "2026-11", region: "eu", runs: 3, latencyMs: { p50: 500, p90: 900, p99: 900 }, met: { availability: true, errorRate: true, latency: true } })]);
    expect(r.breaches).toEqual([expect.objectContaining({ deviceId: "speaker-2", region: "us", fault: "cloud_outage" })]);
  });

  it("lists dead letters newest first to a technician (webhook notifications and device reports the fleet gave up on), never to a viewer", async () => {
    api = await startApi();
    await api.store.addDeadLetter({ at: T0, target: "pager", attempts: 6, error: "HTTP 503", body: { action: "trigger" } });
    await api.store.addDeadLetter({ at: T0 + 1, target: "ingest:diagnosis", attempts: 3, error: "refused by the site constraint", body: { device_id: "speaker-1", msg_id: "m-1" } });
    const r = await api.app.inject({ url: "/api/dead-letters?limit=10", headers: api.auth("technician") });
    expect(r.statusCode).toBe(200);
    expect(ROUTES.listDeadLetters.response.safeParse(r.json()).success).toBe(true);
    expect(r.json().dead_letters.map((l: { target: string }) => l.target)).toEqual(["ingest:diagnosis", "pager"]);
    expect((await api.app.inject({ url: "/api/dead-letters?limit=1", headers: api.auth("technician") })).json().dead_letters).toHaveLength(1);
    expect((await api.app.inject({ url: "/api/dead-letters", headers: api.auth("viewer") })).statusCode).toBe(403);
    const bad = await api.app.inject({ url: "/api/dead-letters?limit=0", headers: api.auth("technician") });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/invalid query: limit/);
  });

  it("replays a dead-lettered report once its cause is fixed: stored, audited, gone from the dead letters; each bad request gets one sentence", async () => {
    api = await startApi();
    const t = telemetryMsg("speaker-7", T0, 13);
    const letter = (id: number) => api.app.inject({ method: "POST", url: `/api/dead-letters/${id}/replay`, headers: api.auth("technician") });
    // what the ingest leaves when a report kept failing: the dead letter and its id recorded with it
    await api.store.addDeadLetter({ at: T0 + 5, target: "ingest:telemetry", attempts: 3, error: "seq 13 refused by the site constraint", body: t }, { msgId: t.msg_id, deviceId: "speaker-7" });
    await api.store.addDeadLetter({ at: T0 + 6, target: "pager", attempts: 6, error: "HTTP 503", body: { action: "trigger" } });
    // the cause still there: 409, and it is kept (released, its mark recorded again)
    api.store.db.exec("CREATE TRIGGER refuse13 BEFORE INSERT ON telemetry_history WHEN json_extract(NEW.body, '$.seq') = 13 BEGIN SELECT RAISE(ABORT, 'seq 13 refused by the site constraint'); END");
    const again = await letter(1);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/^replaying dead letter 1 failed again \(seq 13 refused by the site constraint\); it is kept, fix the cause and replay it again/);
    expect((await api.store.listDeadLetters()).map((l) => [l.id, l.target, l.error])).toEqual([[2, "pager", "HTTP 503"], [1, "ingest:telemetry", "seq 13 refused by the site constraint"]]);
    expect(await api.store.markSeen(t.msg_id, "speaker-7", T0)).toBe("stored");
    // the store down: 503, try again, nothing changed
    api.store.db.exec("PRAGMA query_only = ON");
    const down = await letter(1);
    expect(down.statusCode).toBe(503);
    expect(down.json().error.message).toMatch(/^dead letter 1 could not be replayed, the store is unavailable .*it is kept, try again shortly/);
    api.store.db.exec("PRAGMA query_only = OFF");
    // fixed: processed, gone from the dead letters, audited
    api.store.db.exec("DROP TRIGGER refuse13");
    const ok = await letter(1);
    expect(ok.statusCode).toBe(200);
    expect(ROUTES.replayDeadLetter.response.safeParse(ok.json()).success).toBe(true);
    expect(ok.json()).toMatchObject({ outcome: "accepted", dead_letter: { id: 1, target: "ingest:telemetry" } });
    expect((await api.store.history("speaker-7", 0, 10)).map((p) => p.telemetry.seq)).toEqual([13]);
    expect(await api.store.getDeadLetter(1)).toBeNull();
    // the failed replay and the one that stored it (the attempt while the store was down could not be audited)
    expect(await api.store.listAudit("dead_letter:1")).toMatchObject([
      { action: "dead_letter.replay", actor: "technician-user", detail: { outcome: "accepted", msg_id: t.msg_id } },
      { action: "dead_letter.replay", actor: "technician-user", detail: { refused: "failed" } },
    ]);
    // bad requests: gone, a webhook notification, a viewer, not a number
    expect((await letter(1)).json().error).toMatchObject({ code: "not_found", message: expect.stringMatching(/^dead letter 1 not found/) });
    const hook = await letter(2);
    expect(hook.statusCode).toBe(400);
    expect(hook.json().error.message).toMatch(/dead letter 2 \(pager\) is a webhook notification, not a device report; only ingest:… dead letters are replayed/);
    expect((await api.app.inject({ method: "POST", url: "/api/dead-letters/2/replay", headers: api.auth("viewer") })).statusCode).toBe(403);
    expect((await api.app.inject({ method: "POST", url: "/api/dead-letters/x/replay", headers: api.auth("technician") })).statusCode).toBe(400);
  });

  it("replays a dead letter once, however many ask at once, and never one that would take the device backwards", async () => {
    api = await startApi();
    const t = telemetryMsg("speaker-8", T0 + 1000, 5);
    await api.store.addDeadLetter({ at: T0 + 5, target: "ingest:telemetry", attempts: 3, error: "refused", body: t }, { msgId: t.msg_id, deviceId: "speaker-8" });
    const replay = () => api.app.inject({ method: "POST", url: "/api/dead-letters/1/replay", headers: api.auth("technician") });
    const answers = await Promise.all([replay(), replay(), replay()]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(answers.find((r) => r.statusCode === 409)!.json().error.message).toMatch(/^dead letter 1 is held by another replay or a discard/);
    expect(await api.store.history("speaker-8", 0, 10)).toHaveLength(1);
    // telemetry older than the device's latest: replayed into the history; the device keeps its newest report
    const old = telemetryMsg("speaker-8", T0, 4);
    await api.store.addDeadLetter({ at: T0 + 6, target: "ingest:telemetry", attempts: 3, error: "refused", body: old }, { msgId: old.msg_id, deviceId: "speaker-8" });
    expect((await api.app.inject({ method: "POST", url: "/api/dead-letters/2/replay", headers: api.auth("technician") })).statusCode).toBe(200);
    expect((await api.store.history("speaker-8", 0, 10)).map((p) => p.telemetry.seq)).toEqual([4, 5]);
    expect((await api.store.getDevice("speaker-8"))?.telemetry?.seq).toBe(5);
    // a diagnosis older than the device's latest: kept, 409 (an old healthy one would resolve today's tickets)
    await api.store.applyDiagnosis(diagnosisMsg("speaker-8", T0 + 3000, { fault: "voice_capture" }), T0 + 3000);
    const oldDiagnosis = diagnosisMsg("speaker-8", T0 + 500);
    await api.store.addDeadLetter({ at: T0 + 6, target: "ingest:diagnosis", attempts: 3, error: "refused", body: oldDiagnosis }, { msgId: oldDiagnosis.msg_id, deviceId: "speaker-8" });
    const stale = await api.app.inject({ method: "POST", url: "/api/dead-letters/3/replay", headers: api.auth("technician") });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.message).toMatch(/^dead letter 3 is older than the device's latest diagnosis .*would roll the device's state back; it is kept/);
    expect((await api.store.getDevice("speaker-8"))?.fault).toBe("voice_capture");
    // a state report: never replayed
    const s = stateMsg("speaker-8", T0 + 2000);
    await api.store.addDeadLetter({ at: T0 + 7, target: "ingest:state", attempts: 3, error: "refused", body: s }, { msgId: s.msg_id, deviceId: "speaker-8" });
    expect((await api.app.inject({ method: "POST", url: "/api/dead-letters/4/replay", headers: api.auth("technician") })).json().error.message).toMatch(/^dead letter 4 is a state report/);
    expect((await api.store.listDeadLetters()).map((l) => l.id)).toEqual([4, 3]);
    // dealt with some other way: discarded (audited), never while a replay holds it
    const del = (id: number, role: "technician" | "viewer" = "technician") => api.app.inject({ method: "DELETE", url: `/api/dead-letters/${id}`, headers: api.auth(role) });
    expect((await del(4, "viewer")).statusCode).toBe(403);
    expect(await api.store.claimDeadLetter(3, Date.now(), Date.now() + 60_000)).toBe(true);
    expect((await del(3)).json().error).toMatchObject({ code: "conflict", message: expect.stringMatching(/^dead letter 3 is held by a replay or another discard/) });
    expect((await del(4)).json()).toEqual({ deleted: true });
    expect((await del(4)).statusCode).toBe(404);
    expect((await api.store.listDeadLetters()).map((l) => l.id)).toEqual([3]);
    expect(await api.store.listAudit("dead_letter:4")).toMatchObject([{ action: "dead_letter.discard", actor: "technician-user" }, { action: "dead_letter.replay", detail: { refused: "stale" } }]);
  });

  it("streams live events over SSE to a token holder, filtered by device", async () => {
    api = await startApi();
    await api.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (api.app.server.address() as AddressInfo).port;
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/events?device=speaker-1&access_token=${api.secrets.viewer}`, { signal: ac.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    const until = async (re: RegExp) => {
      while (!re.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/connected/);
    api.events.emit("telemetry", telemetryMsg("speaker-2", T0));
    api.events.emit("progress", { v: SCHEMA_VERSION, device_id: "speaker-1", ts: T0, msg_id: newMessageId(), id: "cmd00000001", step: "text probe", done: 1, total: 3, detail: "asking" });
    await until(/event: progress/);
    expect(text).not.toContain("speaker-2");
    expect(text).toContain('"step":"text probe"');
    ac.abort();
    await api.app.close();
  });
});
