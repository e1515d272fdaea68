/**
 * What counts as a secret, for both sides: keys whose values are never logged, stored in tickets,
 * put in bundles or returned by the API. Matching is by key name, case-insensitive.
 */
export const SECRET_KEY_PATTERN = /(pass(word|wd)?|secret|token|api[_-]?key|authorization|cookie|private[_-]?key|credential|bearer|signature|subscription[_-]?key|x-amz-)/i;

export const REDACTED = "[redacted]";

/** Pino redact paths covering the usual places a secret hides in a log object. */
export const PINO_REDACT_PATHS = [
  "password", "secret", "token", "apiKey", "api_key", "authorization",
  "*.password", "*.secret", "*.token", "*.apiKey", "*.api_key", "*.authorization",
  "headers.authorization", "req.headers.authorization", "req.headers.cookie",
  "*.headers.authorization", "*.headers.Authorization",
];

/**
 * What redact() returned (the top-level objects it built): redacting one again without further known secrets
 * changes nothing, so isRedacted() lets such a caller skip it. Nested objects are not marked.
 */
const REDACTED_VALUES = new WeakSet<object>();

/** True for an object redact() returned: a deep copy already masked (its caller must not have mutated it since). */
export function isRedacted(v: unknown): boolean {
  return typeof v === "object" && v !== null && REDACTED_VALUES.has(v);
}

/**
 * A deep copy with every secret-named key's value replaced, and known secret values and the inline forms
 * below masked inside every string, keys included (a key can be free text too: "password=…" as a label).
 */
export function redact<T>(value: T, knownSecrets: readonly string[] = []): T {
  const secrets = longestFirst(knownSecrets);
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return maskSorted(v, secrets);
    if (v === null || typeof v !== "object") return v;
    if (depth > 32 || seen.has(v)) return "[truncated]";
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "__proto__") continue;
      // two keys that mask alike ("password=a", "password=b") become one entry: the later one's
      out[maskSorted(k, secrets)] = SECRET_KEY_PATTERN.test(k) && x !== null && x !== undefined && x !== "" ? REDACTED : walk(x, depth + 1);
    }
    return out;
  };
  const out = walk(value, 0);
  if (typeof out === "object" && out !== null) REDACTED_VALUES.add(out);
  return out as T;
}

/**
 * `token=…`, `password: …`, `api_key=…`, also quoted (`"api_key": "…"`, `password="…"`), inside free text;
 * the value ends at whitespace, `&`, a quote or `,;)\\`.
 */
const INLINE_SECRET = /\b((?:access_|refresh_)?token|secret|pass(?:word|wd)?|api[_-]?key|apikey|credential|subscription[_-]?key|x-amz-signature|x-amz-credential|signature)(["']?\s*[=:]\s*["']?)(?!\[redacted\])[^\s&"',;)\\]+/gi;

/**
 * Every form the patterns below mask contains one of these words: a string without any (most of a report:
 * ids, enums, short texts) is returned as it is, without running each pattern over it (issue #9: masking
 * every string of every diagnosis was ~10 % of the fleet's CPU in a 10,000-device storm).
 */
const MAYBE_SECRET = /bearer|basic|authorization|key|token|secret|pass|credential|signature|[spr]k-/i;

/** Known secrets worth masking (4 characters or more), longest first: a rotated secret that extends the old one ("hunter22" → "hunter22-b") is masked whole. */
function longestFirst(knownSecrets: readonly string[]): string[] {
  return knownSecrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Masks known secret values and `Bearer …`/`key=…` forms inside free text such as logs and error messages. */
export function maskString(s: string, knownSecrets: readonly string[] = []): string {
  return maskSorted(s, longestFirst(knownSecrets));
}

function maskSorted(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  if (!MAYBE_SECRET.test(out)) return out;
  out = out.replace(/\b(Bearer|Basic|Authorization:\s*Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`);
  out = out.replace(/([?&](?:api[_-]?key|key|token|access_token|secret|password)=)[^&\s"']+/gi, `$1${REDACTED}`);
  out = out.replace(/(\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,})/g, REDACTED);
  // vendor error messages and request dumps also write secrets bare: "(token=abc)", "password: x", "api_key=y"
  // (issue #10: these reached bundles, command results and the fleet's API untouched)
  out = out.replace(INLINE_SECRET, `$1$2${REDACTED}`);
  return out;
}
