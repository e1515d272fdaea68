import { afterEach, describe, expect, it } from "vitest";
import { devices, engineHarness } from "../testing/engine-harness.ts";
import { diagnosisMsg, encode } from "../testing/messages.ts";
import { topicFor } from "../../shared/index.ts";

type H = Awaited<ReturnType<typeof engineHarness>>;
let h: H | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const MIN = 60_000;

describe("grouping and severity", () => {
  it("writes a device joining a live incident once, already linked (no insert-then-update); opens an incident only for a stored ticket", async () => {
    h = await engineHarness();
    const ids = devices(3);
    await h.online(ids);
    const writes: string[] = [];
    const store = h.store;
    const insert = store.insertTicket.bind(store);
    const update = store.updateTicket.bind(store);
    store.insertTicket = async (t) => (writes.push(`insert incident=${t.incidentId}`), insert(t));
    store.updateTicket = async (t) => (writes.push(`update ${t.id}`), update(t));
    for (const id of ids) await h.diagnose(id, { fault: "cloud_outage" });
    const [incident] = await h.store.listIncidents();
    const [first] = await h.store.listTickets({ deviceId: ids[0]! });
    // the first device's ticket is stored, then opens the incident; the others join it in their insert
    expect(writes).toEqual([`insert incident=null`, `update ${first!.id}`, ...ids.slice(1).map(() => `insert incident=${incident!.id}`)]);
    expect((await h.store.listTickets()).map((t) => [t.deviceId, t.incidentId, t.severity])).toEqual([...ids].reverse().map((id) => [id, incident!.id, incident!.severity]));
  });

  it("attaches a ticket the insert did not store as placed (a PostgreSQL replica raced it and stored its own row)", async () => {
    h = await engineHarness();
    const ids = devices(2);
    await h.online(ids);
    await h.diagnose(ids[0]!, { fault: "cloud_outage" });
    // the row that comes back is another replica's: stored before this one's placement reached it, unlinked
    const store = h.store;
    const insert = store.insertTicket.bind(store);
    store.insertTicket = async (t) => insert({ ...t, incidentId: null });
    await h.diagnose(ids[1]!, { fault: "cloud_outage" });
    const [incident] = await h.store.listIncidents();
    expect((await h.store.listTickets({ deviceId: ids[1]! })).map((t) => t.incidentId)).toEqual([incident!.id]);
    expect(incident).toMatchObject({ deviceCount: 2, activeDevices: 2 });
  });

  it("turns 50 devices reporting cloud_outage within seconds into one P0 incident and one notification", async () => {
    h = await engineHarness();
    const ids = devices(50);
    await h.online(ids);
    for (const id of ids) {
      await h.diagnose(id, { fault: "cloud_outage" });
      await h.scheduler.advance(100); // 5 s for the whole fleet
    }
    await h.scheduler.advance(40_000); // past the group wait
    const incidents = await h.store.listIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ severity: "P0", status: "open", fault: "cloud_outage", family: "server" });
    expect(incidents[0]!.deviceIds).toEqual(ids);
    expect(h.sink.sent.map((n) => n.action)).toEqual(["trigger"]);
    expect(h.sink.sent[0]!.incident.severity).toBe("P0");
    // the per-device records are members of the incident, not tickets of their own
    const tickets = await h.store.listTickets();
    expect(new Set(tickets.map((t) => t.incidentId))).toEqual(new Set([incidents[0]!.id]));
  });

  it("splits incidents by the configured group-by labels", async () => {
    h = await engineHarness({ group_wait_ms: 0, group_by: ["region", "firmware"] });
    await h.online(["eu-1", "eu-2"], { region: "eu" });
    await h.online(["us-1"], { region: "us" });
    for (const id of ["eu-1", "eu-2", "us-1"]) await h.diagnose(id, { fault: "cloud_outage" });
    await h.diagnose("eu-2", { fault: "cloud_outage", firmware: "fw-9" });
    const incidents = await h.store.listIncidents();
    expect(incidents.map((i) => [i.groupLabels, i.deviceIds]).sort()).toEqual([
      [{ region: "eu", firmware: "fw-1" }, ["eu-1", "eu-2"]],
      [{ region: "us", firmware: "fw-1" }, ["us-1"]],
    ].sort());
    expect(incidents.every((i) => i.title.includes("region"))).toBe(true);
  });

  it("raises the severity as the radius grows", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    const ids = devices(20);
    await h.online(ids);
    await h.diagnose(ids[0]!, { fault: "cloud_outage" });
    expect((await h.store.listIncidents())[0]!.severity).toBe("P2");
    for (const id of ids.slice(1, 4)) await h.diagnose(id, { fault: "cloud_outage" });
    expect((await h.store.listIncidents())[0]!.severity).toBe("P1");
    for (const id of ids.slice(4, 12)) await h.diagnose(id, { fault: "cloud_outage" });
    expect((await h.store.listIncidents())[0]!.severity).toBe("P0");
    expect(h.sink.of("trigger").map((n) => n.incident.severity)).toEqual(["P2", "P1", "P0"]);
  });

  it("opens one P2 ticket with its evidence for a single device's voice_capture, or P1 when configured so", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(devices(10));
    await h.diagnose("dev-003", { fault: "voice_capture" });
    const [t] = await h.store.listTickets();
    expect(t).toMatchObject({ deviceId: "dev-003", fault: "voice_capture", severity: "P2", status: "open", component: "audio" });
    expect(t!.content).toMatchObject({
      scenario: "asking for the weather",
      versions: { agent: "1.0.0", firmware: "fw-1", sdk: null },
      devices: ["dev-003"],
      steps: [expect.objectContaining({ name: "text", status: "ok" }), expect.objectContaining({ name: "voice", status: "fail" })],
      evidence: [expect.objectContaining({ check: "audio", status: "fail" })],
    });
    expect(t!.content!.actions.length).toBeGreaterThan(0);
    // the log excerpt's bearer token never reaches the ticket
    expect(JSON.stringify(t)).not.toContain("abcdefgh12345678");
    expect(h.sink.sent).toHaveLength(1);
    await h.close();

    h = await engineHarness({ group_wait_ms: 0, severity: { core: [{ severity: "P0", min_share: 0.5, min_devices: 5 }, { severity: "P1", min_share: 0, min_devices: 1 }] } });
    await h.online(devices(10));
    await h.diagnose("dev-003", { fault: "voice_capture" });
    expect((await h.store.listTickets())[0]!.severity).toBe("P1");
  });

  it("records error codes with their full (redacted) messages", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "cloud_outage" });
    const [t] = await h.store.listTickets();
    expect(t!.content!.errors[0]).toMatchObject({ code: "10401", family: "server", httpStatus: 503 });
    expect(t!.content!.errors[0]!.message).toContain("service unavailable: upstream overloaded");
    expect(t!.content!.occurrence).toMatchObject({ occurrences: 1 });
  });
});

