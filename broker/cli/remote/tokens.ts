import { parseArgs } from "node:util";
import { ConfigError } from "../../../shared/index.ts";
import { Role } from "../../http/auth/roles.ts";
import { tokenStoreFor } from "../../http/auth/tokens.ts";
import type { FleetConfig } from "../../config/schema.ts";
import { createStore } from "../../store/index.ts";

/**
 * `edge-fleet tokens create|list|revoke` on the fleet's own store: how the first admin token is made
 * (the bootstrap for every remote command and the dashboard). The secret is printed once.
 */
export async function tokensCommand(config: FleetConfig, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { config: { type: "string" }, role: { type: "string" }, name: { type: "string" }, json: { type: "boolean" }, debug: { type: "boolean" } } });
  const [, sub, id] = positionals;
  const store = createStore(config.store);
  await store.open();
  try {
    const tokens = tokenStoreFor(store);
    switch (sub) {
      case "create": {
        const role = Role.safeParse(values.role ?? "viewer");
        if (!role.success) throw new ConfigError(`--role must be viewer, technician or admin, not '${values.role}'`, []);
        const { token, secret } = await tokens.create({ name: values.name ?? `${role.data}-token`, role: role.data });
        if (values.json) console.log(JSON.stringify({ ...token, secret }, null, 2));
        else {
          console.log(secret);
          console.error(`token ${token.id} (${token.role}) created; store it now: the fleet keeps only its hash`);
        }
        return 0;
      }
      case "list": {
        const list = await tokens.list();
        if (values.json) console.log(JSON.stringify(list, null, 2));
        else for (const t of list) console.log(`${t.id}\t${t.role}\t${t.name}\t${t.revokedAt ? "revoked" : "active"}\t${t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : "never used"}`);
        return 0;
      }
      case "revoke":
        if (!id) throw new ConfigError("name the token: edge-fleet tokens revoke TOKEN_ID (see edge-fleet tokens list)", []);
        if (!(await tokens.revoke(id))) throw new ConfigError(`no active token ${id}; see edge-fleet tokens list`, []);
        console.log(`token ${id} revoked`);
        return 0;
    }
    throw new ConfigError(`unknown tokens command '${sub ?? ""}'; use create, list or revoke`, []);
  } finally {
    await store.close();
  }
}
