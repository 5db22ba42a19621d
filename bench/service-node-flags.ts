import fs from "node:fs";
import path from "node:path";

/**
 * The Node flags `npm start` runs the service with, read from the package.json in `projectRoot`: the one
 * definition that the Docker image (checked by a test) and the benches' servers follow.
 */
export function serviceNodeFlags(projectRoot: string): string[] {
  const start: string = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")).scripts.start;
  const flags = /\bnode ((?:--\S+ )*)dist\/src\/main\.js/.exec(start);
  if (!flags) throw new Error(`package.json's start script no longer reads "node [flags] dist/src/main.js": ${start}`);
  return flags[1].split(" ").filter(Boolean);
}