describe("deduplication", () => {
  it("never duplicates a ticket on redelivery, even when both copies race", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"]);
    const msg = encode.diagnosis(diagnosisMsg("dev-a", h.scheduler.now(), { fault: "voice_capture" }));
    const outcomes = await Promise.all([h.ingest.handle(topicFor("diagnosis", "dev-a"), msg, "dev-a"), h.ingest.handle(topicFor("diagnosis", "dev-a"), msg, "dev-a")]);
    expect(outcomes.sort()).toEqual(["accepted", "duplicate"]);
    // two distinct reports of the same fault, racing: one ticket, two occurrences
    await Promise.all([h.diagnose("dev-a", { fault: "voice_capture" }), h.diagnose("dev-a", { fault: "voice_capture" })]);
    const tickets = await h.store.listTickets();
    expect(tickets).toHaveLength(1);
    expect(tickets[0]!.occurrences).toBe(3);
  });

  it("counts a diagnosis its ticket already counted once when its ticket work runs again (a redelivery whose first delivery was cut off after the ticket's write)", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"]);
    const first = diagnosisMsg("dev-a", h.scheduler.now(), { fault: "voice_capture" });
    await h.engine.onDiagnosis(first, h.scheduler.now());
    await h.engine.onDiagnosis(first, h.scheduler.now());
    expect((await h.store.listTickets()).map((t) => t.occurrences)).toEqual([1]);
    await h.scheduler.advance(MIN);
    const second = diagnosisMsg("dev-a", h.scheduler.now(), { fault: "voice_capture" });
    await h.engine.onDiagnosis(second, h.scheduler.now());
    await h.engine.onDiagnosis(second, h.scheduler.now());
    expect((await h.store.listTickets()).map((t) => [t.occurrences, t.evidence.diagnosis_id])).toEqual([[2, second.diagnosis_id]]);
  });
});

