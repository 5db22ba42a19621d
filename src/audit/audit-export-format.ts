/** The NDJSON audit export's identity, shared by the exporter and the offline verifier. */
export const AUDIT_EXPORT_FORMAT = "callvault-audit-export";
export const AUDIT_EXPORT_VERSION = 1;
