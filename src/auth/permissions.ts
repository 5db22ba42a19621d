import { ALL_ROLES, Role } from "./role";

/**
 * Every ability the API grants, named once (the way Vendure names permissions). An operation declares the
 * permission it needs; the roles that hold it are printed into the SDL as `@auth(requires: [...])` and
 * enforced by the auth checker, so the published contract and the check cannot drift apart.
 */
export enum Permission {
  /** Any signed-in user, whatever their roles. */
  Authenticated = "Authenticated",
  ManageUsers = "ManageUsers",
  CreateCustomer = "CreateCustomer",
  /** Search customers by name (the console's timeline). */
  FindCustomers = "FindCustomers",
  /** List the agents (the team manager's floor). */
  ListAgents = "ListAgents",
  /** Start and end calls: the telephony integration. */
  ManageCalls = "ManageCalls",
  /** Read a recording or an agent's status; row rules narrow what an agent alone sees. */
  ReadRecording = "ReadRecording",
  ReadTimeline = "ReadTimeline",
  /** Pause and resume; an agent alone only their own call. */
  ControlRecording = "ControlRecording",
  WatchRecordingState = "WatchRecordingState",
  ReadPauseIntervals = "ReadPauseIntervals",
  ReadDeletion = "ReadDeletion",
  /** The stored MP3's digest and size. */
  ReadMediaIntegrity = "ReadMediaIntegrity",
  DeleteRecording = "DeleteRecording",
  RedactRecording = "RedactRecording",
  DownloadRecording = "DownloadRecording",
  ReadAudit = "ReadAudit",
  ManageLegalHolds = "ManageLegalHolds",
  ReadLegalHolds = "ReadLegalHolds",
  ManageRetention = "ManageRetention",
  ReadComplianceReport = "ReadComplianceReport",
}

const { AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR, API_USER } = Role;
const SUPERVISORS = [TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR] as const;

/**
 * Who holds each permission, in the order the SDL prints them. An empty list is `Authenticated`: any
 * signed-in user. The schema contract test fails if an order or a role changes here.
 */
export const PERMISSION_GRANTS: Readonly<Record<Permission, readonly Role[]>> = {
  [Permission.Authenticated]: [],
  [Permission.ManageUsers]: [ADMINISTRATOR],
  [Permission.CreateCustomer]: [API_USER, ADMINISTRATOR],
  [Permission.FindCustomers]: [TEAM_MANAGER, COMPLIANCE_ADMINISTRATOR],
  [Permission.ListAgents]: [TEAM_MANAGER, ADMINISTRATOR],
  [Permission.ManageCalls]: [API_USER],
  [Permission.ReadRecording]: ALL_ROLES,
  [Permission.ReadTimeline]: ALL_ROLES,
  [Permission.ControlRecording]: [AGENT, TEAM_MANAGER, API_USER],
  [Permission.WatchRecordingState]: [AGENT, ...SUPERVISORS],
  [Permission.ReadPauseIntervals]: [...SUPERVISORS, AGENT],
  [Permission.ReadDeletion]: SUPERVISORS,
  [Permission.ReadMediaIntegrity]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.DeleteRecording]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.RedactRecording]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.DownloadRecording]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.ReadAudit]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.ManageLegalHolds]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.ReadLegalHolds]: SUPERVISORS,
  [Permission.ManageRetention]: [COMPLIANCE_ADMINISTRATOR],
  [Permission.ReadComplianceReport]: [COMPLIANCE_ADMINISTRATOR],
};

export const rolesGranted = (permission: Permission): readonly Role[] => PERMISSION_GRANTS[permission];

/** Whether the roles read for this request include one that holds the permission. */
export function holdsPermission(roles: ReadonlySet<Role>, permission: Permission): boolean {
  const granted = PERMISSION_GRANTS[permission];
  return granted.length === 0 || granted.some((role) => roles.has(role));
}
