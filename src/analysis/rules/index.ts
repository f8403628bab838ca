import type { Rule } from "../types.ts";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.ts";

/** Every lint rule, one file each, named after its id. */
export const RULES: readonly Rule[] = [requireConcurrentIndexCreation];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((rule) => rule.id));
