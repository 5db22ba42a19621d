import { randomUUID } from "node:crypto";

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Keeps a caller's X-Request-Id when it is sane, so logs correlate across services; otherwise makes one. */
export const requestIdFrom = (header: string | string[] | undefined): string =>
  typeof header === "string" && ACCEPTABLE.test(header) ? header : randomUUID();
