import { afterEach, describe, expect, it } from "vitest";
import { engineHarness } from "../testing/engine-harness.ts";
import { exportJson, incidentsToCsv, ticketsToCsv } from "./export.ts";

type H = Awaited<ReturnType<typeof engineHarness>>;
let h: H | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("export", () => {
  it("exports tickets and incidents as CSV and JSON without secrets or formula injection", async () => {
    h = await engineHarness({ group_wait_ms: 0 });
    await h.online(["dev-a", "=cmd"].slice(0, 1));
    await h.diagnose("dev-a", { fault: "cloud_outage" });
    const tickets = await h.store.listTickets();
    const incidents = await h.store.listIncidents();
    const csv = ticketsToCsv(tickets).split("\r\n");
    expect(csv[0]).toBe("id,incident_id,status,severity,fault,family,component,device_id,title,first_seen,last_seen,occurrences,reopen_count,suppressed_by,regression,summary");
    expect(csv[1]).toContain(",open,P2,cloud_outage,server,text,dev-a,");
    expect(incidentsToCsv(incidents)).toContain("dev-a");
    // an incident larger than the ids its record carries says how many devices it holds
    const big = incidentsToCsv([{ ...incidents[0]!, deviceIds: ["dev-a", "dev-b"], deviceCount: 150 }]).split("\r\n");
    expect(big[0]).toContain(",title,devices,device_count,peak_devices,");
    expect(big[1]).toMatch(/,dev-a dev-b,150,/);
    const json = JSON.parse(exportJson(incidents, tickets, h.scheduler.now())) as { incidents: unknown[]; tickets: { content: { logExcerpt: string[] } }[] };
    expect(json.incidents).toHaveLength(1);
    expect(json.tickets[0]!.content.logExcerpt.join("\n")).toContain("Bearer [redacted]");
    expect(JSON.stringify(json)).not.toContain("abcd1234secret");
    expect(ticketsToCsv([{ ...tickets[0]!, title: "=HYPERLINK(1)" }])).toContain("'=HYPERLINK(1)");
  });
});
