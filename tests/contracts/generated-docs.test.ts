import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_DOCS } from "../../scripts/docs/registry.ts";

describe("generated contracts in docs/", () => {
  for (const [path, render] of Object.entries(GENERATED_DOCS)) {
    it(`${path} matches the schemas it is generated from (run npm run docs when this fails)`, async () => {
      expect(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")).toBe(await render());
    });
  }

  it("the AsyncAPI document names every topic with its QoS and retain flag", () => {
    const doc = JSON.parse(readFileSync(new URL("../../docs/asyncapi.json", import.meta.url), "utf8"));
    expect(doc.asyncapi).toBe("3.0.0");
    expect(doc.channels.state.address).toBe("edge/v1/{deviceId}/state");
    expect(doc.operations.send_state.bindings.mqtt).toMatchObject({ qos: 1, retain: true });
    expect(doc.operations.receive_command.action).toBe("receive");
    expect(doc.components.messages.telemetry.payload.schema.required).toEqual(expect.arrayContaining(["v", "device_id", "ts", "msg_id"]));
  });
});
