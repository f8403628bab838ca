import { randomBytes } from "node:crypto";
import type { Config } from "../config/index.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { GET_A_REDIS_HINT, redisAnswers } from "../queue/connection.ts";
import { startRookery, type RunningRookery } from "../main.ts";
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from "./fake-slack-api.ts";
import { renderBlocks, type RenderedButton } from "./render.ts";
import { SignedSlackSender } from "./signed-requests.ts";
import { DEFAULT_SHELL_USER } from "./defaults.ts";

export const SHELL_CHANNEL = "CSHELL";
export const SHELL_TEAM = "TSHELL";
export { DEFAULT_SHELL_USER };

interface ClickTarget extends RenderedButton {
  channel: string;
  ts: string;
}

export interface ShellOptions {
  /** Where rendered text goes (a terminal, or a test's buffer). */
  write(text: string): void;
  userId?: string;
  /** Run the worker and scheduler in-process: "auto" when Redis answers (default). */
  jobs?: boolean | "auto";
  logger?: Logger;
}

const HELP = `Type:
  /migrate <subcommand>   as the current user (try /migrate help)
  /as <USER_ID>           switch user, e.g. /as UAPPROVER1
  click <n>               click button [n]
  home                    open your Home tab (each environment, what waits for your approval)
  cancel                  close an open dialog without submitting it
  quit                    leave
When a dialog opens (a reason to give, a confirmation), type each field's value on its own line.`;

/** A modal the app opened, being filled in line by line. */
interface OpenDialog {
  view: Record<string, unknown>;
  fields: { blockId: string; label: string }[];
  values: Record<string, string>;
  /** The field the next line fills. */
  next: number;
}

function dialogFields(view: Record<string, unknown>): OpenDialog["fields"] {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as { type?: string; block_id?: string; label?: { text?: string } }[]) : [];
  return blocks.filter((block) => block.type === "input" && block.block_id).map((block) => ({ blockId: block.block_id!, label: block.label?.text ?? block.block_id! }));
}

/** How long quit waits for the answers of the commands typed before it. */
const ANSWER_WAIT_MS = 30_000;

/**
 * Rookery's Slack app without a Slack workspace: the real Bolt app in HTTP mode on a loopback port,
 * driven by signed requests exactly as Slack sends them, with the fake Slack Web API rendering to
 * text whatever the app posts, updates or answers.
 */
export class ShellSession {
  private userId: string;
  private readonly buttons = new Map<number, ClickTarget>();
  private nextButton = 1;
  /** The lines last shown for each message, so an update shows what changed. */
  private readonly shown = new Map<string, string[]>();
  private dialog: OpenDialog | undefined;
  /** Commands sent and not answered yet (the app acks at once and answers later): quit waits for them. */
  private unanswered: (() => void)[] = [];
  private readonly answered: Promise<void>[] = [];

  private constructor(
    private readonly options: ShellOptions,
    private readonly fake: FakeSlackApi,
    private readonly rookery: RunningRookery,
    private readonly sender: SignedSlackSender,
    readonly jobsRunning: boolean,
  ) {
    this.userId = options.userId ?? DEFAULT_SHELL_USER;
    fake.onCall((call) => {
      this.render(call);
      for (const answer of this.unanswered.splice(0)) answer();
    });
  }

  static async start(config: Config, options: ShellOptions): Promise<ShellSession> {
    const logger = options.logger ?? createLogger({ level: "warn", name: "rookery-shell" });
    const jobs = options.jobs === "auto" || options.jobs === undefined ? await redisAnswers(config.redisUrl) : options.jobs;
    const fake = await startFakeSlackApi({ teamId: SHELL_TEAM });
    const signingSecret = randomBytes(16).toString("hex");
    const local: Config = { ...config, slack: { botToken: "xoxb-local-shell", signingSecret, apiUrl: fake.apiUrl } };
    let rookery: RunningRookery;
    try {
      rookery = await startRookery(local, { port: 0, jobs, logger });
    } catch (error) {
      await fake.close();
      throw error;
    }
    const sender = new SignedSlackSender(`http://127.0.0.1:${rookery.port}/slack/events`, signingSecret);
    return new ShellSession(options, fake, rookery, sender, jobs);
  }

