import type { App } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import { appHomeOpened } from "./app-home-opened.ts";

/** Every Events API listener; adding one: a file with its listener, and one line here. */
export function registerEvents(app: App, deps: SlackDeps): void {
  app.event("app_home_opened", appHomeOpened(deps));
}
