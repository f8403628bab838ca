import type { TargetResult } from "../../src/targets/index.ts";

/**
 * A fleet `tenants` of `count` databases as the Slack builders receive it, for limit tests: `report(index)`
 * is each database's report; null makes it unreadable, with a long error holding a broadcast mention.
 */
export function fleetResults<R>(count: number, report: (index: number) => R | null): TargetResult<R>[] {
  return [
    {
      target: "tenants",
      kind: "fleet",
      databases: Array.from({ length: count }, (_, index) => ({
        database: `tenant-${index}`,
        where: `127.0.0.1:5432/tenant_${index}`,
        report: report(index),
        error: report(index) ? null : `connect ECONNREFUSED 127.0.0.1:1 *bold* <!channel> ${"x".repeat(400)}`,
      })),
    },
  ];
}
