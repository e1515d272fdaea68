/** Wire protocol version carried in every message (`v`) and in every topic (`edge/v1/...`). */
export const SCHEMA_VERSION = 1 as const;

/** Root of the topic namespace; bump together with SCHEMA_VERSION on a breaking change. */
export const TOPIC_ROOT = `edge/v${SCHEMA_VERSION}` as const;
