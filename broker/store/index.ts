import type { FleetConfig } from "../config/schema.ts";
import { SqliteStore } from "./sqlite/store.ts";
import type { FleetStore } from "./types.ts";

export type * from "./types.ts";

/** The store the configuration names; PostgreSQL comes with the scaling work. */
export function createStore(cfg: FleetConfig["store"]): FleetStore {
  if (cfg.driver === "sqlite") return new SqliteStore(cfg.path);
  throw new Error("the postgres store is not available in this build; set store.driver to sqlite");
}
