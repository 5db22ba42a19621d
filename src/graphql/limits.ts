import {
  ASTVisitor,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  NoSchemaIntrospectionCustomRule,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from "graphql";
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from "graphql-query-complexity";

/** The same limits on HTTP and on the WebSocket; sized for agent UIs and consoles, not for data dumps. */
export const LIMITS = {
  maxDepth: 8,
  maxAliases: 15,
  maxComplexity: 1000,
  maxPayloadBytes: 64 * 1024,
  /** Parser budget: bounds graphql-js validation, which is quadratic in repeated fields, before complexity is known. */
  maxTokens: 2000,
  maxSubscriptionsPerSocket: 20,
  connectionInitTimeoutMs: 3000,
} as const;

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let max = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith("__")) continue;
      max = Math.max(max, 1 + depthOf(selection.selectionSet, fragments, seen));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      max = Math.max(max, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return max;
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, { nodes: [operation], extensions: { code: "QUERY_TOO_COMPLEX" } }),
          );
        }
      },
    };
  };
}

export function aliasLimitRule(maxAliases: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      Document: {
        leave() {
          if (aliases > maxAliases) {
            context.reportError(new GraphQLError(`${aliases} aliases exceed the limit of ${maxAliases}`, { extensions: { code: "QUERY_TOO_COMPLEX" } }));
          }
        },
      },
    };
  };
}

export function validationRules(production: boolean): ValidationRule[] {
  const rules = [depthLimitRule(LIMITS.maxDepth), aliasLimitRule(LIMITS.maxAliases)];
  return production ? [...rules, NoSchemaIntrospectionCustomRule] : rules;
}

/** Needs the variables, so it runs once the operation is known rather than as a static validation rule. */
export function complexityErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
): GraphQLError[] {
  try {
    const complexity = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
    if (complexity <= LIMITS.maxComplexity) return [];
    return [new GraphQLError(`query complexity ${complexity} exceeds the limit of ${LIMITS.maxComplexity}`, { extensions: { code: "QUERY_TOO_COMPLEX" } })];
  } catch (error) {
    return [new GraphQLError((error as Error).message, { extensions: { code: "BAD_USER_INPUT" } })];
  }
}
