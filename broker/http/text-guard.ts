/**
 * Text a store cannot keep: U+0000, which PostgreSQL refuses in `text` and `jsonb`, and half of a
 * surrogate pair (an emoji cut in two), which `jsonb` refuses. A device report is repaired on the way
 * in (shared/messages.ts); an operator's request is refused instead, in one sentence that names the
 * field, so that SQLite and PostgreSQL fleets answer alike and nothing half-stored reaches a ticket.
 */
export function unstorableText(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === "string") {
    if (value.includes("\0")) return `${path} contains a NUL character (U+0000)`;
    if (!value.isWellFormed()) return `${path} contains half of a surrogate pair (a character cut in two)`;
    return null;
  }
  // request bodies are bounded (bodyLimit); the depth bound only stops a pathological nesting early
  if (value === null || typeof value !== "object" || depth > 32) return null;
  for (const [key, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    const bad = unstorableText(key, `a key in ${path}`, depth + 1) ?? unstorableText(v, at, depth + 1);
    if (bad) return bad;
  }
  return null;
}
