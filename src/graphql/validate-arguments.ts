import { validateOrReject, ValidatorOptions } from "class-validator";
import { ArgumentValidationError } from "type-graphql";

/** type-graphql's own defaults for class-validator: absent optional fields are not checked. */
const OPTIONS: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

const validatable = (value: unknown): value is object => value !== null && typeof value === "object";

/**
 * The same validation type-graphql runs by default (the class-validator decorators on input types), with
 * class-validator imported once: type-graphql's built-in path resolves `require("class-validator")` again on
 * every argument of every request.
 */
export async function validateArguments(value: unknown): Promise<void> {
  try {
    if (Array.isArray(value)) await Promise.all(value.filter(validatable).map((item) => validateOrReject(item, OPTIONS)));
    else if (validatable(value)) await validateOrReject(value, OPTIONS);
  } catch (errors) {
    throw new ArgumentValidationError(errors as ConstructorParameters<typeof ArgumentValidationError>[0]);
  }
}
