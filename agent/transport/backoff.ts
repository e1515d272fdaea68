/** Reconnect policy (config mqtt.reconnect.*), in milliseconds. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  firstConnectJitterMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry after a loss): "full jitter", a uniform
 * draw in [0, min(max, initial·2^attempt)). Full jitter rather than equal or decorrelated jitter because it
 * spreads a fleet that lost the same broker at the same instant the most evenly (AWS architecture blog,
 * "Exponential Backoff And Jitter"); MQTT.js only offers a fixed reconnectPeriod, which would make 10,000
 * devices hit a restarted broker in lock step.
 */
export function backoffDelayMs(attempt: number, p: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(p.maxMs, p.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}

/** Delay before the very first connect: devices powered on together (a power cut ends) do not connect together. */
export function firstConnectDelayMs(p: BackoffPolicy, random: () => number): number {
  return Math.floor(random() * p.firstConnectJitterMs);
}
