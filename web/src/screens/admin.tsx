import { useEffect, useState } from "preact/hooks";
import type { Role, Session } from "../session";

const ALL_ROLES: Role[] = ["AGENT", "TEAM_MANAGER", "ADMINISTRATOR", "COMPLIANCE_ADMINISTRATOR", "API_USER"];
const ROLE_NAMES: Record<Role, string> = {
  AGENT: "Agent",
  TEAM_MANAGER: "Team manager",
  ADMINISTRATOR: "Administrator",
  COMPLIANCE_ADMINISTRATOR: "Compliance Administrator",
  API_USER: "API user",
};

const USERS = /* GraphQL */ `query Users { users { id email displayName roles } }`;
const CREATE = /* GraphQL */ `mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id email displayName roles } }`;
const ASSIGN = /* GraphQL */ `mutation AssignRoles($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id email displayName roles } }`;
const ISSUE = /* GraphQL */ `mutation IssueApiToken($userId: ID!, $label: String!) { issueApiToken(userId: $userId, label: $label) { token } }`;

interface User {
  id: string;
  email: string;
  displayName: string;
  roles: Role[];
}

/** Users and roles: create users, change anyone's roles (your own too), issue API tokens for integrations. */
export function AdminScreen({ session, onOwnRolesChanged }: { session: Session; onOwnRolesChanged: () => Promise<void> }) {
  const { api, me } = session;
  const [users, setUsers] = useState<User[]>([]);
  const [status, setStatus] = useState<string | undefined>();
  const [issued, setIssued] = useState<{ email: string; token: string } | undefined>();

  const load = async () => setUsers((await api.request<{ users: User[] }>(USERS)).users);
  useEffect(() => void load(), [api]);

  const saveRoles = async (user: User, roles: Role[]) => {
    setStatus(undefined);
    try {
      await api.request(ASSIGN, { userId: user.id, roles });
      await load();
      setStatus(`Saved the roles of ${user.displayName}.`);
      if (user.id === me.id) await onOwnRolesChanged();
    } catch (error) {
      setStatus(`Could not save the roles of ${user.displayName}: ${(error as Error).message}`);
    }
  };

  const issueToken = async (user: User) => {
    try {
      const { issueApiToken } = await api.request<{ issueApiToken: { token: string } }>(ISSUE, { userId: user.id, label: "issued in the console" });
      setIssued({ email: user.email, token: issueApiToken.token });
    } catch (error) {
      setStatus(`Could not issue a token: ${(error as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Users and roles</h1>
      <p class="hint">Administrators can assign themselves the Compliance Administrator role to download and delete recordings.</p>
      <CreateUser
        onCreate={async (input) => {
          await api.request(CREATE, { input });
          await load();
          setStatus(`Created ${input.email}.`);
        }}
      />
      <h2>Users</h2>
      <ul class="users">
        {users.map((user) => (
          <li key={user.id}>
            <UserRoles user={user} isMe={user.id === me.id} onSave={(roles) => void saveRoles(user, roles)} onIssueToken={() => void issueToken(user)} />
          </li>
        ))}
      </ul>
      {status && <p role="status">{status}</p>}
      {issued && (
        <div class="issued" role="status">
          <p>
            API token for {issued.email} (shown once; use HTTP Basic with the e-mail as user name):
          </p>
          <code data-testid="issued-token">{issued.token}</code>
        </div>
      )}
    </section>
  );
}

function UserRoles({ user, isMe, onSave, onIssueToken }: { user: User; isMe: boolean; onSave: (roles: Role[]) => void; onIssueToken: () => void }) {
  const [roles, setRoles] = useState<Role[]>(user.roles);
  useEffect(() => setRoles(user.roles), [user.roles.join()]);
  const changed = [...roles].sort().join() !== [...user.roles].sort().join();
  return (
    <fieldset>
      <legend>
        {user.displayName}
        {isMe ? " (you)" : ""} <span class="hint">{user.email}</span>
      </legend>
      <RoleChecks roles={roles} onChange={setRoles} />
      <div class="actions">
        <button type="button" disabled={!changed} onClick={() => onSave(roles)}>
          Save roles<span class="sr-only"> of {user.displayName}</span>
        </button>
        {user.roles.includes("API_USER") && (
          <button type="button" onClick={onIssueToken}>
            Issue API token<span class="sr-only"> for {user.displayName}</span>
          </button>
        )}
      </div>
    </fieldset>
  );
}

function CreateUser({ onCreate }: { onCreate: (input: { email: string; displayName: string; roles: Role[] }) => Promise<void> }) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [roles, setRoles] = useState<Role[]>(["AGENT"]);
  const [error, setError] = useState<string | undefined>();
  return (
    <form
      class="create-user"
      aria-labelledby="create-title"
      onSubmit={(event) => {
        event.preventDefault();
        setError(undefined);
        onCreate({ email, displayName, roles }).then(
          () => {
            setEmail("");
            setDisplayName("");
          },
          (e: Error) => setError(e.message),
        );
      }}
    >
      <h2 id="create-title">Create a user</h2>
      <label for="new-email">E-mail</label>
      <input id="new-email" type="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
      <label for="new-name">Display name</label>
      <input id="new-name" required value={displayName} onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)} />
      <fieldset>
        <legend>Roles</legend>
        <RoleChecks roles={roles} onChange={setRoles} />
      </fieldset>
      <button type="submit">Create user</button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

function RoleChecks({ roles, onChange }: { roles: Role[]; onChange: (roles: Role[]) => void }) {
  return (
    <div class="checks">
      {ALL_ROLES.map((role) => (
        <label key={role}>
          <input type="checkbox" checked={roles.includes(role)} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...roles, role] : roles.filter((r) => r !== role))} />{" "}
          {ROLE_NAMES[role]}
        </label>
      ))}
    </div>
  );
}
