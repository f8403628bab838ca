import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.ts";
import { configFile } from "./support/config-file.ts";
import { checkWindows, isInsideWindow, nextOpening, windowRefusal, type DeploymentWindow } from "../src/policy/windows.ts";

const weekdaysBerlin: DeploymentWindow = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00", timeZone: "Europe/Berlin" };

describe("deployment windows", () => {
  it("is open inside a window, in the window's time zone", () => {
    // Wednesday 2025-11-05 10:30 in Berlin is 09:30 UTC (CET = UTC+1).
    expect(isInsideWindow(weekdaysBerlin, new Date("2025-11-05T09:30:00Z"))).toBe(true);
    // 16:30 UTC is 17:30 in Berlin: closed, although 16:30 would be inside a UTC window.
    expect(isInsideWindow(weekdaysBerlin, new Date("2025-11-05T16:30:00Z"))).toBe(false);
    expect(checkWindows([weekdaysBerlin], new Date("2025-11-05T09:30:00Z"))).toEqual({ open: true });
  });

  it("on Friday evening the next opening is Monday 09:00 local time", () => {
    const fridayEvening = new Date("2025-11-07T18:00:00Z");
    const decision = checkWindows([weekdaysBerlin], fridayEvening);
    expect(decision.open).toBe(false);
    expect(decision.nextOpen?.toISOString()).toBe("2025-11-10T08:00:00.000Z");
  });

  it("follows daylight saving: the Monday after the clocks go back opens an hour later in UTC", () => {
    // Berlin leaves summer time on Sunday 2025-10-26; Friday 24th 09:00 was 07:00 UTC, Monday 27th 09:00 is 08:00 UTC.
    expect(nextOpening(weekdaysBerlin, new Date("2025-10-24T06:00:00Z"))?.toISOString()).toBe("2025-10-24T07:00:00.000Z");
    expect(nextOpening(weekdaysBerlin, new Date("2025-10-24T18:00:00Z"))?.toISOString()).toBe("2025-10-27T08:00:00.000Z");
  });

  it("a window that starts in the spring-forward gap opens when the clocks jump past it", () => {
    // New York skips 02:00-03:00 on Sunday 2026-03-08: a 02:00 window opens at 03:00 EDT (07:00 UTC), not at 01:00 EST.
    const newYork: DeploymentWindow = { days: ["sun"], from: "02:00", to: "04:00", timeZone: "America/New_York" };
    const saturday = new Date("2026-03-07T12:00:00Z");
    expect(nextOpening(newYork, saturday)?.toISOString()).toBe("2026-03-08T07:00:00.000Z");
    expect(windowRefusal([newYork], saturday)?.reason).toContain("next window opens 2026-03-08 03:00 America/New_York (07:00 UTC)");
    expect(isInsideWindow(newYork, new Date("2026-03-08T07:00:00Z"))).toBe(true);
    // Berlin skips 02:00-03:00 on Sunday 2026-03-29: 02:30 opens at 03:00 CEST (01:00 UTC), not 03:30.
    const berlin: DeploymentWindow = { days: ["sun"], from: "02:30", to: "05:00", timeZone: "Europe/Berlin" };
    expect(nextOpening(berlin, new Date("2026-03-28T12:00:00Z"))?.toISOString()).toBe("2026-03-29T01:00:00.000Z");
    // An ordinary Sunday is unchanged.
    expect(nextOpening(berlin, new Date("2026-04-04T12:00:00Z"))?.toISOString()).toBe("2026-04-05T00:30:00.000Z");
  });

  it("a window past midnight stays open into the next day, and the earliest of several windows wins", () => {
    const nightly: DeploymentWindow = { days: ["sat"], from: "22:00", to: "02:00", timeZone: "America/New_York" };
    // Sunday 2025-11-09 01:00 in New York (EST, UTC-5) is 06:00 UTC: still Saturday's window.
    expect(isInsideWindow(nightly, new Date("2025-11-09T06:00:00Z"))).toBe(true);
    expect(isInsideWindow(nightly, new Date("2025-11-09T08:00:00Z"))).toBe(false);
    const tokyoMornings: DeploymentWindow = { days: ["mon"], from: "10:00", to: "12:00", timeZone: "Asia/Tokyo" };
    // From Sunday 08:00 UTC: Tokyo Monday 10:00 is Monday 01:00 UTC, before New York's next Saturday.
    const decision = checkWindows([nightly, tokyoMornings], new Date("2025-11-09T08:00:00Z"));
    expect(decision.nextOpen?.toISOString()).toBe("2025-11-10T01:00:00.000Z");
    expect(decision.nextWindow).toBe(tokyoMornings);
  });

  it("no windows configured means always open", () => {
    expect(checkWindows([], new Date("2025-11-08T03:00:00Z"))).toEqual({ open: true });
    expect(windowRefusal([], new Date("2025-11-08T03:00:00Z"))).toBeUndefined();
  });

  it("the refusal names the windows and the next open time in local and UTC time", () => {
    const refusal = windowRefusal([weekdaysBerlin], new Date("2025-11-08T12:00:00Z"));
    expect(refusal?.reason).toBe(
      "outside the deployment windows (mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin); next window opens 2025-11-10 09:00 Europe/Berlin (08:00 UTC)",
    );
    expect(refusal?.nextOpen?.toISOString()).toBe("2025-11-10T08:00:00.000Z");
  });

  it("a config with an unknown time zone is refused naming the key", () => {
    const file = configFile({
      production: {
        databaseUrl: "postgres://x@127.0.0.1/db",
        windows: [{ days: ["mon"], from: "09:00", to: "17:00", timeZone: "Mars/Olympus" }],
      },
    });
    expect(() => loadConfig({ env: {}, configFile: file })).toThrow(/windows\.0\.timeZone: an IANA time zone/);
  });
});