describe("flap control", () => {
  it("keeps one ticket open through a flapping device instead of opening and closing it every cycle", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 5 * MIN });
    await h.online(["dev-a"]);
    for (let i = 0; i < 10; i++) {
      await h.diagnose("dev-a", { fault: "voice_capture" });
      await h.scheduler.advance(2 * MIN);
      await h.diagnose("dev-a");
      await h.scheduler.advance(2 * MIN);
    }
    const tickets = await h.store.listTickets();
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ status: "open", occurrences: 10, flapping: true });
    expect(h.sink.of("trigger")).toHaveLength(1);
    expect(h.sink.of("resolve")).toHaveLength(0);
  });

  it("mutes notifications of a ticket that keeps resolving and reopening", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: MIN, flap_transitions: 4 });
    await h.online(["dev-a"]);
    for (let i = 0; i < 6; i++) {
      await h.diagnose("dev-a", { fault: "voice_capture" });
      await h.scheduler.advance(MIN);
      await h.diagnose("dev-a");
      await h.scheduler.advance(2 * MIN);
      await h.diagnose("dev-a", { trigger: "verification" });
      await h.scheduler.advance(MIN);
    }
    expect(await h.store.listTickets()).toHaveLength(1);
    const triggers = h.sink.of("trigger").length;
    // first open plus at most one reopen before the flap detector mutes it
    expect(triggers).toBeLessThanOrEqual(2);
    expect((await h.store.listIncidents())[0]!.flapping).toBe(true);
  });

  it("does not open a ticket for a fault that clears within the pending period", async () => {
    h = await engineHarness({ group_wait_ms: 0, pending_ms: 2 * MIN });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    expect((await h.store.listTickets())[0]!.status).toBe("pending");
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a");
    await h.scheduler.advance(5 * MIN);
    expect(await h.store.listTickets()).toEqual([]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.scheduler.advance(3 * MIN);
    expect((await h.store.listTickets())[0]!.status).toBe("open");
    expect(h.sink.of("trigger")).toHaveLength(1);
  });

  it("counts a fault reported again within the pending period on its pending ticket, which opens once the period has passed", async () => {
    h = await engineHarness({ group_wait_ms: 0, pending_ms: 2 * MIN });
    await h.online(["dev-a"]);
    expect(await h.diagnose("dev-a", { fault: "voice_capture" })).toBe("accepted");
    await h.scheduler.advance(MIN);
    // the same fault, still there: one more occurrence of the pending ticket, not a second ticket (nor a refused report)
    expect(await h.diagnose("dev-a", { fault: "voice_capture" })).toBe("accepted");
    expect((await h.store.listTickets()).map((t) => [t.status, t.occurrences])).toEqual([["pending", 2]]);
    expect(h.sink.of("trigger")).toHaveLength(0);
    await h.scheduler.advance(2 * MIN);
    expect((await h.store.listTickets()).map((t) => [t.status, t.occurrences])).toEqual([["open", 2]]);
    expect(h.sink.of("trigger")).toHaveLength(1);
  });
});

describe("SLA clocks", () => {
  it("escalates a P0 not acknowledged within 15 minutes, and not one acknowledged in time", async () => {
    h = await engineHarness();
    const ids = devices(10);
    await h.online(ids);
    for (const id of ids) await h.diagnose(id, { fault: "cloud_outage" });
    await h.scheduler.advance(14 * MIN);
    expect(h.sink.of("escalate")).toHaveLength(0);
    await h.scheduler.advance(2 * MIN);
    expect(h.sink.of("escalate")).toHaveLength(1);
    const [inc] = await h.store.listIncidents();
    expect(inc!.escalations).toEqual([expect.objectContaining({ clock: "respond", severity: "P0" })]);
    await h.close();

    h = await engineHarness();
    await h.online(ids);
    for (const id of ids) await h.diagnose(id, { fault: "cloud_outage" });
    await h.scheduler.advance(10 * MIN);
    const [open] = await h.store.listIncidents();
    expect(await h.api.acknowledgeIncident(open!.id, "alice")).toMatchObject({ status: "acknowledged", acknowledgedBy: "alice" });
    await h.scheduler.advance(60 * MIN);
    expect(h.sink.of("escalate")).toHaveLength(0);
    expect(h.sink.of("acknowledge")).toHaveLength(1);
    expect((await h.store.listTickets()).every((t) => t.status === "acknowledged")).toBe(true);
  });
});

