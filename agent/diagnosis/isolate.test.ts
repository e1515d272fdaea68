import { describe, expect, it } from "vitest";
import { FAULT_CLASSES, type FaultClass } from "../../shared/faults.ts";
import { Verdict } from "../../shared/schemas/diagnosis.ts";
import { isolate, type IsolationInput } from "./isolate.ts";
import { audio, failed, network, run, statusPage, system } from "./testdata/samples.ts";

const healthy: IsolationInput = {
  audio: audio(), network: network(), system: system(),
  voice: run("voice"), text: run("text"), status: statusPage("none"),
  budget: { firstMs: 1500, totalMs: 6000 },
};

/** One row per fault class, then one per ambiguous combination (issue #4 "test it as a table"). */
const rows: { name: string; input: Partial<IsolationInput>; fault: FaultClass; code?: string }[] = [
  { name: "all healthy", input: {}, fault: "none" },
  { name: "text ok + canned audio ok + live capture silent", input: { audio: audio("silent", "RMS -90 dBFS") }, fault: "voice_capture" },
  { name: "text ok + canned audio ok + microphone missing", input: { audio: audio("absent", "hw:1,0 not present") }, fault: "voice_capture" },
  { name: "text ok + canned audio fails", input: { voice: failed("voice", "ws_close_1011") }, fault: "voice_cloud" },
  { name: "text ok + canned audio transcript empty", input: { voice: run("voice", { transcript: "", transcript_ok: false }) }, fault: "voice_cloud" },
  { name: "text ok + canned audio transcript wrong", input: { voice: run("voice", { transcript: "the leather tray", transcript_ok: false }) }, fault: "voice_cloud" },
  { name: "both fail + DNS failure", input: { network: network("dns_failure"), voice: failed("voice", "ENOTFOUND"), text: failed("text", "ENOTFOUND") }, fault: "network", code: "ENOTFOUND" },
  { name: "both fail + gateway unreachable", input: { network: network("no_route"), voice: failed("voice", "probe_timeout", "timeout"), text: failed("text", "probe_timeout", "timeout") }, fault: "network" },
  { name: "both fail + network good + 5xx", input: { voice: failed("voice", "http_503"), text: failed("text", "http_503") }, fault: "cloud_outage", code: "http_503" },
  { name: "both fail + network good + 104xx", input: { voice: failed("voice", "10401"), text: failed("text", "10401") }, fault: "cloud_outage", code: "10401" },
  { name: "both fail + status page major", input: { status: statusPage("major"), voice: failed("voice", "probe_timeout", "timeout"), text: failed("text", "probe_timeout", "timeout") }, fault: "cloud_outage" },
  { name: "both time out + network good (hung cloud)", input: { voice: failed("voice", "probe_timeout", "timeout"), text: failed("text", "probe_timeout", "timeout") }, fault: "cloud_outage" },
  { name: "101xx", input: { voice: failed("voice", "10102"), text: failed("text", "10102") }, fault: "auth", code: "10102" },
  { name: "HTTP 401 on the handshake", input: { voice: failed("voice", "ws_handshake_401"), text: failed("text", "ws_handshake_401") }, fault: "auth" },
  { name: "102xx", input: { voice: failed("voice", "10203"), text: failed("text", "10203") }, fault: "request" },
  { name: "HTTP 400", input: { voice: failed("voice", "http_400"), text: failed("text", "http_400") }, fault: "request" },
  { name: "103xx", input: { voice: failed("voice", "10301"), text: failed("text", "10301") }, fault: "quota" },
  { name: "HTTP 429", input: { voice: failed("voice", "http_429"), text: failed("text", "http_429") }, fault: "quota" },
  { name: "both ok but slow, network RTT fine", input: { text: run("text", { first_text_ms: 2500, total_ms: 4000 }), voice: run("voice", { first_audio_ms: 2600, total_ms: 4200 }) }, fault: "cloud_latency" },
  { name: "slow only by reaching the service (DNS and connect), network RTT fine", input: { text: run("text", { connect_ms: 1900, request_sent_ms: 1950, first_text_ms: 2500, total_ms: 4000 }) }, fault: "network" },
  { name: "slow only by reaching the service, local network not measured", input: { network: null, text: run("text", { connect_ms: 1900, request_sent_ms: 1950, first_text_ms: 2500, total_ms: 4000 }) }, fault: "network" },
  { name: "slow, the cloud's share after the request over budget too", input: { text: run("text", { request_sent_ms: 300, first_text_ms: 2500, total_ms: 4000 }) }, fault: "cloud_latency" },
  // the WebSocket upgrade and session set-up come before the request and are the cloud's work: not the network's
  { name: "slow before the request but connected at once (the cloud slow to accept the session)", input: { voice: run("voice", { connect_ms: 5, request_sent_ms: 1711, first_audio_ms: 1813, first_text_ms: 1820, total_ms: 2500 }) }, fault: "cloud_latency" },
  { name: "text slow to connect, voice slow in the cloud → the cloud", input: { text: run("text", { connect_ms: 1900, request_sent_ms: 1950, first_text_ms: 2500, total_ms: 4000 }), voice: run("voice", { request_sent_ms: 200, first_audio_ms: 3500, first_text_ms: 3510, total_ms: 4200 }) }, fault: "cloud_latency" },
  { name: "answer fails the check", input: { text: run("text", { answer: "Bananas are yellow.", answer_ok: false }) }, fault: "cloud_content" },
  { name: "memory exhausted, probes fine", input: { system: system("memory_low") }, fault: "device_resources" },
  { name: "no evidence at all, both fail", input: { network: null, voice: failed("voice", "probe_timeout", "timeout"), text: failed("text", "probe_timeout", "timeout") }, fault: "unknown" },
  // ambiguous combinations: the row says which evidence wins and why (docs/diagnosis.md)
  { name: "slow + network high latency → network, not the cloud", input: { network: network("high_latency", 400), text: run("text", { first_text_ms: 2500 }) }, fault: "network" },
  { name: "slow + CPU pegged → device resources explain it", input: { system: system("cpu_high"), text: run("text", { first_text_ms: 2500 }) }, fault: "device_resources" },
  { name: "capture xruns + CPU pegged → device resources", input: { audio: audio("xrun"), system: system("cpu_high") }, fault: "device_resources" },
  { name: "capture silent + CPU pegged → voice capture (hardware)", input: { audio: audio("silent"), system: system("cpu_high") }, fault: "voice_capture" },
  { name: "both fail + network down + CPU pegged → network (direct evidence)", input: { network: network("link_down"), system: system("cpu_high"), voice: failed("voice", "ECONNRESET"), text: failed("text", "ECONNRESET") }, fault: "network" },
  { name: "both fail + network jitter + CPU pegged → device resources", input: { network: network("high_jitter"), system: system("cpu_high"), voice: failed("voice", "probe_timeout", "timeout"), text: failed("text", "probe_timeout", "timeout") }, fault: "device_resources" },
  { name: "both fail + network bad + status page major → cloud outage (vendor's word)", input: { status: statusPage("critical"), network: network("high_loss"), voice: failed("voice", "ECONNRESET"), text: failed("text", "ECONNRESET") }, fault: "cloud_outage" },
  { name: "auth code + network bad → auth (the cloud answered)", input: { network: network("high_loss"), voice: failed("voice", "http_401"), text: failed("text", "http_401") }, fault: "auth" },
  { name: "voice 429, text ok → quota wins over voice_cloud", input: { voice: failed("voice", "http_429") }, fault: "quota" },
  { name: "text ok + voice fails + status major → voice cloud", input: { status: statusPage("major"), voice: failed("voice", "ws_close_1011") }, fault: "voice_cloud" },
  { name: "live capture bad + wrong answer → voice capture (core impact first)", input: { audio: audio("dead_channel"), text: run("text", { answer: "Bananas.", answer_ok: false }) }, fault: "voice_capture" },
  { name: "wrong answer + slow → content first", input: { text: run("text", { answer: "Bananas.", answer_ok: false, first_text_ms: 3000 }) }, fault: "cloud_content" },
  { name: "voice misheard + wrong answer → voice cloud (the answer follows the mishearing)", input: { voice: run("voice", { transcript: "leather", transcript_ok: false, answer_ok: false }) }, fault: "voice_cloud" },
  { name: "voice ok + text fails with 5xx → cloud outage on the text path", input: { text: failed("text", "http_500") }, fault: "cloud_outage" },
  { name: "vendor 100xx with good network → network (the vendor names it)", input: { voice: failed("voice", "10003"), text: failed("text", "10003") }, fault: "network" },
  { name: "status page minor, all ok → healthy with a warning", input: { status: statusPage("minor") }, fault: "none" },
  { name: "probes not run (budget), capture fine → healthy", input: { voice: null, text: null }, fault: "none" },
];

