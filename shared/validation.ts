import type { z } from "zod";

/** Formats every zod issue as `path: message`, one per entry (STYLE.md practice 5). */
export function formatIssues(error: z.ZodError, root = ""): string[] {
  return error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join(".");
    return `${path || "(root)"}: ${issue.message}`;
  });
}
