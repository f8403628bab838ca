import path from "node:path";
import { writeFileSync } from "node:fs";
import { stringify as stringifyYaml } from "yaml";
import { scratchFolder } from "./cli.ts";

/** A rookery.config.yml with these environments, in a folder of the test file's own; returns its path. */
export function configFile(environments: Record<string, Record<string, unknown>>): string {
  const file = path.join(scratchFolder(), "rookery.config.yml");
  writeFileSync(file, stringifyYaml({ environments }));
  return file;
}
