import type { SysInfo } from "./system.ts";

/**
 * systeminformation, for hosts whose /proc cannot be read (a developer's macOS). Its own module so the
 * device executable can leave it out (scripts/build/targets.ts): the executables are Linux-only, where
 * /proc always answers, and its 420 KB of source would sit in the heap for nothing.
 */
export async function loadSystemInformation(): Promise<SysInfo> {
  return (await import("systeminformation")) as unknown as SysInfo;
}
