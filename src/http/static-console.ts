import fs from "node:fs";
import path from "node:path";
import express, { Express } from "express";

/** Written by `vite build` (build.manifest): marks a directory as a built console, not the web/ sources. */
const BUILD_MARKER = path.join(".vite", "manifest.json");

/**
 * Everything the page may load comes from this server: no CDN, no inline script, and the only connections
 * are back to this origin (GraphQL over HTTP and graphql-ws).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const isBuiltConsole = (dir: string) => fs.existsSync(path.join(dir, BUILD_MARKER));

/** Serves the built web console at `/` (hashed assets cached for good, index.html never). */
export function mountStaticConsole(app: Express, dir: string): void {
  if (!isBuiltConsole(dir)) {
    app.get("/", (_req, res) => {
      res.status(404).type("text/plain").send("The web console is not built: run `npm run build` (GraphQL is at /graphql).");
    });
    return;
  }
  app.use(
    express.static(dir, {
      index: "index.html",
      dotfiles: "ignore",
      // Only on the console's own files: Apollo Sandbox at /graphql loads from its CDN and keeps its own policy.
      setHeaders: (res, file) => {
        res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Referrer-Policy", "no-referrer");
        const immutable = file.includes(`${path.sep}assets${path.sep}`);
        res.setHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
      },
    }),
  );
}
