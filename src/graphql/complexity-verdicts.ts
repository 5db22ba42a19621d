import { BREAK, DocumentNode, GraphQLError, GraphQLSchema, isInterfaceType, isObjectType, Kind, visit } from "graphql";
import { complexityErrors } from "./limits";

/** The complexity limit's verdict on an operation: the error that refuses it, or null. */
export type ComplexityVerdicts = (document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined | null) => GraphQLError | null;

function schemaWeighsArguments(schema: GraphQLSchema): boolean {
  return Object.values(schema.getTypeMap()).some(
    (type) => (isObjectType(type) || isInterfaceType(type)) && Object.values(type.getFields()).some((field) => field.extensions?.complexity !== undefined),
  );
}

/** Whether an @include/@skip in the document takes its condition from a variable. */
function conditionalOnVariables(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if ((node.name.value === "include" || node.name.value === "skip") && node.arguments?.some((argument) => argument.value.kind === Kind.VARIABLE)) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Per document Apollo already parsed and cached, the verdicts for the variables seen (bounded). */
const COMPLEXITY_VERDICTS_PER_DOCUMENT = 256;

/**
 * Walking the document for its complexity cost as much as executing a pause: the document caches hand back the
 * same DocumentNode for the same query text, and the same variables give the same figure. Variables only change
 * the figure through a field's own complexity function or an @include/@skip on a variable; without those (the
 * usual case: every agent pauses with their own id) one verdict serves all.
 */
export function complexityVerdicts(schema: GraphQLSchema): ComplexityVerdicts {
  const fieldsWeighArguments = schemaWeighsArguments(schema);
  const verdicts = new WeakMap<DocumentNode, { weighsVariables: boolean; byInput: Map<string, GraphQLError | null> }>();
  return (document, variables, operationName) => {
    let known = verdicts.get(document);
    if (!known) verdicts.set(document, (known = { weighsVariables: fieldsWeighArguments || conditionalOnVariables(document), byInput: new Map() }));
    const { weighsVariables, byInput } = known;
    const key = `${operationName ?? ""}\u0000${weighsVariables ? JSON.stringify(variables ?? {}) : ""}`;
    const verdict = byInput.get(key);
    if (verdict !== undefined) return verdict;
    const [error] = complexityErrors(schema, document, variables, operationName);
    if (byInput.size >= COMPLEXITY_VERDICTS_PER_DOCUMENT) byInput.clear();
    byInput.set(key, error ?? null);
    return error ?? null;
  };
}