describe("silences", () => {
  it("suppresses a matching device's tickets while active, audited, and lets them notify after it ends", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"], { region: "eu" });
    await h.online(["dev-b"], { region: "us" });
    const s = await h.engine.silences.create({ matchers: { region: "eu" }, startsAt: h.scheduler.now(), endsAt: h.scheduler.now() + 30 * MIN, comment: "planned maintenance", createdBy: "bob" });
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.diagnose("dev-b", { fault: "voice_capture" });
    const a = (await h.store.listTickets({ deviceId: "dev-a" }))[0]!;
    expect(a.suppressedBy).toBe(`silence:${s.id}`);
    expect(a.incidentId).toBeNull();
    expect(h.sink.sent.map((n) => n.incident.deviceIds)).toEqual([["dev-b"]]);
    expect((await h.store.listAudit(`silence:${s.id}`))[0]).toMatchObject({ actor: "bob", action: "silence.create" });
    await h.scheduler.advance(31 * MIN);
    expect(h.sink.of("trigger").flatMap((n) => n.incident.deviceIds)).toContain("dev-a");
    expect(await h.engine.silences.expire(s.id, "bob")).toBe(false);
  });

  it("refuses a silence without matchers, reason or a valid window with a clear message", async () => {
    h = await engineHarness();
    await expect(h.engine.silences.create({ matchers: {}, startsAt: 10, endsAt: 5, comment: "", createdBy: "x" })).rejects.toThrow(/matchers.*|endsAt must be after startsAt/);
  });
});

describe("inhibition", () => {
  it("suppresses the cloud tickets of an offline device or one with a local network fault", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a", "dev-b"]);
    await h.diagnose("dev-a", { fault: "voice_cloud" });
    await h.offline("dev-a");
    expect((await h.store.listTickets({ deviceId: "dev-a" }))[0]!.suppressedBy).toBe("device_offline");
    await h.online(["dev-a"]);
    expect((await h.store.listTickets({ deviceId: "dev-a" }))[0]!.suppressedBy).toBeNull();

    await h.diagnose("dev-b", { fault: "network", family: "network" });
    await h.diagnose("dev-b", { fault: "cloud_latency" });
    const cloud = (await h.store.listTickets({ deviceId: "dev-b" })).find((t) => t.fault === "cloud_latency")!;
    expect(cloud.suppressedBy).toBe("local_network");
    expect(h.sink.sent.some((n) => n.incident.fault === "cloud_latency")).toBe(false);
  });

  it("absorbs a device's cloud ticket into a fleet-wide cloud incident instead of a new incident", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    const ids = devices(10);
    await h.online(ids);
    for (const id of ids.slice(0, 6)) await h.diagnose(id, { fault: "cloud_outage" });
    await h.diagnose(ids[8]!, { fault: "voice_cloud" });
    const incidents = await h.store.listIncidents();
    expect(incidents).toHaveLength(1);
    const t = (await h.store.listTickets({ deviceId: ids[8] }))[0]!;
    expect(t.incidentId).toBe(incidents[0]!.id);
    expect(incidents[0]!.deviceIds).toContain(ids[8]);
  });
});

