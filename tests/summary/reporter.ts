import type { Reporter, TestModule } from "vitest/node";
import "./figure.ts";

/**
 * The reliability and security scenarios of issue #10, by the test files that prove them. Their results
 * (and the figure each test measured, see figure.ts) are printed as one table at the end of a run;
 * docs/reliability.md keeps the same table with the figures of a reference run.
 */
const SCENARIO_FILES: readonly (readonly [prefix: string, area: string])[] = [
  ["tests/fault/", "fault"],
  ["tests/reliability/", "fault"],
  ["agent/spool/spool.test.ts", "fault"],
  ["broker/notify/webhooks.test.ts", "fault"],
  ["tests/hostile/", "hostile"],
  ["tests/cli/config-errors.test.ts", "hostile"],
  ["tests/security/", "security"],
  ["broker/mqtt/security.test.ts", "security"],
  ["tests/api/roles.test.ts", "security"],
];

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Prints a compact table (area, file, scenario, result, duration, figure) of the scenario tests that ran.
 * Registered before vitest's default reporter so that vitest's own summary stays the last thing printed.
 */
export default class ReliabilitySummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: string[][] = [];
    for (const m of testModules) {
      const file = m.relativeModuleId;
      const area = SCENARIO_FILES.find(([prefix]) => file.startsWith(prefix))?.[1];
      if (!area) continue;
      const name = file.replace(/\.test\.ts$/, "");
      // a test with a figure, or a failure, gets its own row; the rest of a file share one
      const rest = { n: 0, passed: 0, ms: 0 };
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        const ms = t.diagnostic()?.duration ?? 0;
        const fig = t.meta().figure;
        if (fig || state === "failed") rows.push([area, name, clip(t.name, 60), state === "passed" ? "pass" : "FAIL", `${(ms / 1000).toFixed(1)} s`, fig ?? ""]);
        else {
          rest.n++;
          rest.ms += ms;
          if (state === "passed") rest.passed++;
        }
      }
      if (rest.n) rows.push([area, name, `${rest.n} test(s)`, rest.passed === rest.n ? "pass" : `${rest.passed}/${rest.n}`, `${(rest.ms / 1000).toFixed(1)} s`, ""]);
    }
    if (!rows.length) return;
    const head = ["area", "file", "scenario", "result", "time", "figure"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 5 ? 0 : r[i]!.length))));
    const line = (cells: string[]) => cells.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
    const failed = rows.filter((r) => r[3] !== "pass").length;
    const out = [
      "",
      ` Reliability and security scenarios (issue #10; docs/reliability.md): ${failed ? `${failed} row(s) failing` : "all passed"}`,
      "",
      line(head),
      line(widths.map((w) => "-".repeat(w))),
      ...rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!)).map(line),
      "",
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  }
}
