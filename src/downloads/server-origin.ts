/**
 * The server's own origin, for links when PUBLIC_URL is unset (development, tests on port 0). A wildcard
 * bind address is not reachable as written, so it becomes localhost.
 */
export function serverOrigin(host: string | undefined, port: number): string {
  const name = !host || host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return `http://${name}:${port}`;
}
