import type { SamplerRunner } from "../samplers/index.ts";
import type { SampleSource, Samples } from "./agent.ts";

/**
 * Telemetry carries the latest result of each sampler, which runs on its own cadence. A sampler that
 * has not run yet (start jitter) is run once on the spot for the first report, so a freshly started
 * agent shows its device resources at once.
 */
export function runnerSampleSource(runner: SamplerRunner): SampleSource {
  let primed = false;
  return {
    async collect() {
      if (!primed) {
        primed = true;
        if (runner.names.includes("system") && !("system" in runner.latest())) await runner.runOnce(["system"]);
      }
      return { samples: runner.latest() as Samples, samplers: runner.health() };
    },
  };
}
