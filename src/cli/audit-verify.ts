import fs from "node:fs";
import readline from "node:readline";
import { AuditExportVerifier } from "../audit/audit-export-verifier";

const USAGE = "usage: npm run audit:verify -- <export.ndjson> [--public-key <base64 Ed25519 public key>]";

/**
 * Verifies an audit export offline: `npm run audit:verify -- export.ndjson`. Pass the public key you kept
 * (auditCheckpoints { publicKey }) with --public-key; without it the key inside the export is used and only
 * its keyId is printed for you to compare. Exit code 0 when valid, 1 when not, 2 on bad usage.
 */
async function main(args: string[]): Promise<number> {
  const keyFlag = args.indexOf("--public-key");
  const publicKey = keyFlag >= 0 ? args[keyFlag + 1] : undefined;
  const files = args.filter((arg, index) => !arg.startsWith("--") && (keyFlag < 0 || index !== keyFlag + 1));
  if (files.length !== 1 || (keyFlag >= 0 && !publicKey)) {
    console.error(USAGE);
    return 2;
  }
  const key = publicKey ? Buffer.from(publicKey, "base64") : undefined;
  if (key && key.length !== 32) {
    console.error("--public-key must be the 32-byte Ed25519 public key in base64");
    return 2;
  }
  const verifier = new AuditExportVerifier(key);
  const lines = readline.createInterface({ input: fs.createReadStream(files[0], "utf8"), crlfDelay: Infinity });
  for await (const line of lines) verifier.accept(line);
  const result = verifier.finish();
  console.log(JSON.stringify(result, null, 2));
  if (result.keyFromExport) console.error(`note: checked against the key inside the export (keyId ${result.keyId}); compare it with the keyId you hold.`);
  console.log(result.valid ? "VALID" : "INVALID");
  return result.valid ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
