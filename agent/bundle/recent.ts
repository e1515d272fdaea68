import type { DiagnosisMessage, MessageOf, TelemetryMessage } from "../../shared/index.ts";
import type { DeviceKind, Transport } from "../transport/types.ts";

/** The last reports the device sent, for support bundles: "recent samples and diagnoses". */
export class RecentReports {
  #max: number;
  #telemetry: TelemetryMessage[] = [];
  #diagnoses: DiagnosisMessage[] = [];

  constructor(max = 20) {
    this.#max = max;
  }

  record<K extends DeviceKind>(kind: K, message: MessageOf<K>): void {
    const list = kind === "telemetry" ? this.#telemetry : kind === "diagnosis" ? this.#diagnoses : null;
    if (!list) return;
    (list as unknown[]).push(message);
    if (list.length > this.#max) list.shift();
  }

  telemetry(): TelemetryMessage[] {
    return [...this.#telemetry];
  }

  diagnoses(): DiagnosisMessage[] {
    return [...this.#diagnoses];
  }

  /** A transport that records what passes through it and otherwise is `t`. */
  wrap(t: Transport): Transport {
    return {
      start: () => t.start(),
      stop: () => t.stop(),
      send: async (kind, message) => {
        await t.send(kind, message);
        this.record(kind, message);
      },
      onCommand: (h) => t.onCommand(h),
      get connected() {
        return t.connected;
      },
      spoolStatus: () => t.spoolStatus(),
      bytesSentToday: () => t.bytesSentToday(),
    };
  }
}
