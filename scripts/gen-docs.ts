/** Writes the generated contracts into docs/, or with --check fails when any of them is stale. */
import { readFileSync, writeFileSync } from "node:fs";
import { GENERATED_DOCS } from "./docs/registry.ts";

const check = process.argv.includes("--check");
const root = new URL("../", import.meta.url);
let stale = 0;
for (const [path, render] of Object.entries(GENERATED_DOCS)) {
  const want = await render();
  let have: string;
  try {
    have = readFileSync(new URL(path, root), "utf8");
  } catch {
    have = "";
  }
  if (have === want) continue;
  if (check) {
    stale++;
    console.error(`${path} is stale; run npm run docs and commit the result`);
  } else {
    writeFileSync(new URL(path, root), want);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale ? 1 : 0;
