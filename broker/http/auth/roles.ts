import { z } from "zod";

/** API roles, each including the ones before it: viewer reads, technician acts on devices and tickets, admin administers. */
export const ROLES = ["viewer", "technician", "admin"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** What a route requires: a role, or `public` (health probes, the dashboard's static files). */
export type Access = Role | "public";

/** True when `have` includes the rights of `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who made a request: the token's id and role (the secret itself never leaves the auth hook). */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}
