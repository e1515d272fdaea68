import type { TestContext } from "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** The measured figure of a reliability/security scenario, for the summary table (tests/summary/reporter.ts). */
    figure?: string;
  }
}

/**
 * Records the figure a scenario measured (reports delivered, duplicates, time to detect...) on the test, so
 * the summary reporter prints it beside the result; it is also what docs/reliability.md quotes.
 */
export function figure(ctx: TestContext, text: string): void {
  ctx.task.meta.figure = text;
}
