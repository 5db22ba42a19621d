import { GraphQLError, GraphQLFormattedError } from "graphql";
import { ArgumentValidationError } from "type-graphql";
import { DomainError } from "../common/errors";

const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401 };

export function toGraphQLError(error: DomainError): GraphQLError {
  const http = HTTP_STATUS[error.code] ? { http: { status: HTTP_STATUS[error.code] } } : {};
  return new GraphQLError(error.message, { extensions: { code: error.code, ...error.details, ...http } });
}


const SAFE_CODES = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "NO_LIVE_RECORDING",
  "RECORDING_NOT_LIVE",
  "RECORDING_IN_PROGRESS",
  "RECORDING_NOT_AVAILABLE",
  "CALL_NOT_ACTIVE",
  "AGENT_BUSY",
  "ILLEGAL_TRANSITION",
  "CONFLICT",
  "RATE_LIMITED",
  "LEGAL_HOLD",
  "QUERY_TOO_COMPLEX",
  "TOO_MANY_SUBSCRIPTIONS",
]);

export interface ErrorFormatOptions {
  maskInternalErrors: boolean;
  log: (message: string, error: unknown, fields?: Record<string, unknown>) => void;
}

/**
 * One formatter for both transports. Expected errors pass through with their code; anything else is
 * logged with the request id and, in production, replaced by a generic message (no stack, no SQL).
 */
export function createErrorFormatter(options: ErrorFormatOptions) {
  return (formatted: GraphQLFormattedError, error: unknown, requestId?: string): GraphQLFormattedError => {
    // Every error names its request: the id a support case quotes is the one in the log line and the audit entry.
    const tag = requestId ? { requestId } : {};
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof DomainError) {
      // Thrown by a service inside a resolver: mapped here, not by a middleware wrapped around every field.
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: original.message, extensions: { ...extensions, ...original.details, code: original.code, ...tag } };
    }
    if (original instanceof ArgumentValidationError) {
      return { ...formatted, extensions: { code: "BAD_USER_INPUT", validationErrors: validationSummary(original), ...tag } };
    }
    // Apollo relabels every validation error GRAPHQL_VALIDATION_FAILED; our limit rules' own code (as graphql-ws sends it) wins.
    const ruleCode = formatted.extensions?.code === "GRAPHQL_VALIDATION_FAILED" && original instanceof GraphQLError ? original.extensions?.code : undefined;
    const code = (ruleCode ?? formatted.extensions?.code) as string | undefined;
    if (code && SAFE_CODES.has(code)) {
      // `http` is Apollo's instruction for the status line (it strips it); graphql-ws would send it along.
      const { stacktrace: _stack, http: _http, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code, ...tag } };
    }
    options.log(`unexpected error${requestId ? ` (request ${requestId})` : ""}`, original, { requestId });
    if (!options.maskInternalErrors) return formatted;
    return {
      message: "Internal server error",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: "INTERNAL_SERVER_ERROR", ...tag },
    };
  };
}

interface FieldProblem {
  property: string;
  constraints?: Record<string, string>;
  children?: FieldProblem[];
}

/** Field names and messages only: class-validator's objects also carry the submitted values. */
function validationSummary(error: ArgumentValidationError) {
  const summarize = (problem: FieldProblem): unknown => ({
    property: problem.property,
    constraints: problem.constraints,
    ...(problem.children?.length ? { children: problem.children.map(summarize) } : {}),
  });
  return ((error.extensions.validationErrors ?? []) as FieldProblem[]).map(summarize);
}
