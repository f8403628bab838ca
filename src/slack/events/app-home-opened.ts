import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import { describeError } from "../../errors.ts";
import type { SlackDeps } from "../deps.ts";
import { publishHomeFor, rememberHomeViewer } from "../home.ts";

/** `app_home_opened` on the Home tab: publish it afresh and keep it fresh while Rookery runs. */
export function appHomeOpened(deps: SlackDeps) {
  return async function onAppHomeOpened({ event, client }: SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs): Promise<void> {
    if (event.tab !== "home") return;
    rememberHomeViewer(deps, client, event.user);
    try {
      await publishHomeFor(deps, client, event.user);
    } catch (error) {
      deps.logger.warn({ err: describeError(error), userId: event.user }, "could not publish the Home tab");
    }
  };
}
