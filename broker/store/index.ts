import type { FleetConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { PostgresStore } from "./postgres/store.ts";
import { SqliteStore } from "./sqlite/store.ts";
import { batchPerTick } from "./tick-batch.ts";
import type { FleetStore } from "./types.ts";

export type * from "./types.ts";

/** The store the configuration names: SQLite for one process, PostgreSQL for several replicas. */
export function createStore(cfg: FleetConfig["store"], log?: Logger): FleetStore {
  // one transaction per event-loop turn: 4× the ingest rate of one autocommit per statement (bench/ingest.ts)
  if (cfg.driver === "sqlite") return batchPerTick(new SqliteStore(cfg.path));
  return new PostgresStore({
    url: cfg.url,
    ...(cfg.schema ? { schema: cfg.schema } : {}),
    poolSize: cfg.pool_size,
    retryMs: cfg.retry_ms,
    maxWaiting: cfg.max_waiting,
    connectTimeoutMs: cfg.connect_timeout_ms,
    queryTimeoutMs: cfg.query_timeout_ms,
    ...(log ? { log } : {}),
  });
}
