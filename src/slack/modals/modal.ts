import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, webApi } from "@slack/bolt";
import * as z from "zod";
import { describeError, RookeryError } from "../../errors.ts";
import { audit } from "../../requests/index.ts";
import type { SlackDeps } from "../deps.ts";
import { openView, postEphemeral } from "../send.ts";
import { context, escapeEntities, section, type SlackBlock } from "../views/blocks.ts";
import { errorMessage } from "../views/error-message.ts";

/** One text field of a modal: its block id is the key it is submitted under. */
export interface ModalField {
  label: string;
  placeholder?: string;
  multiline?: boolean;
  maxLength?: number;
  hint?: string;
}

export interface ModalContext<M> {
  /** What was set when the modal opened (the request it is about), from private_metadata, zod-checked. */
  meta: M;
  userId: string;
  teamId: string | null;
  deps: SlackDeps;
  client: webApi.WebClient;
}

/**
 * A modal in a file of its own under src/slack/modals/, registered by one line in modals/index.ts:
 * its fields, the zod schema of what may be submitted (an issue is shown under its field, in the
 * modal), and what a valid submission does. `submit` may throw a RookeryError: its message is shown
 * in the modal too, under the first field, and nothing is done.
 */
export interface ModalSpec<M, V> {
  callbackId: string;
  /** At most 24 characters (Slack's limit on a modal title). */
  title: string;
  submitLabel: string;
  /** Shown above the fields: what happens on submit. Mrkdwn, made by Rookery from inert parts. */
  intro(meta: M): string;
  fields: Record<string, ModalField>;
  meta: z.ZodType<M>;
  values: z.ZodType<V>;
  submit(values: V, context: ModalContext<M>): Promise<void>;
  /** Where a refusal goes when `submit` outlasts the modal's answer (ANSWER_WITHIN_MS): a channel the user is in. */
  channelOf?(meta: M): string | undefined;
}

/**
 * Slack waits 3 s for a submission's answer, then shows the modal an error while the work goes on (a request
 * created behind "We had some trouble connecting", asked for again). A submit still running by then (a rollback
 * across a fleet reads every database) closes the modal, and a later refusal is told in the channel.
 */
export const ANSWER_WITHIN_MS = 2500;
const LATE = Symbol("late");

export interface Modal<M> {
  callbackId: string;
  /** Opens it for the click or command that gave `triggerId` (Slack allows 3 s). */
  open(client: webApi.WebClient, triggerId: string, meta: M): Promise<void>;
  view(meta: M): { type: "modal"; callback_id: string; title: { type: "plain_text"; text: string }; [key: string]: unknown };
  listener(deps: SlackDeps): (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => Promise<void>;
}

const SubmissionSchema = z.object({
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/), team_id: z.string().optional() }),
  team: z.object({ id: z.string() }).nullable().optional(),
  view: z.object({
    private_metadata: z.string().default("{}"),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullable().optional() }))) }),
  }),
});

export function defineModal<M, V>(spec: ModalSpec<M, V>): Modal<M> {
  const [firstField] = Object.keys(spec.fields);
  const view = (meta: M) => ({
    type: "modal" as const,
    callback_id: spec.callbackId,
    title: { type: "plain_text" as const, text: spec.title },
    submit: { type: "plain_text" as const, text: spec.submitLabel },
    close: { type: "plain_text" as const, text: "Cancel" },
    private_metadata: JSON.stringify(meta),
    blocks: [
      section(spec.intro(meta)),
      ...Object.entries(spec.fields).map(
        ([blockId, field]): SlackBlock => ({
          type: "input",
          block_id: blockId,
          label: { type: "plain_text", text: field.label },
          element: {
            type: "plain_text_input",
            action_id: "value",
            multiline: field.multiline ?? false,
            ...(field.maxLength ? { max_length: field.maxLength } : {}),
            ...(field.placeholder ? { placeholder: { type: "plain_text", text: field.placeholder } } : {}),
          },
          ...(field.hint ? { hint: { type: "plain_text", text: field.hint } } : {}),
        }),
      ),
    ],
  });
  return {
    callbackId: spec.callbackId,
    view,
    open: (client, triggerId, meta) => openView(client, triggerId, view(meta)),
    listener(deps) {
      return async function onSubmit({ ack, body, client }) {
        const refuse = (blockId: string, message: string) => ack({ response_action: "errors", errors: { [blockId]: message } });
        const parsed = SubmissionSchema.safeParse(body);
        const meta = parsed.success ? spec.meta.safeParse(safeJson(parsed.data.view.private_metadata)) : undefined;
        if (!parsed.success || !meta?.success) {
          deps.logger.warn({ callbackId: spec.callbackId }, "modal submission rejected");
          await refuse(firstField ?? "value", "This dialog did not come from Rookery; nothing changed.");
          return;
        }
        const input = Object.fromEntries(Object.keys(spec.fields).map((blockId) => [blockId, parsed.data.view.state.values[blockId]?.value?.value ?? ""]));
        const values = spec.values.safeParse(input);
        if (!values.success) {
          const issue = values.error.issues[0]!;
          await refuse(String(issue.path[0] ?? firstField), issue.message);
          return;
        }
        const userId = parsed.data.user.id;
        const teamId = parsed.data.team?.id ?? parsed.data.user.team_id ?? null;
        const recordRefusal = async (error: unknown) => {
          if (!(error instanceof RookeryError)) deps.logger.error({ err: error, callbackId: spec.callbackId }, "modal submission failed");
          await audit(deps.control, { actor: userId, teamId, action: `modal.${spec.callbackId}`, detail: { outcome: "refused", error: describeError(error) } }).catch(() => {});
        };
        const submitted = spec.submit(values.data, { meta: meta.data, userId, teamId, deps, client }).then(
          () => null,
          (error: unknown) => error ?? new Error("the submission failed"),
        );
        const early = await Promise.race([submitted, new Promise<typeof LATE>((resolve) => setTimeout(resolve, ANSWER_WITHIN_MS, LATE).unref())]);
        if (early !== LATE) {
          if (early === null) return void (await ack());
          await recordRefusal(early);
          await refuse(firstField ?? "value", describeError(early).slice(0, 1500));
          return;
        }
        await ack();
        const error = await submitted;
        if (error === null) return;
        await recordRefusal(error);
        const channel = spec.channelOf?.(meta.data);
        if (channel) await postEphemeral(client, { channel, user: userId }, errorMessage(error)).catch((failure) => deps.logger.warn({ err: failure }, "could not tell the user a late refusal"));
      };
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A line for a modal's intro: Rookery's words with `&<>` escaped. */
export function introLine(text: string): string {
  return escapeEntities(text);
}

/** A note at the bottom of a modal. */
export const modalNote = (text: string): SlackBlock => context(escapeEntities(text));
