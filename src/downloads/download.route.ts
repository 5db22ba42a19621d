import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Express, Request, Response } from "express";
import { DomainError, ErrorCode } from "../common/errors";
import { ObjectNotFoundError } from "../storage/object-store";
import { parseRange } from "./byte-range";
import { DOWNLOAD_PATH_PREFIX } from "./download-link";
import { DownloadService, MP3_CONTENT_TYPE } from "./download.service";

/** Refusals as HTTP statuses: a bad link or a lost role is 403, a link or recording that is gone is 410. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.DownloadLinkInvalid]: 403,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.DownloadLinkExpired]: 410,
  [ErrorCode.RecordingNotAvailable]: 410,
  [ErrorCode.NotFound]: 404,
};

type Log = (message: string, error?: unknown) => void;

/**
 * GET (and HEAD) on a signed download link: streams the decrypted MP3, a single byte range as 206.
 * Refusals carry a small JSON body `{ error: CODE }` and never audio. HEAD runs the same checks and
 * answers the GET's headers; it sends no audio, so it is not audited. A deletion that commits mid-transfer
 * removes the object, and the transfer breaks off there.
 */
export function mountDownloadRoutes(app: Express, downloads: DownloadService, log: Log, onBytesSent: (bytes: number) => void = () => undefined): void {
  app.get(`${DOWNLOAD_PATH_PREFIX}:id`, (req, res) => {
    serve(req, res, downloads, onBytesSent).catch((error) => {
      // The object deleted under a transfer (a delete committed meanwhile) is expected: no stack, no 500.
      if (isGone(error)) {
        log(`download of recording ${req.params.id} broke off: its audio was deleted (request ${req.requestId})`);
        if (!res.headersSent) refuse(res, 410, ErrorCode.RecordingNotAvailable);
        else res.destroy();
        return;
      }
      log(`download failed (request ${req.requestId})`, error);
      if (!res.headersSent) refuse(res, 500, "INTERNAL_SERVER_ERROR");
      else res.destroy();
    });
  });
}

const isGone = (error: unknown) => error instanceof ObjectNotFoundError || (error as Error)?.name === "ObjectNotFoundError";

async function serve(req: Request<{ id: string }>, res: Response, downloads: DownloadService, onBytesSent: (bytes: number) => void): Promise<void> {
  let download;
  try {
    download = await downloads.open(req.params.id, req.query as Record<string, unknown>);
  } catch (error) {
    const status = error instanceof DomainError ? STATUS[error.code] : undefined;
    if (status === undefined) throw error;
    return refuse(res, status, (error as DomainError).code);
  }

  const size = download.reader.plaintextBytes;
  const etag = `"${download.media.sha256}"`;
  // If-Range names the version the client holds; for any other version the whole (new) file is sent.
  const ifRange = req.headers["if-range"];
  const requested = parseRange(ifRange === undefined || ifRange === etag ? req.headers.range : undefined, size);
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Cache-Control", "no-store");
  if (requested.kind === "unsatisfiable") return refuse(res, 416, "RANGE_NOT_SATISFIABLE", { "Content-Range": `bytes */${size}` });

  const range = requested.kind === "partial" ? requested.range : null;
  const start = range?.start ?? 0;
  const endInclusive = range?.endInclusive ?? size - 1;
  const status = range ? 206 : 200;
  const bytes = endInclusive - start + 1;
  // The first batch is read before any header is sent: audio deleted by now is a 410, not a broken 200.
  const chunks = download.reader.read({ start, endInclusive });
  const first = req.method === "HEAD" ? undefined : await chunks.next();
  if (req.method !== "HEAD") await downloads.recordServed(download, req.requestId ?? "unknown", { method: req.method, status, range, bytes });

  res.status(status);
  res.setHeader("Content-Type", MP3_CONTENT_TYPE);
  res.setHeader("Content-Disposition", `attachment; filename="${download.fileName}"`);
  res.setHeader("ETag", etag);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Content-Length", String(bytes));
  if (range) res.setHeader("Content-Range", `bytes ${start}-${endInclusive}/${size}`);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  // Segment batch by batch, with back-pressure: the file is never held in memory whole.
  await pipeline(Readable.from(counted(prepend(first, chunks), onBytesSent), { objectMode: false }), res).catch((error) => {
    // A client that hangs up mid-transfer is not a server failure; anything else is logged by the caller.
    if ((error as NodeJS.ErrnoException)?.code === "ERR_STREAM_PREMATURE_CLOSE") return;
    throw error;
  });
}

async function* counted(chunks: AsyncGenerator<Uint8Array>, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    yield chunk;
    onBytes(chunk.length);
  }
}

async function* prepend(first: IteratorResult<Uint8Array> | undefined, rest: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first && !first.done) yield first.value;
  yield* rest;
}

/** Also used when reading fails before the first byte: whatever audio headers were set are dropped. */
function refuse(res: Response, status: number, code: string, headers: Record<string, string> = {}): void {
  for (const name of ["Content-Disposition", "Content-Range", "Content-Length", "ETag"]) res.removeHeader(name);
  res.status(status).set({ "Cache-Control": "no-store", ...headers });
  res.type("application/json").json({ error: code });
}
