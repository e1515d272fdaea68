import { generateSecret, hashSecret } from "../../auth/secrets.ts";
import type { Handlers } from "../api/register.ts";
import { httpError, notFound } from "../errors.ts";
import type { RouteDeps } from "./deps.ts";

type DeviceOps = "listDevices" | "provisionDevice" | "getDevice" | "revokeDevice" | "deviceHistory" | "deviceDiagnoses";

/** The device registry over HTTP: list/filter, detail, history and diagnoses; provisioning for admins. */
export function deviceHandlers(d: RouteDeps): Pick<Handlers, DeviceOps> {
  const mustExist = async (id: string) => {
    const device = await d.store.getDevice(id);
    if (!device) throw notFound(`device ${id}`);
    return device;
  };
  return {
    listDevices: async ({ query: q }) => {
      const eq = q.label?.indexOf("=") ?? -1;
      const devices = await d.store.listDevices({
        ...(q.online ? { online: q.online === "true" } : {}),
        ...(q.fault ? { fault: q.fault } : {}),
        ...(q.search ? { search: q.search } : {}),
        ...(q.label && eq > 0 ? { label: { key: q.label.slice(0, eq), value: q.label.slice(eq + 1) } } : {}),
        limit: q.limit,
        offset: q.offset,
      });
      return { devices };
    },
    provisionDevice: async ({ body, principal }) => {
      if (await d.store.getCredential(body.id)) throw httpError("conflict", `device ${body.id} already exists; rotate its secret with 'edge-fleet devices rotate ${body.id}'`);
      const secret = generateSecret();
      await d.store.addCredential({ id: body.id, secretHash: await hashSecret(secret), status: "active", createdAt: d.now(), labels: body.labels });
      d.log.info({ device: body.id, by: principal.tokenId }, "device provisioned over the API");
      return { device_id: body.id, secret };
    },
    getDevice: async ({ params }) => ({ device: await mustExist(params.id) }),
    revokeDevice: async ({ params, principal }) => {
      const ok = d.revokeDevice ? await d.revokeDevice(params.id) : await d.store.setCredentialStatus(params.id, "revoked");
      if (!ok) throw notFound(`provisioned device ${params.id}`);
      d.log.warn({ device: params.id, by: principal.tokenId }, "device revoked over the API");
      return { revoked: true as const };
    },
    deviceHistory: async ({ params, query }) => {
      await mustExist(params.id);
      return { history: await d.store.history(params.id, query.since, query.limit) };
    },
    deviceDiagnoses: async ({ params, query }) => {
      await mustExist(params.id);
      return { diagnoses: await d.store.diagnoses(params.id, query.limit) };
    },
  };
}
