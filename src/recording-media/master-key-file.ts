import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MasterKey } from "../storage/envelope-keys";

const MASTER_KEY_FILE = "master-key";

/**
 * The configured MASTER_KEY, or for the embedded default one generated into the data directory on first
 * start (mode 0600). Losing it makes every stored recording unreadable, by design of envelope encryption.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): MasterKey {
  if (configured) return MasterKey.fromBase64(configured);
  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32).toString("base64"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return MasterKey.fromBase64(fs.readFileSync(file, "utf8"));
}