describe("lifecycle", () => {
  it("resolves after recovery past the hold-down plus a passing verification, then reopens on recurrence within the window", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 5 * MIN });
    const ids = devices(4);
    await h.online(ids);
    for (const id of ids) await h.diagnose(id, { fault: "cloud_outage" });
    const [inc] = await h.store.listIncidents();
    expect(inc!.severity).toBe("P1");
    for (const id of ids) await h.diagnose(id);
    await h.scheduler.advance(6 * MIN);
    // healthy past the hold-down, but not yet verified: the fleet asks for a verification diagnosis
    expect((await h.store.getIncident(inc!.id))!.status).toBe("open");
    expect(h.verifications.sort()).toEqual(ids);
    for (const id of ids) await h.diagnose(id, { trigger: "verification" });
    const resolved = (await h.store.getIncident(inc!.id))!;
    expect(resolved).toMatchObject({ status: "resolved", resolvedBy: "auto" });
    expect(resolved.postmortem).toMatchObject({ impact: expect.stringContaining("4 device(s)"), timeline: expect.any(Array) });
    expect(h.sink.of("resolve")).toHaveLength(1);

    await h.scheduler.advance(60 * MIN);
    await h.diagnose(ids[0]!, { fault: "cloud_outage" });
    const reopened = (await h.store.getIncident(inc!.id))!;
    expect(reopened).toMatchObject({ status: "open", reopenCount: 1 });
    const t = (await h.store.listTickets({ deviceId: ids[0] }))!;
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ status: "open", reopenCount: 1 });
  });

  it.each([
    ["as this fleet stores it", false],
    ["reopened by a fleet before clockStartedAt was kept (its reopening read from the audit trail)", true],
  ])("a reopened incident whose severity rises takes its new deadlines from the reopening, not the first opening: %s", async (_name, legacy) => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 0 });
    const ids = devices(6);
    await h.online(ids);
    for (const id of ids.slice(0, 2)) await h.diagnose(id, { fault: "cloud_outage" });
    const [inc] = await h.store.listIncidents();
    expect(inc!.severity).toBe("P1");
    for (const id of ids.slice(0, 2)) await h.diagnose(id);
    await h.scheduler.advance(MIN);
    for (const id of ids.slice(0, 2)) await h.diagnose(id, { trigger: "verification" });
    expect((await h.store.getIncident(inc!.id))!.status).toBe("resolved");

    await h.scheduler.advance(2 * 60 * MIN);
    await h.diagnose(ids[0]!, { fault: "cloud_outage" });
    const reopenedAt = h.scheduler.now();
    const reopened = (await h.store.getIncident(inc!.id))!;
    expect(reopened).toMatchObject({ status: "open", reopenCount: 1, respondBy: reopenedAt + 30 * MIN });
    if (legacy) {
      const { clockStartedAt: _started, ...older } = reopened;
      await h.store.updateIncident(older);
    }
    await h.scheduler.advance(MIN);
    // five of six devices: P0, whose 15 minutes to respond run from the reopening (before: from the first opening,
    // two hours back, so the raise paged an escalation at once)
    for (const id of ids.slice(1, 5)) await h.diagnose(id, { fault: "cloud_outage" });
    const raised = (await h.store.getIncident(inc!.id))!;
    expect(raised).toMatchObject({ severity: "P0", respondBy: reopenedAt + 15 * MIN, resolveBy: reopenedAt + 4 * 60 * MIN });
    await h.scheduler.advance(MIN);
    expect(h.sink.of("escalate")).toHaveLength(0);
    await h.scheduler.advance(14 * MIN);
    expect(h.sink.of("escalate").map((n) => n.reason)).toEqual([expect.stringMatching(/^respond time of P0 exceeded/)]);
  });

  it("closes a resolved incident after the reopen window; a later fault opens a new one", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 0, reopen_window_ms: 60 * MIN });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    const [inc] = await h.store.listIncidents();
    // P2: no postmortem is asked for
    expect(await h.api.resolveIncident(inc!.id, "carol", "replaced the microphone")).toMatchObject({ status: "resolved", resolvedBy: "carol", postmortem: null });
    await h.scheduler.advance(61 * MIN);
    expect((await h.store.getIncident(inc!.id))!.status).toBe("closed");
    expect((await h.store.listTickets())[0]!.status).toBe("closed");
    await h.diagnose("dev-a", { fault: "voice_capture" });
    expect(await h.store.listIncidents()).toHaveLength(2);
    expect(await h.store.listTickets()).toHaveLength(2);
  });

  it("lets a person assign and comment through the per-ticket API, audited", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    const [t] = await h.store.listTickets();
    expect(await h.api.assign(t!.id, "alice", "bob")).toMatchObject({ assignee: "bob" });
    await h.api.comment(t!.id, "alice", "checking the mic cable");
    const ack = await h.api.acknowledge(t!.id, "alice");
    expect(ack).toMatchObject({ status: "acknowledged", sla: { respondBreached: false } });
    const detail = await h.api.getIncident(t!.incidentId!);
    expect(detail!.incident.comments).toEqual([expect.objectContaining({ author: "alice", text: "checking the mic cable" })]);
    expect(detail!.audit.map((a) => a.action).sort()).toEqual(["incident.acknowledge", "incident.assign", "incident.comment"]);
    expect(await h.api.acknowledge(t!.id, "alice")).toBeNull();
  });

  it("flags a fault that begins with a new firmware version as a possible regression", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { firmware: "fw-1" });
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a", { firmware: "fw-2" });
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a", { fault: "voice_capture", firmware: "fw-2" });
    const [t] = await h.store.listTickets();
    expect(t!.regression).toMatchObject({ kind: "firmware", from: "fw-1", to: "fw-2" });
    expect((await h.store.listIncidents())[0]!.regression).toMatchObject({ to: "fw-2" });
  });
});

