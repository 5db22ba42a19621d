import fs from "node:fs";
import path from "node:path";

const SOURCE_LOADER = path.join(__dirname, "load-ts-worker.cjs");

/**
 * How to start a worker thread whose entry module is `entryFile` (the module's own __filename): the compiled
 * file in a build; in a source run (tests under ts-jest, which do not build dist/), a loader that transpiles
 * TypeScript as it is required, with the entry in workerData (`entry`).
 */
export function workerScript(entryFile: string): { file: string; entry?: string } {
  if (!entryFile.endsWith(".ts")) return { file: entryFile };
  if (!fs.existsSync(SOURCE_LOADER)) throw new Error(`the loader ${SOURCE_LOADER} for running ${path.basename(entryFile)} from source is missing`);
  return { file: SOURCE_LOADER, entry: entryFile };
}
