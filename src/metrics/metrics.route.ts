import { timingSafeEqual } from "node:crypto";
import type { Express } from "express";
import type { Metrics } from "./metrics";

export const METRICS_PATH = "/metrics";

/**
 * GET /metrics for Prometheus, only with `Authorization: Bearer $METRICS_TOKEN`: the figures describe the
 * traffic, so they are not public. Without METRICS_TOKEN the route does not exist (404 like any other).
 */
export function mountMetricsRoute(app: Express, metrics: Metrics, token: string | undefined): void {
  if (!token) return;
  const expected = Buffer.from(`Bearer ${token}`);
  app.get(METRICS_PATH, async (req, res) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').json({ error: "UNAUTHENTICATED" });
      return;
    }
    res.set("Content-Type", metrics.contentType).set("Cache-Control", "no-store").send(await metrics.exposition());
  });
}
