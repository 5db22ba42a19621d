// Copies a SQLite write-ahead log back into the database file (a PASSIVE checkpoint) on its own thread and
// connection, so that neither the copying nor its syncs run on the server's event loop.
// Contract: src/database/sqlite-checkpointer.ts (the database file in workerData; each message asks for one
// checkpoint, answered with { ok: true, walFrames, checkpointedFrames } or { ok: false, message }).
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

parentPort.on("message", () => {
  let db;
  try {
    // A connection per checkpoint: between them this thread holds nothing open on the database.
    db = new Database(workerData.file, { fileMustExist: true });
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, walFrames: result.log, checkpointedFrames: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error?.message ?? error) });
  } finally {
    db?.close();
  }
});
