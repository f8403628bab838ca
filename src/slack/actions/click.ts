import type { AllMiddlewareArgs, SlackActionMiddlewareArgs, webApi } from "@slack/bolt";
import * as z from "zod";
import { describeError, RookeryError } from "../../errors.ts";
import { audit, getRequest, setMessageRef, type ChangeRequest } from "../../requests/index.ts";
import type { SlackDeps } from "../deps.ts";
import { respondWith } from "../send.ts";
import type { SlackMessage } from "../views/blocks.ts";
import { errorMessage, noticeMessage } from "../views/error-message.ts";

/** The parts of a block_actions payload a click relies on; the button value must be a request id. */
const ButtonClickSchema = z.object({
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/), team_id: z.string().optional() }),
  team: z.object({ id: z.string().min(1) }).nullable().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.uuid() })).min(1),
  trigger_id: z.string().min(1).optional(),
  // Where the button is; read on its own (MessageContainerSchema), so an odd one never refuses the click.
  container: z.unknown().optional(),
});

/** A button on a message in a channel: its ts, its thread's, whether only the clicker sees it. */
const MessageContainerSchema = z.object({
  type: z.literal("message"),
  message_ts: z.string().regex(/^\d+\.\d+$/),
  channel_id: z.string().regex(/^[CGD][A-Z0-9]+$/),
  thread_ts: z.string().optional(),
  is_ephemeral: z.boolean().optional(),
});

type ButtonClick = z.infer<typeof ButtonClickSchema>;

/**
 * The request message a click came from, when it came from one: a request's buttons sit on its own
 * message in the channel (never on a thread reply or an ephemeral answer) and on Home tabs (a view).
 */
function requestMessageOf(click: ButtonClick): { channelId: string; messageTs: string } | undefined {
  const container = MessageContainerSchema.safeParse(click.container);
  if (!container.success || container.data.is_ephemeral || container.data.thread_ts) return undefined;
  return { channelId: container.data.channel_id, messageTs: container.data.message_ts };
}

export interface Click {
  userId: string;
  teamId: string | null;
  requestId: string;
  /** Opens a modal within 3 s of the click (Reject's reason). */
  triggerId?: string;
}

export interface ClickContext {
  click: Click;
  request: ChangeRequest;
  deps: SlackDeps;
  client: webApi.WebClient;
  /** Tells only the person who clicked. */
  tell(message: SlackMessage): Promise<void>;
}

export type ClickHandler = (context: ClickContext) => Promise<{ outcome: string; detail?: Record<string, unknown> }>;

type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;

/**
 * Wraps one button's handler: acknowledge at once, validate the payload, load the request, audit the
 * click with its outcome, and turn any refusal into an ephemeral answer that says why nothing changed.
 */
export function buttonListener(action: string, deps: SlackDeps, handler: ClickHandler) {
  return async function onClick({ ack, body, respond, client }: ActionArgs): Promise<void> {
    await ack();
    const tell = (message: SlackMessage) => respondWith(respond, message, "ephemeral");
    const parsed = ButtonClickSchema.safeParse(body);
    if (!parsed.success) {
      deps.logger.warn({ action, issues: parsed.error.issues.length }, "button payload rejected");
      await tell(noticeMessage("This button does not belong to a Rookery request; nothing changed."));
      return;
    }
    const click: Click = {
      userId: parsed.data.user.id,
      teamId: parsed.data.team?.id ?? parsed.data.user.team_id ?? null,
      requestId: parsed.data.actions[0]!.value,
      ...(parsed.data.trigger_id ? { triggerId: parsed.data.trigger_id } : {}),
    };
    const record = (outcome: string, detail: Record<string, unknown> = {}) =>
      audit(deps.control, { actor: click.userId, teamId: click.teamId, action: `button.${action}`, requestId: click.requestId, detail: { outcome, ...detail } }).catch(
        (error) => deps.logger.error({ err: error }, "could not write the audit log"),
      );
    try {
      const request = await getRequest(deps.control, click.requestId);
      if (!request) {
        await record("unknown_request");
        await tell(noticeMessage("This request no longer exists; nothing changed."));
        return;
      }
      // A click can beat chat.postMessage's reply to the app, before the message's ts is stored: without it,
      // the message would never show what the click did. The click says where the message is.
      const message = request.messageTs ? undefined : requestMessageOf(parsed.data);
      if (message) {
        await setMessageRef(deps.control, request.id, message.channelId, message.messageTs, { ifUnset: true });
        Object.assign(request, message);
      }
      const result = await handler({ click, request, deps, client, tell });
      await record(result.outcome, result.detail);
    } catch (error) {
      if (!(error instanceof RookeryError)) deps.logger.error({ err: error, action }, "button failed");
      await record("error", { error: describeError(error) });
      await tell(errorMessage(error)).catch(() => {});
    }
  };
}
