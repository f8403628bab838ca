import type pg from "pg";
import { UsageError } from "../errors.ts";
import { selectRequest } from "./rows.ts";
import type { ChangeRequest } from "./types.ts";

/** A request's id as a person gives it: the whole id, or its start as the request message shows it (`6f1c2a9b`). */
export const REQUEST_ID_TEXT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8,})$/i;

/**
 * The request a person named by its id or the start of it (the message shows the first eight
 * characters), or null when none has it. A start that two requests share is refused, naming them.
 */
export async function findRequest(pool: pg.Pool, text: string): Promise<ChangeRequest | null> {
  if (!REQUEST_ID_TEXT.test(text)) return null;
  if (text.length === 36) return selectRequest(pool, text);
  // Hex digits only (REQUEST_ID_TEXT), so the text holds no LIKE wildcard.
  const { rows } = await pool.query<{ id: string }>(
    "SELECT id::text FROM rookery_control.requests WHERE id::text LIKE $1 || '%' ORDER BY created_at LIMIT 3",
    [text.toLowerCase()],
  );
  if (rows.length > 1) {
    throw new UsageError(`${text} is the start of more than one request (${rows.map((row) => row.id).join(", ")}${rows.length > 2 ? ", ..." : ""})`, {
      hint: "Give more of the id.",
    });
  }
  return rows[0] ? selectRequest(pool, rows[0].id) : null;
}
