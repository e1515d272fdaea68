/** Where a fault lies; the diagnosis names exactly one. Order follows the isolation order in DOMAIN.md. */
export const FAULT_CLASSES = [
  "none",
  "voice_capture",
  "voice_cloud",
  "network",
  "auth",
  "request",
  "quota",
  "cloud_outage",
  "cloud_latency",
  "cloud_content",
  "device_resources",
  "unknown",
] as const;

/** The zod schema is FaultClassSchema (shared/schemas/faults.ts): this file stays free of zod, for the dashboard. */
export type FaultClass = (typeof FAULT_CLASSES)[number];

/** Which side owns a fault: the device, its local network, or the conversational-AI vendor. */
export type FaultSide = "none" | "device" | "network" | "cloud" | "unknown";

/** One row per fault class: what it means, who owns it, what to do, how close it is to the core function. */
export interface FaultInfo {
  readonly title: string;
  readonly side: FaultSide;
  /** The voice conversation itself is unusable (core), impaired (main), degraded, or not affected. */
  readonly impact: "core" | "main" | "degraded" | "none";
  readonly actions: readonly string[];
}

export const FAULTS: Readonly<Record<FaultClass, FaultInfo>> = Object.freeze({
  none: { title: "Healthy", side: "none", impact: "none", actions: [] },
  voice_capture: {
    title: "Voice capture fault on the device",
    side: "device",
    impact: "core",
    actions: [
      "Check the microphone hardware and its cable or flex connector.",
      "Check the ALSA/PipeWire capture device configured for the voice app and its gain/mute state.",
      "Restart the audio service; if the stream stays stalled, reboot the device.",
    ],
  },
  voice_cloud: {
    title: "Cloud speech path fault (recognition or synthesis)",
    side: "cloud",
    impact: "core",
    actions: [
      "Text works but the known-good utterance fails: report the speech-side fault to the vendor with the request id.",
      "Check the vendor status page for speech-recognition or synthesis incidents.",
    ],
  },
  network: {
    title: "Local network fault",
    side: "network",
    impact: "core",
    actions: [
      "Check the local network: Wi-Fi signal, router, DNS.",
      "Try another network, and check that the firewall allows the service's ports.",
      "Retry; if the device is on weak Wi-Fi, move it closer to the access point.",
    ],
  },
  auth: {
    title: "Authentication rejected by the cloud",
    side: "device",
    impact: "core",
    actions: ["Regenerate the token.", "Verify the App ID and certificate configured on the device."],
  },
  request: {
    title: "Request rejected as malformed",
    side: "device",
    impact: "main",
    actions: [
      "Check the request body against the vendor's API: parameter names, types and ranges.",
      "Check whether the fault began with a new agent or firmware version (a regression).",
    ],
  },
  quota: {
    title: "Quota or rate limit exceeded",
    side: "cloud",
    impact: "main",
    actions: ["Check the plan and its limits.", "Request a quota increase or lower the call rate."],
  },
  cloud_outage: {
    title: "Conversational-AI service outage",
    side: "cloud",
    impact: "core",
    actions: [
      "Check the vendor status page for a regional or global incident; the device is not at fault.",
      "Contact vendor support with the request ids and times; wait for the vendor's recovery.",
    ],
  },
  cloud_latency: {
    title: "Conversational-AI service slow",
    side: "cloud",
    impact: "degraded",
    actions: [
      "The network is fine but the service answers slowly: check for peak-hour load or plan concurrency limits.",
      "Retry off-peak; collect the latency figures as SLA evidence.",
    ],
  },
  cloud_content: {
    title: "Wrong or incoherent answers",
    side: "cloud",
    impact: "degraded",
    actions: [
      "Check whether it is global or one scenario; switch model or scenario as a workaround.",
      "Review the model configuration (prompt, temperature, tools).",
    ],
  },
  device_resources: {
    title: "Device resources exhausted",
    side: "device",
    impact: "main",
    actions: [
      "Check CPU load, memory and free disk on the device.",
      "Check the voice application's restarts; upgrade if a known leak is fixed in a newer version.",
    ],
  },
  unknown: {
    title: "Fault not isolated",
    side: "unknown",
    impact: "main",
    actions: ["Collect a support bundle and escalate to support with the diagnosis report."],
  },
});

/** Vendor error-code families (DOMAIN.md); the same families apply to HTTP statuses and error types. */
export const ERROR_FAMILIES = ["network", "auth", "request", "quota", "server"] as const;
export type ErrorFamily = (typeof ERROR_FAMILIES)[number];

export interface ErrorFamilyInfo {
  readonly from: number;
  readonly to: number;
  readonly meaning: string;
  readonly action: string;
  readonly fault: FaultClass;
}

export const ERROR_FAMILY_TABLE: Readonly<Record<ErrorFamily, ErrorFamilyInfo>> = Object.freeze({
  network: {
    from: 10001,
    to: 10099,
    meaning: "connect timeout, disconnect, reconnect failed",
    action: "check local network, change network, check firewall/ports",
    fault: "network",
  },
  auth: {
    from: 10101,
    to: 10199,
    meaning: "token expired, App ID mismatch",
    action: "regenerate the token, verify App ID and certificate",
    fault: "auth",
  },
  request: {
    from: 10201,
    to: 10299,
    meaning: "required parameter missing, bad format",
    action: "check the request body against the API: names, types, ranges",
    fault: "request",
  },
  quota: {
    from: 10301,
    to: 10399,
    meaning: "QPS over limit, call quota exhausted",
    action: "check the plan, request a quota increase, lower the call rate",
    fault: "quota",
  },
  server: {
    from: 10401,
    to: 10499,
    meaning: "internal error, service unavailable",
    action: "check the status page for a global incident; contact support",
    fault: "cloud_outage",
  },
});

/** The family of a vendor numeric code, or undefined when the code is outside every family. */
export function familyOfVendorCode(code: number): ErrorFamily | undefined {
  for (const family of ERROR_FAMILIES) {
    const row = ERROR_FAMILY_TABLE[family];
    if (code >= row.from && code <= row.to) return family;
  }
  return undefined;
}
