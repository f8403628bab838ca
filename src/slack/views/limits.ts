import * as z from "zod";

/**
 * Slack's documented limits on what an app may send, as one zod schema per surface: messages
 * (chat.postMessage, chat.update, chat.postEphemeral, a response_url) and views (a Home tab, a modal).
 * The app checks every payload with it before sending (src/slack/send.ts) and the fake Web API
 * (src/shell/fake-slack-api.ts) refuses what it refuses, so no test can pass on a message real Slack
 * would turn down. The block types are the ones Rookery sends; anything else is refused, as Slack
 * refuses a block it does not know.
 */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  /** Top-level `text`: Slack advises at most 4,000 (it truncates at 40,000); notifications and mobile show it. */
  messageText: 4000,
  sectionText: 3000,
  /**
   * The text of all of a posted message's blocks together: undocumented, chat.postMessage refuses past about
   * 12,000 with `msg_blocks_too_long` (slackapi/bolt-js #2509, #2867); a long part is cut to fit well within it.
   */
  messageBlocksText: 12000,
  headerText: 150,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  inputLabel: 2000,
  placeholder: 150,
  inputValue: 3000,
  viewTitle: 24,
  privateMetadata: 3000,
  altText: 2000,
} as const;

const L = SLACK_LIMITS;

const id = z.string().min(1).max(L.id);
const plainText = (max: number) => z.strictObject({ type: z.literal("plain_text"), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const mrkdwnText = (max: number) => z.strictObject({ type: z.literal("mrkdwn"), text: z.string().min(1).max(max), verbatim: z.boolean().optional() });
const anyText = (max: number) => z.discriminatedUnion("type", [plainText(max), mrkdwnText(max)]);

const button = z.strictObject({
  type: z.literal("button"),
  text: plainText(L.buttonText),
  action_id: id,
  value: z.string().max(L.buttonValue).optional(),
  url: z.string().max(L.url).optional(),
  style: z.enum(["primary", "danger"]).optional(),
  confirm: z.unknown().optional(),
});

const image = z.strictObject({ type: z.literal("image"), image_url: z.string().min(1).max(L.url), alt_text: z.string().min(1).max(L.altText) });

const plainTextInput = z.strictObject({
  type: z.literal("plain_text_input"),
  action_id: id,
  multiline: z.boolean().optional(),
  min_length: z.number().int().min(0).max(L.inputValue).optional(),
  max_length: z.number().int().min(1).max(L.inputValue).optional(),
  initial_value: z.string().max(L.inputValue).optional(),
  placeholder: plainText(L.placeholder).optional(),
});

const section = z
  .strictObject({
    type: z.literal("section"),
    block_id: id.optional(),
    text: anyText(L.sectionText).optional(),
    fields: z.array(anyText(L.fieldText)).min(1).max(L.fields).optional(),
    accessory: z.union([button, image]).optional(),
  })
  .refine((block) => block.text !== undefined || block.fields !== undefined, "a section needs text or fields");

const block = z.union([
  section,
  z.strictObject({ type: z.literal("header"), block_id: id.optional(), text: plainText(L.headerText) }),
  z.strictObject({ type: z.literal("divider"), block_id: id.optional() }),
  z.strictObject({
    type: z.literal("context"),
    block_id: id.optional(),
    elements: z.array(z.union([plainText(L.sectionText), mrkdwnText(L.sectionText), image])).min(1).max(L.contextElements),
  }),
  z.strictObject({ type: z.literal("actions"), block_id: id.optional(), elements: z.array(button).min(1).max(L.actionsElements) }),
  z.strictObject({
    type: z.literal("image"),
    block_id: id.optional(),
    image_url: z.string().min(1).max(L.url),
    alt_text: z.string().min(1).max(L.altText),
    title: plainText(L.altText).optional(),
  }),
  z.strictObject({
    type: z.literal("input"),
    block_id: id.optional(),
    label: plainText(L.inputLabel),
    element: plainTextInput,
    hint: plainText(L.inputLabel).optional(),
    optional: z.boolean().optional(),
  }),
]);

/** Duplicate block_ids and action_ids make Slack refuse the whole payload. */
function uniqueIds(blocks: z.infer<typeof block>[], context: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  blocks.forEach((candidate, index) => {
    const blockId = candidate.block_id;
    if (blockId === undefined) return;
    if (seen.has(blockId)) context.addIssue({ code: "custom", path: [index, "block_id"], message: `duplicate block_id "${blockId}"` });
    seen.add(blockId);
  });
}

const blocks = (max: number) => z.array(block).max(max).superRefine(uniqueIds);

/** What the app sends as a message; Rookery always sends a plain `text` summary with its blocks. */
export const MessagePayloadSchema = z.looseObject({
  text: z.string().min(1, "no_text: a message needs a plain `text` summary").max(L.messageText),
  blocks: blocks(L.messageBlocks).optional(),
});

export const ViewPayloadSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("home"),
    blocks: blocks(L.viewBlocks),
    private_metadata: z.string().max(L.privateMetadata).optional(),
    callback_id: id.optional(),
    external_id: id.optional(),
  }),
  z.strictObject({
    type: z.literal("modal"),
    title: plainText(L.viewTitle),
    submit: plainText(L.viewTitle).optional(),
    close: plainText(L.viewTitle).optional(),
    blocks: blocks(L.viewBlocks),
    private_metadata: z.string().max(L.privateMetadata).optional(),
    callback_id: id.optional(),
    external_id: id.optional(),
    notify_on_close: z.boolean().optional(),
    clear_on_close: z.boolean().optional(),
  }),
]);

export interface LimitViolation {
  /** The way Slack answers it: `msg_too_long` for the top-level text, `invalid_blocks` otherwise. */
  error: "msg_too_long" | "invalid_blocks" | "no_text";
  /** Slack's style: `must be less than 3001 characters [json-pointer:/blocks/3/text/text]`. */
  messages: string[];
}

function pointer(path: PropertyKey[]): string {
  return `/${path.map(String).join("/")}`;
}

function violationOf(error: z.ZodError, prefix: PropertyKey[] = []): LimitViolation {
  const messages = error.issues.map((issue) => `${issue.message} [json-pointer:${pointer([...prefix, ...issue.path])}]`);
  const first = error.issues[0]!;
  if (first.path[0] === "text" && prefix.length === 0) {
    return { error: first.code === "too_big" ? "msg_too_long" : "no_text", messages };
  }
  return { error: "invalid_blocks", messages };
}

/** Why Slack would refuse this message, or undefined when it fits every limit. */
export function messageViolation(payload: unknown): LimitViolation | undefined {
  const parsed = MessagePayloadSchema.safeParse(payload);
  return parsed.success ? undefined : violationOf(parsed.error);
}

/** Why Slack would refuse this view (Home tab or modal), or undefined when it fits. */
export function viewViolation(view: unknown): LimitViolation | undefined {
  const parsed = ViewPayloadSchema.safeParse(view);
  return parsed.success ? undefined : violationOf(parsed.error, ["view"]);
}
