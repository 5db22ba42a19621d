import { useEffect, useState } from "preact/hooks";
import { consoleFetch } from "../api";

interface DemoUser {
  email: string;
  displayName: string;
  roles: string[];
}

/** A bearer token from the identity provider; in development also a picker that mints one for a seeded user. */
export function SignIn({ onToken, error }: { onToken: (token: string) => void; error?: string }) {
  const [token, setToken] = useState("");
  const [demoUsers, setDemoUsers] = useState<DemoUser[] | undefined>();
  const [demoError, setDemoError] = useState<string | undefined>();

  useEffect(() => {
    void consoleFetch<{ users: DemoUser[] }>("/console/demo/users").then(({ status, body }) => {
      if (status === 200 && body) setDemoUsers(body.users);
    });
  }, []);

  const signInAs = async (email: string) => {
    setDemoError(undefined);
    const { status, body } = await consoleFetch<{ token: string }>("/console/demo/token", { method: "POST", body: JSON.stringify({ email }) });
    if (status === 200 && body) onToken(body.token);
    else setDemoError(`Demo sign-in failed (${status}).`);
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the callvault console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onToken(token);
        }}
      >
        <label for="token">Bearer token</label>
        <textarea id="token" rows={4} value={token} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} autoComplete="off" spellcheck={false} aria-describedby="token-help" />
        <p id="token-help" class="hint">
          The token your identity provider issued. It is kept for this browser tab only.
        </p>
        <button type="submit">Sign in</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
      {demoUsers && (
        <section aria-labelledby="demo-title" class="demo">
          <h2 id="demo-title">Sign in as a demo user</h2>
          <p class="hint">Development only: the server mints a token for a seeded user.</p>
          <ul>
            {demoUsers.map((user) => (
              <li key={user.email}>
                <button type="button" onClick={() => void signInAs(user.email)}>
                  {user.displayName}
                </button>{" "}
                <span class="hint">
                  {user.email} · {user.roles.join(", ") || "no roles"}
                </span>
              </li>
            ))}
          </ul>
          {demoError && <p role="alert">{demoError}</p>}
        </section>
      )}
    </main>
  );
}