describe("isolate (table)", () => {
  it.each(rows)("$name → $fault", ({ input, fault, code }) => {
    const { verdict, steps } = isolate({ ...healthy, ...input });
    expect(verdict.fault).toBe(fault);
    expect(Verdict.safeParse(verdict).success).toBe(true);
    expect(steps.at(-1)?.name).toBe("verdict");
    if (code) expect(verdict.error_code?.code).toBe(code);
    if (fault !== "none") expect(verdict.actions.length).toBeGreaterThan(0);
  });

  it("covers every shared fault class", () => {
    const covered = new Set(rows.map((r) => r.fault));
    expect(FAULT_CLASSES.filter((f) => !covered.has(f))).toEqual([]);
  });

  it("cites the failing probe's evidence and the taxonomy's action", () => {
    const { verdict } = isolate({ ...healthy, voice: failed("voice", "10302"), text: failed("text", "10302") });
    expect(verdict.evidence.find((e) => e.check === "text_probe")?.status).toBe("fail");
    expect(verdict.actions.some((a) => a.startsWith("10302:"))).toBe(true);
  });

  it("splits a probe's time into the device's side and the cloud's response after the request was sent", () => {
    const { verdict } = isolate({ ...healthy, text: run("text", { request_sent_ms: 120, first_text_ms: 200 }) });
    const text = verdict.evidence.find((e) => e.check === "text_probe")!;
    expect(text.detail).toContain("first response 200 ms, 80 ms of it after the request was sent");
    expect(text.figures).toMatchObject({ request_sent_ms: 120, first_ms: 200 });
    // an older agent's run, without the request's end: no split is claimed
    const old = isolate(healthy).verdict.evidence.find((e) => e.check === "voice_probe")!;
    expect(old.detail).not.toContain("after the request");
    expect(old.figures?.request_sent_ms).toBeNull();
  });
});
