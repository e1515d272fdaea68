import type { CommandArgs, CommandContext } from "../commands/handler.ts";
import { buildBundle, type BundleSources } from "./builder.ts";
import { deliverOverMqtt, deliverToUrl, type DeliverOptions } from "./deliver.ts";

export interface BundleCommandDeps {
  deviceId: string;
  /** Gathers the sources at the time of the command (config, log ring, recent reports, runtime facts). */
  sources: () => Omit<BundleSources, "now" | "deviceId">;
  send: DeliverOptions["send"];
  now?: () => number;
  /** Used when the command gives no max_bytes. */
  defaultMaxBytes?: number;
}

/** The `bundle` command: build, then deliver in chunks over MQTT or to the command's upload_url. */
export function bundleCommand(d: BundleCommandDeps): (args: CommandArgs<"bundle">, ctx: CommandContext) => Promise<unknown> {
  const now = d.now ?? Date.now;
  return async (args, ctx) => {
    ctx.progress("collect", 0, 1);
    const built = buildBundle({ ...d.sources(), deviceId: d.deviceId, now: now() }, args.max_bytes ?? d.defaultMaxBytes ?? 2 * 1024 * 1024);
    if ("error" in built) throw new Error(built.error);
    ctx.progress("collect", 1, 1, `${built.gzip.length} bytes gzip`);
    const o: DeliverOptions = { id: ctx.id, deviceId: d.deviceId, send: d.send, progress: ctx.progress, now, signal: ctx.signal };
    const out = args.upload_url ? await deliverToUrl(built, args.upload_url, o) : await deliverOverMqtt(built, o);
    return { ...out, trimmed: built.trimmed };
  };
}
