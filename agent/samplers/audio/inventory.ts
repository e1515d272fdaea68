import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import { listProcesses } from "../proc.ts";
import type { SystemSource } from "../types.ts";

export type Inventory = AudioSample["inventory"];
export type Card = Inventory["cards"][number];
export interface PcmDevice {
  card: number;
  device: number;
  name: string;
  playback: boolean;
  capture: boolean;
}

/** Parses /proc/asound/cards: ` 0 [PCH            ]: HDA-Intel - HDA Intel PCH` lines (the indented lines are long names). */
export function parseCards(text: string): Card[] {
  const out: Card[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+\[([^\]]*)\]:\s*(.*)$/.exec(line);
    if (m) out.push({ index: Number(m[1]), id: m[2]!.trim().slice(0, 64), name: m[3]!.trim().slice(0, 200) });
  }
  return out;
}

/** Parses /proc/asound/pcm: `00-01: ALC3232 Analog : ALC3232 Analog : playback 1 : capture 1`. */
export function parsePcm(text: string): PcmDevice[] {
  const out: PcmDevice[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+)-(\d+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const parts = m[3]!.split(" : ").map((p) => p.trim());
    out.push({
      card: Number(m[1]),
      device: Number(m[2]),
      name: (parts[0] ?? "").slice(0, 200),
      playback: parts.some((p) => /^playback\s+\d+/.test(p)),
      capture: parts.some((p) => /^capture\s+\d+/.test(p)),
    });
  }
  return out;
}

/**
 * Resolves an ALSA device string to card/device: `hw:1,0`, `plughw:1,0`, `hw:CARD=Array,DEV=0`, `hw:Array`.
 * Returns null for names ALSA resolves through its config (`default`, `pipewire`, `pulse`): we cannot check those.
 */
export function resolveAlsaDevice(spec: string, cards: readonly Card[]): { card: number | null; device: number } | null {
  const m = /^(?:plug)?hw:(.*)$/.exec(spec.trim());
  if (!m) return null;
  const args = m[1]!.split(",").map((a) => a.trim());
  let cardArg = args[0] ?? "";
  let devArg = args[1] ?? "0";
  for (const a of args) {
    const kv = /^(CARD|DEV)=(.*)$/i.exec(a);
    if (kv && kv[1]!.toUpperCase() === "CARD") cardArg = kv[2]!;
    if (kv && kv[1]!.toUpperCase() === "DEV") devArg = kv[2]!;
  }
  const device = Number(devArg);
  const card = /^\d+$/.test(cardArg) ? Number(cardArg) : (cards.find((c) => c.id === cardArg)?.index ?? null);
  return { card, device: Number.isInteger(device) ? device : 0 };
}

/** Detects the sound server from the process list: PipeWire (incl. pipewire-pulse) wins over PulseAudio. */
export async function detectSoundServer(source: SystemSource): Promise<Inventory["sound_server"]> {
  const procs = await listProcesses(source);
  if (!procs) return "unknown";
  const names = new Set(procs.flatMap((p) => [p.comm, p.exe]));
  if (names.has("pipewire") || names.has("pipewire-pulse")) return "pipewire";
  if (names.has("pulseaudio")) return "pulseaudio";
  return "none";
}

/** The ALSA inventory and whether the configured capture device exists; `reason` says why when absent. */
export async function readInventory(
  source: SystemSource,
  configured: string | null,
): Promise<{ inventory: Inventory; pcms: PcmDevice[]; absentReason: string | null }> {
  const [cardsText, pcmText, soundServer] = await Promise.all([
    source.readFile("/proc/asound/cards"),
    source.readFile("/proc/asound/pcm"),
    detectSoundServer(source),
  ]);
  const cards = cardsText ? parseCards(cardsText).slice(0, 32) : [];
  const pcms = pcmText ? parsePcm(pcmText) : [];
  const capture = pcms.filter((p) => p.capture).slice(0, 64).map((p) => ({ card: p.card, device: p.device, name: p.name }));
  let configuredPresent: boolean | null = null;
  if (configured) {
    const r = resolveAlsaDevice(configured, cards);
    if (r) configuredPresent = r.card !== null && capture.some((c) => c.card === r.card && c.device === r.device);
  }
  const inventory: Inventory = {
    cards,
    capture_devices: capture,
    configured_device: configured ? configured.slice(0, 128) : null,
    configured_present: configuredPresent,
    sound_server: soundServer,
  };
  let absentReason: string | null = null;
  if (cardsText === null) absentReason = "no ALSA sound card: /proc/asound/cards does not exist (no sound driver loaded)";
  else if (cards.length === 0) absentReason = "no ALSA sound card: /proc/asound/cards lists none";
  else if (configuredPresent === false) {
    const have = capture.map((c) => `hw:${c.card},${c.device}`).join(", ") || "none";
    absentReason = `configured capture device ${configured} not found (capture devices: ${have})`;
  } else if (capture.length === 0) absentReason = `no capture device on ${cards.length} card(s): nothing can record`;
  return { inventory, pcms, absentReason };
}
