import { Role } from "../auth/role";

/** The demo seed's people; the README lists them. Emails are what `npm run token -- <email>` takes. */
export const DEMO_USERS = [
  { email: "admin@callvault.test", displayName: "Ada Admin", roles: [Role.ADMINISTRATOR] },
  { email: "compliance@callvault.test", displayName: "Cora Compliance", roles: [Role.COMPLIANCE_ADMINISTRATOR] },
  { email: "manager@callvault.test", displayName: "Max Manager", roles: [Role.TEAM_MANAGER] },
  { email: "alice@callvault.test", displayName: "Alice Agent", roles: [Role.AGENT] },
  { email: "bob@callvault.test", displayName: "Bob Agent", roles: [Role.AGENT] },
  { email: "oms@callvault.test", displayName: "Order Management System", roles: [Role.API_USER] },
  { email: "telephony@callvault.test", displayName: "Telephony Gateway", roles: [Role.API_USER] },
] as const;

export const DEMO_CUSTOMERS = ["Grace Hopper", "Alan Turing", "Katherine Johnson"] as const;
