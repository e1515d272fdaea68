import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{agent,broker,shared,sim,tests,deploy,scripts}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "tests/soak/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // 2 cores: more workers only add contention for the loopback servers the tests start
    maxWorkers: 2,
    // the reliability/security summary table (issue #10) first, so vitest's own summary stays the last lines printed
    reporters: ["./tests/summary/reporter.ts", "default"],
  },
});
