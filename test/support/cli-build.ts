import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(__dirname, "../..");
const BUILD_DIR = path.join(ROOT, "node_modules/.cache/callvault-cli");

/** Compiles one CLI entry point (and what it imports) with the build settings, as `npm run build` does; returns the compiled file. */
export async function buildCli(entry: string): Promise<string> {
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const name = path.basename(entry, ".ts");
  const tsconfig = path.join(BUILD_DIR, `tsconfig.${name}.json`);
  const config = {
    extends: path.relative(BUILD_DIR, path.join(ROOT, "tsconfig.build.json")),
    compilerOptions: { rootDir: path.relative(BUILD_DIR, ROOT), outDir: ".", incremental: true, tsBuildInfoFile: `./${name}.tsbuildinfo` },
    include: [],
    files: [path.relative(BUILD_DIR, path.join(ROOT, entry))],
  };
  fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2));
  const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", tsconfig], { cwd: ROOT });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`building ${entry} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
  return path.join(BUILD_DIR, entry.replace(/\.ts$/, ".js"));
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(compiled: string, args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [compiled, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? -1, stdout: stdout ?? "", stderr: stderr ?? "" };
  }
}