/** dev-a faulty, then healthy past a 5-minute hold-down: asked for its verification once. */
async function recoveredAndAsked(): Promise<H> {
  // closed by afterEach even when an expectation here fails
  const harness = (h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 5 * MIN }));
  await harness.online(["dev-a"]);
  await harness.diagnose("dev-a", { fault: "voice_capture" });
  await harness.diagnose("dev-a");
  await harness.scheduler.advance(6 * MIN);
  expect(harness.verifications).toEqual(["dev-a"]);
  return harness;
}

describe("lifecycle corners: who gets paged, and when", () => {
  const HOUR = 60 * MIN;

  it("counts a device holding several cloud tickets in one incident as one affected device: no false P0", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    const ids = devices(10);
    await h.online(ids);
    for (const id of ids.slice(0, 2)) await h.diagnose(id, { fault: "cloud_outage" });
    const [inc] = await h.store.listIncidents();
    expect(inc!.severity).toBe("P1");
    // the same two devices isolate other cloud symptoms of the same outage: absorbed into its incident
    for (const id of ids.slice(0, 2)) {
      await h.diagnose(id, { fault: "voice_cloud" });
      await h.diagnose(id, { fault: "cloud_latency" });
      await h.diagnose(id, { fault: "cloud_outage", family: "quota" });
    }
    expect((await h.store.listTickets()).filter((t) => t.incidentId === inc!.id)).toHaveLength(8);
    expect(await h.store.getIncident(inc!.id)).toMatchObject({ severity: "P1", deviceCount: 2, activeDevices: 2, peakDevices: 2 });
    // paged at one device (P2) and at two (P1), never as a fleet-wide outage
    expect(h.sink.of("trigger").map((n) => n.incident.severity)).toEqual(["P2", "P1"]);
  });

  it("counts the devices affected now, not tickets, after some linked devices stop counting: no false P0 from a device's extra tickets", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    const ids = devices(10);
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    await h.online(ids);
    for (const id of [a, b, c, d]) await h.diagnose(id, { fault: "cloud_outage" });
    // a and b each isolate three more cloud symptoms of the outage: absorbed into its incident
    for (const id of [a, b]) {
      await h.diagnose(id, { fault: "voice_cloud" });
      await h.diagnose(id, { fault: "cloud_latency" });
      await h.diagnose(id, { fault: "cloud_outage", family: "quota" });
    }
    // c and d go offline: their tickets are inhibited, and they no longer count
    await h.offline(c);
    await h.offline(d);
    const [inc] = await h.store.listIncidents();
    expect(await h.store.getIncident(inc!.id)).toMatchObject({ severity: "P1", deviceCount: 4, activeDevices: 2 });
    // e joins: a, b and e are affected, 3 of the 8 devices online (P0 takes 5 devices and half the fleet)
    await h.diagnose(e, { fault: "cloud_outage" });
    expect(await h.store.getIncident(inc!.id)).toMatchObject({ severity: "P1", deviceCount: 5, activeDevices: 3, peakDevices: 4 });
    expect(h.sink.of("trigger").map((n) => n.incident.severity)).toEqual(["P2", "P1"]);
  });

  it("pages nobody for a cloud ticket that recovered while inhibited (its device's network fault) or silenced", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a", "dev-b", "dev-c"]);
    await h.diagnose("dev-a", { fault: "network", family: "network" });
    await h.diagnose("dev-a", { fault: "cloud_latency" });
    expect((await h.store.listTickets({ deviceId: "dev-a", fault: "cloud_latency" }))[0]!.suppressedBy).toBe("local_network");
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a");
    await h.scheduler.advance(10 * MIN);
    // a silence ends over a ticket that recovered during it
    const now = h.scheduler.now();
    await h.engine.silences.create({ matchers: { device_id: "dev-b" }, startsAt: now, endsAt: now + 30 * MIN, comment: "repair visit", createdBy: "bob" });
    await h.diagnose("dev-b", { fault: "voice_capture" });
    await h.scheduler.advance(10 * MIN);
    await h.diagnose("dev-b");
    await h.scheduler.advance(21 * MIN);
    expect(h.sink.of("trigger").map((n) => n.incident.fault)).toEqual(["network"]);
    // both resolve quietly once verified
    await h.diagnose("dev-a", { trigger: "verification" });
    await h.diagnose("dev-b", { trigger: "verification" });
    expect((await h.store.listTickets({ statuses: ["resolved"] })).map((t) => t.fault).sort()).toEqual(["cloud_latency", "network", "voice_capture"]);
    expect(h.sink.of("trigger").map((n) => n.incident.fault)).toEqual(["network"]);
  });

  it("with a pending period, a network ticket opening inhibits its device's cloud tickets, pending or already open", async () => {
    // no group wait: a ticket attached before its device's network ticket opened would page at once
    h = await engineHarness({ group_wait_ms: 0, pending_ms: 2 * MIN });
    await h.online(["dev-a", "dev-b"]);
    // both pending together: opened in one pass, the network one first
    await h.diagnose("dev-a", { fault: "network", family: "network" });
    await h.diagnose("dev-a", { fault: "cloud_latency" });
    // dev-b's cloud ticket opened earlier, its network ticket later
    await h.diagnose("dev-b", { fault: "voice_cloud" });
    await h.scheduler.advance(3 * MIN);
    await h.diagnose("dev-b", { fault: "network", family: "network" });
    await h.scheduler.advance(3 * MIN);
    expect((await h.store.listTickets({ deviceId: "dev-a", fault: "cloud_latency" }))[0]).toMatchObject({ status: "open", suppressedBy: "local_network" });
    expect((await h.store.listTickets({ deviceId: "dev-b", fault: "voice_cloud" }))[0]).toMatchObject({ status: "open", suppressedBy: "local_network" });
    // dev-a's cloud ticket never paged (dev-b's paged once it opened, before its network fault was known)
    expect(h.sink.of("trigger").filter((n) => n.incident.fault === "cloud_latency")).toEqual([]);
  });

  it("a fault recurring during a silence leaves its resolved incident resolved and pages nobody; it pages once the silence ends", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 0 });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.diagnose("dev-a");
    const [inc] = await h.store.listIncidents();
    expect(inc!.status).toBe("resolved");
    await h.scheduler.advance(10 * MIN);
    const now = h.scheduler.now();
    await h.engine.silences.create({ matchers: { device_id: "dev-a" }, startsAt: now, endsAt: now + 60 * MIN, comment: "repair visit", createdBy: "bob" });
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.scheduler.advance(MIN);
    expect((await h.store.listTickets())[0]).toMatchObject({ status: "open", suppressedBy: `silence:${(await h.store.listSilences())[0]!.id}`, incidentId: null });
    expect((await h.store.getIncident(inc!.id))!.status).toBe("resolved");
    expect(h.sink.sent.map((n) => n.action)).toEqual(["trigger", "resolve"]);
    // still faulty when the silence ends: its incident reopens (within the reopen window) and pages
    await h.scheduler.advance(60 * MIN);
    expect((await h.store.getIncident(inc!.id))!.status).toBe("open");
    expect(h.sink.sent.map((n) => n.action)).toEqual(["trigger", "resolve", "trigger"]);
  });

  it("a ticket reopening into an incident someone acknowledged is acknowledged with it", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 0 });
    await h.online(["dev-a", "dev-b", "dev-c"]);
    await h.diagnose("dev-a", { fault: "cloud_outage" });
    await h.diagnose("dev-b", { fault: "cloud_outage" });
    const [inc] = await h.store.listIncidents();
    await h.api.acknowledgeIncident(inc!.id, "alice");
    await h.diagnose("dev-a");
    await h.scheduler.advance(10 * MIN);
    await h.diagnose("dev-a", { fault: "cloud_outage" });
    expect((await h.store.listTickets({ deviceId: "dev-a" }))[0]).toMatchObject({ status: "acknowledged", incidentId: inc!.id });
  });

  it("a ticket reopened after a firmware upgrade carries the new firmware and joins that firmware's incident (group_by firmware)", async () => {
    h = await engineHarness({ group_wait_ms: 0, hold_down_ms: 0, group_by: ["firmware"] });
    await h.online(["dev-a"], { firmware_version: "fw-1" });
    await h.diagnose("dev-a", { fault: "voice_capture", firmware: "fw-1" });
    await h.diagnose("dev-a", { firmware: "fw-1" });
    await h.scheduler.advance(30 * MIN);
    await h.online(["dev-a"], { firmware_version: "fw-2" });
    await h.diagnose("dev-a", { fault: "voice_capture", firmware: "fw-2" });
    const [t] = await h.store.listTickets({ deviceId: "dev-a" });
    expect(t!.reopenCount).toBe(1);
    expect(t!.labels.firmware).toBe("fw-2");
    expect((await h.store.getIncident(t!.incidentId!))!.groupLabels).toEqual({ firmware: "fw-2" });
    expect((await h.store.listIncidents()).map((i) => [i.groupLabels.firmware, i.status])).toEqual([["fw-2", "open"], ["fw-1", "resolved"]]);
  });

  it("a person resolving a pending ticket while the periodic pass opens it resolves what the pass made of it: no incident is left open without members", async () => {
    h = await engineHarness({ group_wait_ms: 0, pending_ms: 2 * MIN, evaluate_interval_ms: HOUR });
    await h.online(["dev-a"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.scheduler.advance(3 * MIN);
    const [t] = await h.store.listTickets();
    expect(t!.status).toBe("pending");
    await Promise.all([h.engine.evaluate(), h.api.resolve(t!.id, "alice", "fixed")]);
    expect((await h.store.getTicket(t!.id))!.status).toBe("resolved");
    expect((await h.store.listIncidents()).map((i) => i.status)).toEqual(["resolved"]);
  });

  it("asks for a verification again after a flap", async () => {
    h = await recoveredAndAsked();
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.diagnose("dev-a");
    await h.scheduler.advance(6 * MIN);
    expect(h.verifications).toEqual(["dev-a", "dev-a"]);
  });

  it("an SLA deadline passing while the incident is muted escalates once the mute ends", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a", "dev-b"]);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    const now = h.scheduler.now();
    await h.engine.silences.create({ matchers: { device_id: "dev-a" }, startsAt: now + 60 * MIN, endsAt: now + 3 * HOUR, comment: "engineer on site", createdBy: "bob" });
    await h.scheduler.advance(2.5 * HOUR);
    expect(h.sink.of("escalate")).toHaveLength(0);
    expect((await h.store.listIncidents())[0]!.escalations).toEqual([]);
    await h.scheduler.advance(HOUR);
    expect(h.sink.of("escalate").map((n) => n.reason)).toEqual([expect.stringMatching(/^respond time of P2 exceeded/)]);
  });
});

