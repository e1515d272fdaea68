import type { ProbeRun } from "../../../shared/schemas/probes.ts";
import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import type { NetworkSample } from "../../../shared/schemas/samples/network.ts";
import type { SystemSample } from "../../../shared/schemas/samples/system.ts";

/** Test fixtures: schema-valid samples and probe runs with one knob each. */
export function audio(verdict: AudioSample["verdict"] = "ok", reason = "capture healthy"): AudioSample {
  return {
    result: "ok", verdict, reason,
    inventory: { cards: [{ index: 0, id: "mic", name: "USB mic" }], capture_devices: [{ card: 0, device: 0, name: "USB mic" }], configured_device: "hw:0,0", configured_present: verdict !== "absent", sound_server: "none" },
    streams: [], xruns_total: verdict === "xrun" ? 42 : 0, pipewire_errors: null, signal: null, loopback: null,
  };
}

export function network(verdict: NetworkSample["verdict"] = "ok", rttMs = 20): NetworkSample {
  return {
    result: "ok", verdict, reason: verdict === "ok" ? "gateway, DNS and targets fine" : `injected ${verdict}`,
    interface: { name: "wlan0", gateway: "192.168.1.1", link: verdict === "link_down" ? "down" : "up", rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0, wifi: null },
    dns: [], targets: [],
    icmp: { host: "192.168.1.1", result: "ok", rtt_median_ms: rttMs, loss_pct: verdict === "high_loss" ? 30 : 0, jitter_ms: 2 },
    voice: { r_factor: 90, mos: 4.3, rpm: null },
  };
}

export function system(verdict: SystemSample["verdict"] = "ok"): SystemSample {
  return {
    result: "ok", verdict, reason: verdict === "ok" ? "resources fine" : `injected ${verdict}`,
    cpu_load_pct: verdict === "cpu_high" ? 99 : 20, load_avg_1m: 0.5, cpu_count: 4, memory_used_mb: 300, memory_total_mb: 1024,
    disk_path: "/", disk_free_mb: 2000, disk_total_mb: 8000, temperature_c: 50, uptime_s: 1000, app: null,
  };
}

export function run(probe: "voice" | "text", over: Partial<ProbeRun> = {}): ProbeRun {
  const ok = over.result === undefined || over.result === "ok";
  return {
    probe, adapter: "realtime", result: "ok", started_at: 1_800_000_000_000,
    dns_ms: null, connect_ms: 3, tls_ms: null, first_text_ms: 200, first_audio_ms: probe === "voice" ? 180 : null, total_ms: 600,
    bytes_sent: 1000, bytes_received: 2000,
    transcript: probe === "voice" && ok ? "what is the weather today" : null, transcript_ok: probe === "voice" && ok ? true : null,
    answer: ok ? "Sunny, 22 degrees." : null, answer_ok: ok ? true : null, request_id: "req_1", error: null,
    ...over,
  };
}

export function failed(probe: "voice" | "text", code: string, result: ProbeRun["result"] = "error", message = `injected ${code}`): ProbeRun {
  return run(probe, { result, error: { code, family: null, message, http_status: null, type: null }, first_text_ms: null, first_audio_ms: null });
}

export function statusPage(indicator: NonNullable<ProbeRun["status_indicator"]> = "none"): ProbeRun {
  return { ...run("text"), probe: "status_page", adapter: "statuspage", status_indicator: indicator, answer: indicator, answer_ok: null, transcript: null, transcript_ok: null, degraded_components: [] };
}
