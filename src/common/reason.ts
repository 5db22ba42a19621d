import { badInput } from "./errors";

/**
 * Characters that show nothing: white space, format characters (zero-width space and joiners, bidi marks,
 * the BOM…), default-ignorable code points (Hangul fillers, variation selectors) and the blank braille cell.
 */
const INVISIBLE = "[\\p{White_Space}\\p{Cf}\\p{Default_Ignorable_Code_Point}\\u2800]";
const EDGES = new RegExp(`^${INVISIBLE}+|${INVISIBLE}+$`, "gu");
const VISIBLE = new RegExp(`(?!${INVISIBLE})[^]`, "u");

/** The text with invisible characters trimmed from both ends: "" when nothing visible is left. */
export function visibleText(raw: string | null | undefined): string {
  if (typeof raw !== "string") return "";
  return VISIBLE.test(raw) ? raw.replace(EDGES, "") : "";
}

export interface FreeTextRule {
  field: string;
  max: number;
  /** What the text is needed for, for the error: "to delete a recording". */
  requiredFor?: string;
}

/**
 * The one rule for free text an audit entry keeps (reasons, names): trimmed of invisible characters, within
 * `max` characters, and refused with BAD_USER_INPUT when required and nothing visible is left.
 */
export function requireVisibleText(raw: string | null | undefined, rule: FreeTextRule & { requiredFor: string }): string {
  const text = visibleText(raw);
  if (!text) throw badInput(`a ${rule.field} with visible characters is required ${rule.requiredFor}`, rule.field);
  if (text.length > rule.max) throw badInput(`${rule.field} must be at most ${rule.max} characters`, rule.field);
  return text;
}

/** An optional reason: absent stays null, but one that was given must say something visible. */
export function optionalVisibleText(raw: string | null | undefined, rule: FreeTextRule): string | null {
  if (raw === undefined || raw === null || raw === "") return null;
  return requireVisibleText(raw, { ...rule, requiredFor: "when one is given" });
}