describe("a periodic pass or a person's action cut short", () => {
  it("a store failure while the pass attaches the tickets it opened: the next pass attaches the rest, and the fleet keeps running", async () => {
    h = await engineHarness({ group_wait_ms: 0, pending_ms: 2 * MIN });
    await h.online(["dev-a", "dev-b", "dev-c"]);
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    await h.diagnose("dev-b", { fault: "voice_capture" });
    await h.diagnose("dev-c", { fault: "device_resources" });
    const store = h.store;
    const insert = store.insertIncident.bind(store);
    let failures = 1;
    store.insertIncident = async (i) => {
      if (failures-- > 0) throw Object.assign(new Error("Connection terminated unexpectedly"), { code: "ECONNRESET" });
      return insert(i);
    };
    await h.scheduler.advance(3 * MIN);
    await h.scheduler.advance(MIN);
    expect((await h.store.listTickets()).map((t) => [t.deviceId, t.status, t.incidentId !== null]).sort()).toEqual([
      ["dev-a", "open", true],
      ["dev-b", "open", true],
      ["dev-c", "open", true],
    ]);
    // one incident per fault, each paged (voice_capture once more as its second device raised it to P1)
    expect((await h.store.listIncidents()).map((i) => i.fault).sort()).toEqual(["device_resources", "voice_capture"]);
    expect(h.sink.of("trigger").map((n) => n.reason).sort()).toEqual(["1 device(s) affected", "1 device(s) affected", "severity raised to P1: 2 device(s) affected"]);
  });

  it("asks for a verification again when a ticket a person resolved reopens and recovers", async () => {
    h = await recoveredAndAsked();
    const [t] = await h.store.listTickets();
    expect(await h.api.resolve(t!.id, "alice", "replaced mic")).not.toBeNull();
    await h.scheduler.advance(MIN);
    await h.diagnose("dev-a", { fault: "voice_capture" });
    expect((await h.store.listTickets()).map((x) => [x.id, x.status, x.reopenCount])).toEqual([[t!.id, "open", 1]]);
    await h.diagnose("dev-a");
    await h.scheduler.advance(6 * MIN);
    expect(h.verifications).toEqual(["dev-a", "dev-a"]);
  });
});