  get user(): string {
    return this.userId;
  }

  banner(): string {
    const jobs = this.jobsRunning
      ? "Jobs run here (worker and scheduler started; Redis answers)."
      : this.options.jobs === false
        ? "Jobs do not run here (--no-jobs): approved requests wait in the outbox for a `rookery worker`."
        : `Redis does not answer: approved requests wait in the outbox until a worker runs.\n${GET_A_REDIS_HINT}`;
    return `Rookery local shell: the real Slack app, no workspace needed. You are ${this.userId} in #migrations.\n${jobs}\n${HELP}\n`;
  }

  /** One line typed by the user. Returns false when the user asked to leave. */
  async handle(line: string): Promise<boolean> {
    const input = line.trim();
    if (input === "") return true;
    if (input === "quit" || input === "exit") return false;
    if (input === "help") return this.say(HELP);
    if (this.dialog) return this.fillDialog(input);
    if (input === "home") {
      const reply = await this.sender.event({ teamId: SHELL_TEAM, event: { type: "app_home_opened", user: this.userId, channel: "DSHELL", tab: "home", event_ts: `${Date.now() / 1000}` } });
      if (reply.status !== 200) this.say(`The app answered HTTP ${reply.status}.`);
      return true;
    }
    const as = /^\/as\s+(\S+)$/.exec(input);
    if (as) {
      if (!/^[UW][A-Z0-9]{2,}$/.test(as[1]!)) return this.say(`"${as[1]}" is not a Slack user id; they look like UAPPROVER1.`);
      this.userId = as[1]!;
      return this.say(`You are now ${this.userId}.`);
    }
    if (input === "/migrate" || input.startsWith("/migrate ")) {
      this.answered.push(new Promise((resolve) => this.unanswered.push(resolve)));
      const { url } = this.fake.newResponseUrl();
      const reply = await this.sender.slashCommand({
        userId: this.userId,
        teamId: SHELL_TEAM,
        channelId: SHELL_CHANNEL,
        text: input.slice("/migrate".length).trim(),
        responseUrl: url,
      });
      if (reply.status !== 200) this.say(`The app answered HTTP ${reply.status}.`);
      return true;
    }
    const click = /^click\s+(\d+)$/.exec(input);
    if (click) return this.click(Number(click[1]));
    return this.say(`Not understood: "${input}".\n${HELP}`);
  }

  private async click(number: number): Promise<boolean> {
    const target = this.buttons.get(number);
    if (!target) return this.say(`There is no button [${number}].`);
    const { url } = this.fake.newResponseUrl();
    const reply = await this.sender.clickButton({
      userId: this.userId,
      teamId: SHELL_TEAM,
      actionId: target.actionId,
      value: target.value,
      channelId: target.channel,
      messageTs: target.ts,
      responseUrl: url,
    });
    if (reply.status !== 200) this.say(`The app answered HTTP ${reply.status}.`);
    else this.say(`(${this.userId} clicked "${target.text}")`);
    return true;
  }

  /** One line of an open dialog: the next field's value, or `cancel`; the last field submits it. */
  private async fillDialog(input: string): Promise<boolean> {
    const dialog = this.dialog!;
    if (input === "cancel") {
      this.dialog = undefined;
      return this.say("(dialog closed; nothing was submitted)");
    }
    const field = dialog.fields[dialog.next]!;
    dialog.values[field.blockId] = input;
    dialog.next += 1;
    if (dialog.next < dialog.fields.length) return this.say(`${dialog.fields[dialog.next]!.label}:`);
    const reply = await this.sender.submitView({ userId: this.userId, teamId: SHELL_TEAM, view: dialog.view, values: dialog.values });
    const ack = reply.body ? (JSON.parse(reply.body) as { response_action?: string; errors?: Record<string, string> }) : {};
    if (ack.response_action === "errors" && ack.errors) {
      // Slack shows the errors under their fields and keeps the dialog open: so does the shell.
      const [blockId, message] = Object.entries(ack.errors)[0]!;
      dialog.next = Math.max(0, dialog.fields.findIndex((candidate) => candidate.blockId === blockId));
      return this.say(`⚠️ ${message}
${dialog.fields[dialog.next]!.label}:`);
    }
    this.dialog = undefined;
    return this.say(reply.status === 200 ? "(submitted)" : `The app answered HTTP ${reply.status}.`);
  }

