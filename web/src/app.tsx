import { useCallback, useEffect, useState } from "preact/hooks";
import { Api, tokenStore } from "./api";
import { AdminScreen } from "./screens/admin";
import { AgentScreen } from "./screens/agent";
import { AuditScreen } from "./screens/audit";
import { FloorScreen } from "./screens/floor";
import { OmsScreen } from "./screens/oms";
import { SignIn } from "./screens/sign-in";
import { TimelineScreen } from "./screens/timeline";
import { allowedScreens, SCREENS, ScreenId } from "./screens";
import { demoAvailable, loadPermissions, Me, ME_QUERY, Session } from "./session";

const screenFromHash = (): ScreenId | undefined => {
  const id = location.hash.replace(/^#\/?/, "");
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : undefined;
};

async function openSession(token: string, onUnauthenticated: () => void): Promise<Session> {
  const api = new Api(token, onUnauthenticated);
  try {
    const [{ me }, permissions, demo] = await Promise.all([api.request<{ me: Me }>(ME_QUERY), loadPermissions(token), demoAvailable()]);
    return { api, me, permissions, demo };
  } catch (error) {
    api.close();
    throw error;
  }
}

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [restoring, setRestoring] = useState(() => tokenStore.get() !== null);
  const [signInError, setSignInError] = useState<string | undefined>();
  const [route, setRoute] = useState<ScreenId | undefined>(screenFromHash);

  const signOut = useCallback(() => {
    tokenStore.clear();
    setSession((current) => {
      current?.api.close();
      return undefined;
    });
  }, []);

  const signIn = useCallback(
    async (token: string) => {
      setSignInError(undefined);
      try {
        const opened = await openSession(token.trim(), signOut);
        tokenStore.set(token.trim());
        setSession(opened);
      } catch (error) {
        setSignInError(error instanceof Error ? error.message : String(error));
      } finally {
        setRestoring(false);
      }
    },
    [signOut],
  );

  /** Roles live in the database: after a role change the console asks again and shows what they now allow. */
  const refreshMe = useCallback(async () => {
    if (!session) return;
    const { me } = await session.api.request<{ me: Me }>(ME_QUERY);
    setSession({ ...session, me });
  }, [session]);

  useEffect(() => {
    const stored = tokenStore.get();
    if (stored) void signIn(stored);
  }, []);

  useEffect(() => {
    const onHash = () => setRoute(screenFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  if (restoring && !session) return <main id="main"><p role="status">Signing in…</p></main>;
  if (!session) return <SignIn onToken={signIn} error={signInError} />;

  const allowed = allowedScreens(session);
  const current = route ?? allowed[0]?.id;
  const screen = SCREENS.find((s) => s.id === current);
  const permitted = allowed.some((s) => s.id === current);

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">callvault</span>
        <nav aria-label="Screens">
          <ul>
            {allowed.map((s) => (
              <li key={s.id}>
                <a href={`#/${s.id}`} aria-current={s.id === current ? "page" : undefined}>
                  {s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.me.displayName} <span class="roles">({session.me.roles.join(", ") || "no roles"})</span>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {!screen || !permitted ? (
          <section aria-labelledby="denied-title">
            <h1 id="denied-title">{screen ? screen.title : "callvault console"}</h1>
            <p role="alert">{screen ? "This screen is not available with your roles." : allowed.length ? "Choose a screen above." : "Your roles allow no console screen."}</p>
          </section>
        ) : current === "agent" ? (
          <AgentScreen session={session} />
        ) : current === "floor" ? (
          <FloorScreen session={session} />
        ) : current === "timeline" ? (
          <TimelineScreen session={session} />
        ) : current === "audit" ? (
          <AuditScreen session={session} />
        ) : current === "admin" ? (
          <AdminScreen session={session} onOwnRolesChanged={refreshMe} />
        ) : (
          <OmsScreen session={session} />
        )}
      </main>
    </>
  );
}
