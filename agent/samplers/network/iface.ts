import type { NetworkSample } from "../../../shared/schemas/samples/network.ts";
import type { SystemSource } from "../types.ts";

export type Iface = NonNullable<NetworkSample["interface"]>;

/** RTF_UP in /proc/net/route's Flags column (linux/route.h). */
const RTF_UP = 0x1;

/** The default route from /proc/net/route: interface and gateway (hex, little-endian IPv4). */
export function parseDefaultRoute(text: string): { iface: string; gateway: string | null } | null {
  const rows = text.split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 8);
  // lowest metric wins, as the kernel picks it
  const defaults = rows
    .filter((c) => c[1] === "00000000" && c[7] === "00000000" && (parseInt(c[3]!, 16) & RTF_UP) !== 0)
    .sort((a, b) => Number(a[6]) - Number(b[6]));
  const d = defaults[0];
  if (!d) return null;
  const gw = parseInt(d[2]!, 16);
  const gateway = gw === 0 ? null : [gw & 0xff, (gw >>> 8) & 0xff, (gw >>> 16) & 0xff, (gw >>> 24) & 0xff].join(".");
  return { iface: d[0]!, gateway };
}

/** Error and drop counters of one interface from /proc/net/dev (rx: bytes packets errs drop ...; tx likewise, from column 9). */
export function parseNetDev(text: string, iface: string): { rxErrors: number; rxDropped: number; txErrors: number; txDropped: number } | null {
  for (const line of text.split("\n")) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] !== iface) continue;
    const n = m[2]!.trim().split(/\s+/).map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) return null;
    return { rxErrors: n[2]!, rxDropped: n[3]!, txErrors: n[10]!, txDropped: n[11]! };
  }
  return null;
}

/** Link quality and signal level (dBm) of one interface from /proc/net/wireless; trailing dots are update flags. */
export function parseWireless(text: string, iface: string): { signalDbm: number | null; linkQuality: number | null } | null {
  for (const line of text.split("\n")) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] !== iface) continue;
    const cols = m[2]!.trim().split(/\s+/).map((c) => Number(c.replace(/\.$/, "")));
    const q = cols[1];
    const s = cols[2];
    return {
      linkQuality: q !== undefined && Number.isFinite(q) ? q : null,
      // some drivers report an unsigned byte (e.g. 216 for -40 dBm); convert
      signalDbm: s !== undefined && Number.isFinite(s) ? (s > 63 ? s - 256 : s) : null,
    };
  }
  return null;
}

/** The default-route interface with link state, counters and Wi-Fi figures; null interface when there is no default route. */
export async function readInterface(source: SystemSource): Promise<{ iface: Iface | null; routeReadable: boolean }> {
  const route = await source.readFile("/proc/net/route");
  if (route === null) return { iface: null, routeReadable: false };
  const def = parseDefaultRoute(route);
  if (!def) return { iface: null, routeReadable: true };
  const [oper, carrier, dev, wireless] = await Promise.all([
    source.readFile(`/sys/class/net/${def.iface}/operstate`),
    source.readFile(`/sys/class/net/${def.iface}/carrier`),
    source.readFile("/proc/net/dev"),
    source.readFile("/proc/net/wireless"),
  ]);
  const op = oper?.trim();
  // operstate "unknown" is normal for virtual links (tun, some veth): fall back on carrier
  const link: Iface["link"] = op === "up" ? "up" : op === "down" || op === "lowerlayerdown" ? "down" : carrier?.trim() === "1" ? "up" : carrier?.trim() === "0" ? "down" : "unknown";
  const counters = dev ? parseNetDev(dev, def.iface) : null;
  const wifi = wireless ? parseWireless(wireless, def.iface) : null;
  return {
    routeReadable: true,
    iface: {
      name: def.iface.slice(0, 32),
      gateway: def.gateway,
      link,
      rx_errors: counters?.rxErrors ?? null,
      tx_errors: counters?.txErrors ?? null,
      rx_dropped: counters?.rxDropped ?? null,
      tx_dropped: counters?.txDropped ?? null,
      wifi: wifi ? { signal_dbm: wifi.signalDbm, link_quality: wifi.linkQuality } : null,
    },
  };
}