  private renderDialog(view: Record<string, unknown>): void {
    const fields = dialogFields(view);
    const title = (view.title as { text?: string } | undefined)?.text ?? "Dialog";
    const intro = renderBlocks("", (view.blocks as unknown[]).filter((block) => (block as { type?: string }).type !== "input"), this.nextButton).lines;
    this.dialog = { view, fields, values: {}, next: 0 };
    this.say([`── dialog: ${title} ──`, ...intro, "(type each value on its own line; `cancel` closes it)", `${fields[0]?.label ?? "value"}:`].join("\n"));
  }

  private renderHome(view: Record<string, unknown>): void {
    const { lines, buttons } = renderBlocks("", view.blocks, this.nextButton);
    for (const button of buttons) this.buttons.set(this.nextButton++, { ...button, channel: SHELL_CHANNEL, ts: "home" });
    this.say(["── your Home tab ──", ...lines].join("\n"));
  }

  private say(text: string): true {
    this.options.write(`${text}\n`);
    return true;
  }

  private render(call: RecordedCall): void {
    if (call.method === "views.open" && call.response.ok === true) return this.renderDialog(call.response.view as Record<string, unknown>);
    if (call.method === "views.publish" && call.response.ok === true) return this.renderHome(call.body.view as Record<string, unknown>);
    if (call.method === "files.completeUploadExternal" && call.response.ok === true) {
      const [file] = (call.response.files as { title?: string }[] | undefined) ?? [];
      this.say(`${call.body.thread_ts ? "    ↳ in thread " : ""}── picture: ${file?.title ?? "chart"} (a PNG; Slack shows it inline) ──`);
      return;
    }
    const where = this.describe(call);
    if (!where) return;
    const channel = String(call.body.channel ?? call.response.channel ?? SHELL_CHANNEL);
    const ts = String(call.method === "chat.update" ? call.body.ts : (call.response.ts ?? ""));
    const { lines, buttons } = renderBlocks(String(call.body.text ?? ""), call.body.blocks, this.nextButton);
    for (const button of buttons) this.buttons.set(this.nextButton++, { ...button, channel, ts });
    const indent = call.body.thread_ts ? "    " : "";
    // An update repeats the message; the terminal shows its title and what changed, as Slack would redraw it.
    const key = `${channel}/${ts}`;
    const before = this.shown.get(key);
    this.shown.set(key, lines);
    const shown = call.method === "chat.update" && before ? [lines[0] ?? "", ...lines.slice(1).filter((line) => !before.includes(line))] : lines;
    this.say([where, ...shown].map((text) => `${indent}${text}`).join("\n"));
  }

  private describe(call: RecordedCall): string | undefined {
    switch (call.method) {
      case "response_url":
        return call.body.response_type === "ephemeral" ? "── only you see this ──" : "── rookery ──";
      case "chat.postMessage":
        return call.body.thread_ts ? "↳ in thread" : `── rookery in #${call.body.channel === SHELL_CHANNEL ? "migrations" : String(call.body.channel)} ──`;
      case "chat.update":
        return "── message updated ──";
      case "chat.postEphemeral":
        return "── only you see this ──";
      default:
        return undefined;
    }
  }

  /**
   * Leaves once every command typed has had its first answer (at most ANSWER_WAIT_MS): input piped in
   * (`printf '/migrate status\nquit\n' | npm start`) quits before the app has answered, and stopping the
   * app then lost the answer.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.answered), new Promise((resolve) => (timer = setTimeout(resolve, ANSWER_WAIT_MS)))]);
    clearTimeout(timer);
    await this.rookery.stop();
    await this.fake.close();
  }
}
