import { WEEKDAYS } from "../config/index.ts";
import type { Environment } from "../config/index.ts";

export type DeploymentWindow = Environment["windows"][number];
type Weekday = (typeof WEEKDAYS)[number];

export interface WindowDecision {
  open: boolean;
  /** The earliest moment at or after `now` when a window opens; absent when open or no window ever opens. */
  nextOpen?: Date;
  /** The window that opens at `nextOpen`. */
  nextWindow?: DeploymentWindow;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock in `timeZone` at `instant`. */
function localTime(instant: Date, timeZone: string): LocalTime & { seconds: number } {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: parts.weekday!.toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    seconds: Number(parts.second),
  };
}

/** How far `timeZone` is ahead of UTC at `instant`, in ms. */
function zoneOffset(instant: Date, timeZone: string): number {
  const local = localTime(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes, local.seconds);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows this date and time, corrected for a DST
 * change between the guess and the answer. A time the clocks skip (New York 02:30 on the spring-forward
 * Sunday) never shows: the answer is then the first instant the clock is past it, the end of the gap
 * (03:00 EDT), which is when a window starting then really opens.
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const wallAt = (instant: number) => instant + zoneOffset(new Date(instant), timeZone);
  const first = wall - zoneOffset(new Date(wall), timeZone);
  const second = wall - zoneOffset(new Date(first), timeZone);
  if (wallAt(second) === wall) return new Date(second);
  if (wallAt(first) === wall) return new Date(first);
  // In the gap: one guess shows a time before it, the other one after; the clock jumps between them.
  let before = Math.min(first, second);
  let after = Math.max(first, second);
  while (after - before > 60_000) {
    const middle = before + Math.floor((after - before) / 120_000) * 60_000;
    if (wallAt(middle) >= wall) after = middle;
    else before = middle;
  }
  return new Date(after);
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(":").map(Number);
  return hours! * 60 + minutes!;
}

function previousWeekday(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + WEEKDAYS.length - 1) % WEEKDAYS.length]!;
}

/**
 * Whether `now` falls in the window. A window whose `to` is not after `from` runs past midnight:
 * it opens on one of its days at `from` and closes the next day at `to`.
 */
export function isInsideWindow(window: DeploymentWindow, now: Date): boolean {
  const local = localTime(now, window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const days = window.days as readonly Weekday[];
  if (from < to) return days.includes(local.weekday) && local.minutes >= from && local.minutes < to;
  return (
    (days.includes(local.weekday) && local.minutes >= from) ||
    (days.includes(previousWeekday(local.weekday)) && local.minutes < to)
  );
}

/** The calendar date `ahead` days after a local date, with its weekday (calendar arithmetic, so DST cannot skip a day). */
function dateAfter(local: LocalTime, ahead: number): { year: number; month: number; day: number; weekday: Weekday } {
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day + ahead));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: WEEKDAYS[(date.getUTCDay() + 6) % 7]!,
  };
}

/** The next time this window opens after `now`, looking a little over a week ahead. */
export function nextOpening(window: DeploymentWindow, now: Date): Date | undefined {
  const days = window.days as readonly Weekday[];
  const from = minutesOf(window.from);
  const today = localTime(now, window.timeZone);
  for (let ahead = 0; ahead <= 8; ahead++) {
    const date = dateAfter(today, ahead);
    if (!days.includes(date.weekday)) continue;
    const opening = instantOf(date.year, date.month, date.day, from, window.timeZone);
    if (opening.getTime() > now.getTime()) return opening;
  }
  return undefined;
}

/** No windows configured means always open; otherwise open inside any window, else the earliest next opening. */
export function checkWindows(windows: readonly DeploymentWindow[], now: Date): WindowDecision {
  if (windows.length === 0 || windows.some((window) => isInsideWindow(window, now))) return { open: true };
  let next: { at: Date; window: DeploymentWindow } | undefined;
  for (const window of windows) {
    const at = nextOpening(window, now);
    if (at && (!next || at.getTime() < next.at.getTime())) next = { at, window };
  }
  return next ? { open: false, nextOpen: next.at, nextWindow: next.window } : { open: false };
}

/** "mon-fri 09:00-17:00 Europe/Berlin", for refusals and help. */
export function describeWindow(window: DeploymentWindow): string {
  return `${window.days.join(",")} ${window.from}-${window.to} ${window.timeZone}`;
}

/** A time both people and logs read the same way: "2025-11-03 09:00 Europe/Berlin (08:00 UTC)". */
export function formatInZone(instant: Date, timeZone: string): string {
  const local = localTime(instant, timeZone);
  const pad = (value: number) => String(value).padStart(2, "0");
  const clock = (minutes: number) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  const text = `${local.year}-${pad(local.month)}-${pad(local.day)} ${clock(local.minutes)} ${timeZone}`;
  if (timeZone === "UTC") return text;
  return `${text} (${instant.toISOString().slice(11, 16)} UTC)`;
}

/** Refusal text for a closed window, or undefined when open. */
export function windowRefusal(windows: readonly DeploymentWindow[], now: Date): { reason: string; nextOpen?: Date } | undefined {
  const decision = checkWindows(windows, now);
  if (decision.open) return undefined;
  const allowed = windows.map(describeWindow).join("; ");
  const next =
    decision.nextOpen && decision.nextWindow
      ? `; next window opens ${formatInZone(decision.nextOpen, decision.nextWindow.timeZone)}`
      : "";
  return { reason: `outside the deployment windows (${allowed})${next}`, nextOpen: decision.nextOpen };
}
