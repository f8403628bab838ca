import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import * as z from "zod";
import type { Environment } from "../config/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { withClient } from "../db/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { redactUrl } from "../log/redact-url.ts";
import type { RunContext } from "./types.ts";

/** One pg_dump file in the environment's backupDir. */
export interface BackupFile {
  name: string;
  path: string;
  sizeBytes: number;
  createdAt: string;
  /** SHA-256 hex of the file, when just taken (also in its 'backup' event). */
  sha256?: string;
}

/** A dump being written: renamed to its .dump name only once `pg_restore --list` read it back. */
const PARTIAL = ".partial";

export class BackupFailedError extends RookeryError {
  constructor(environment: Environment, reason: string) {
    super(`the backup of ${environment.name} failed, so nothing was applied: ${reason}`, {
      hint: `Check backupDir (${environment.backupDir}) is a writable folder and pg_dump can reach the database, then try again.`,
    });
  }
}

/**
 * The URL without its password, and the password for the child's PGPASSWORD:
 * a password on a command line is visible to every user of the machine through `ps`.
 */
export function pgToolConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env };
}

/**
 * What a tool said went wrong: its `<tool>: error:` lines, else the last three lines of stderr. pg_restore
 * follows its error with the statement that failed (`Command was: CREATE FUNCTION ...`, many lines), so the
 * last lines alone are the tail of that statement (`END; $$;`), not the error.
 */
function toolWords(tool: string, stderr: Buffer): string {
  const lines = stderr.toString("utf8").trim().split("\n");
  const errors = lines.filter((line) => line.startsWith(`${tool}: error:`));
  return (errors.length > 0 ? errors : lines.slice(-3)).join(" ").trim() || "no message";
}

/** Runs pg_dump, pg_restore or psql; a non-zero exit becomes an error carrying the tool's own words. */
export function runPgTool(tool: "pg_dump" | "pg_restore" | "psql", args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error) => reject(new Error(`${tool} could not be started: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else {
        reject(new Error(`${tool} exited with ${code}: ${toolWords(tool, Buffer.concat(err))}`));
      }
    });
  });
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

const BACKUP_NAME = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a backup name as `rookery backup list` shows it (letters, digits, _ . -)");

function backupDirOf(environment: Environment): string {
  return path.resolve(environment.backupDir);
}

/**
 * A dump's name up to its label: `<env>_` for the environment's database, `<env>.<database>_` for one of
 * its targets' databases (a fleet's, say), so the databases of one environment, which share backupDir and
 * often take their dumps in the same second, neither overwrite nor prune nor clean up each other's dumps.
 * An environment name holds no `.`, so `prod.x_` is never another environment's.
 */
function dumpPrefix(environment: Environment): string {
  const database = environment.backupDatabase?.replace(/[^A-Za-z0-9-]/g, "-");
  return database ? `${environment.name}.${database}_` : `${environment.name}_`;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The environment's dumps (with those of its targets' databases, `all`) as takeBackup names them:
 * `production_before_…` is production's, `production_eu_before_…` is not.
 */
function isDumpOf(environment: Environment, name: string, { all, partial }: { all: boolean; partial: boolean }): boolean {
  const owner = all ? `${escapeRegExp(environment.name)}(?:\\.[A-Za-z0-9-]+)?_` : escapeRegExp(dumpPrefix(environment));
  return new RegExp(`^${owner}before_[0-9]{8}_[0-9]{6}_[0-9]{8}T[0-9]{6}Z\\.dump${partial ? escapeRegExp(PARTIAL) : ""}$`).test(name);
}

/**
 * pg_dump writing to our stdout pipe, which this process writes to `file`: should this process die
 * (SIGKILL), pg_dump's next write fails on the closed pipe and it exits, so no orphan goes on writing a
 * dump that no event records. Returns the size and SHA-256 of what was written.
 */
async function dumpInto(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ sizeBytes: number; sha256: string }> {
  const child = spawn("pg_dump", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const err: Buffer[] = [];
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (error) => reject(new Error(`pg_dump could not be started: ${error.message}`)));
    child.on("close", (code) => resolve(code));
  });
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(child.stdout, measure, createWriteStream(file, { flags: "wx" }));
  } catch (error) {
    child.kill("SIGKILL");
    await exited.catch(() => {});
    throw error;
  }
  const code = await exited;
  if (code !== 0) {
    throw new Error(`pg_dump exited with ${code}: ${toolWords("pg_dump", Buffer.concat(err))}`);
  }
  return { sizeBytes, sha256: hash.digest("hex") };
}

/**
 * Dumps left by a run that died (a worker killed mid-backup). Backups of one environment are taken
 * under its migration lock, so a partial file of the environment found by the lock's holder belongs
 * to nobody alive.
 */
function removeAbandonedDumps(environment: Environment, dir: string): void {
  for (const name of readdirSafe(dir)) {
    if (isDumpOf(environment, name, { all: false, partial: true })) rmSync(path.join(dir, name), { force: true });
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * A custom-format pg_dump of the environment's database, written under a temporary name, checked by
 * reading its table of contents back with `pg_restore --list` (a file that cannot be listed cannot be
 * restored either), then renamed: a dump cut short (a full disk) never looks like a backup, and its
 * partial file is deleted so it does not keep the disk full.
 */
export async function takeBackup(environment: Environment, label: string, now = new Date()): Promise<BackupFile> {
  const dir = backupDirOf(environment);
  const safeLabel = label.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);
  const name = `${dumpPrefix(environment)}${safeLabel}_${timestamp(now)}.dump`;
  const file = path.join(dir, name);
  const partial = `${file}${PARTIAL}`;
  let written: { sizeBytes: number; sha256: string };
  try {
    mkdirSync(dir, { recursive: true });
    removeAbandonedDumps(environment, dir);
    const { dbname, env } = pgToolConnection(environment.databaseUrl);
    // A table held by someone else must fail the backup, not hang the run while it holds the migration lock.
    const lockWait = `--lock-wait-timeout=${Math.round(environment.statementTimeout)}`;
    written = await dumpInto(partial, ["--format=custom", "--no-password", lockWait, `--dbname=${dbname}`], env);
    await runPgTool("pg_restore", ["--list", partial], env);
    renameSync(partial, file);
  } catch (error) {
    try {
      rmSync(partial, { force: true });
    } catch {
      // backupDir itself is unusable (not a folder): there is no partial file.
    }
    throw new BackupFailedError(environment, scrub((error as Error).message, environment.databaseUrl));
  }
  return { name, path: file, sizeBytes: written.sizeBytes, sha256: written.sha256, createdAt: now.toISOString() };
}

/**
 * Keeps the newest `backupKeep` dumps of the environment (a count) or those younger than it (an
 * age); the one just taken always stays. Returns the names deleted.
 */
export function pruneBackups(environment: Environment, keepName: string, now = new Date()): string[] {
  const keep = environment.backupKeep;
  if (keep === undefined) return [];
  const backups = listBackups(environment, { all: false });
  const doomed = typeof keep === "number"
    ? backups.slice(keep)
    : backups.filter((backup) => now.getTime() - Date.parse(backup.createdAt) > keep.maxAgeMs);
  const deleted: string[] = [];
  for (const backup of doomed) {
    if (backup.name === keepName) continue;
    rmSync(backup.path, { force: true });
    deleted.push(backup.name);
  }
  return deleted;
}

/** Tool messages may quote the connection string; never pass its password on. */
function scrub(message: string, url: string): string {
  const password = (() => {
    try {
      return decodeURIComponent(new URL(url).password);
    } catch {
      return "";
    }
  })();
  return password ? message.split(password).join("***") : message;
}

/**
 * The engine's backup step: one dump before the first migration of a run, recorded as a 'backup'
 * event and shown to whoever watches the run (the Slack thread shows the path and size).
 */
export async function backupBeforeApply(ctx: RunContext, client: pg.ClientBase, versions: string[]): Promise<BackupFile | undefined> {
  if (!ctx.environment.backup || versions.length === 0) return undefined;
  // pg_dump may run longer than the session may sit idle: the session keeps itself alive (src/session/session.ts).
  const backup = await takeBackup(ctx.environment, `before_${versions[0]}`);
  const pruned = pruneBackups(ctx.environment, backup.name);
  await client.query(
    inLedgerSchema(`INSERT INTO public.migration_events (version, event, actor, detail, migration_type, success)
     VALUES ($1, 'backup', $2, $3, 'backup', true)`, ctx.environment.ledgerSchema),
    [versions[0], ctx.actor, JSON.stringify({ name: backup.name, path: backup.path, sizeBytes: backup.sizeBytes, sha256: backup.sha256, verified: true, versions, pruned })],
  );
  await ctx.onProgress?.({
    step: "backup",
    version: versions[0],
    message: `backup ${backup.name} taken (${formatBytes(backup.sizeBytes)}) at ${backup.path}`,
    detail: { name: backup.name, path: backup.path, sizeBytes: backup.sizeBytes },
  });
  return backup;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** The environment's dumps, newest first: with its targets' databases' (`all`, the default), or this database's only. */
export function listBackups(environment: Environment, { all = true }: { all?: boolean } = {}): BackupFile[] {
  const dir = backupDirOf(environment);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    // Only renamed, hence verified, dumps end in .dump; one being written ends in .dump.partial.
    .filter((name) => isDumpOf(environment, name, { all, partial: false }))
    .map((name) => {
      const file = path.join(dir, name);
      const stat = statSync(file);
      return { name, path: file, sizeBytes: stat.size, createdAt: stat.mtime.toISOString() };
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
}

/**
 * Which database a URL reaches, as the server itself says: the cluster's system_identifier and the
 * database's oid. Two URLs that look nothing alike (localhost over TCP, the Unix socket, another host
 * name or port for the same server) reach the same database exactly when these match.
 */
async function databaseIdentity(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ identity: string }>(
      `SELECT s.system_identifier::text || '/' || d.oid::text AS identity
       FROM pg_catalog.pg_control_system() s, pg_catalog.pg_database d WHERE d.datname = current_database()`,
    );
    return rows[0]!.identity;
  });
}

/** A database a restore must never reach, and how the refusal names it. */
export interface OwnDatabase {
  label: string;
  url: string;
}

/** A restore must not reach the environment's own database, whichever URL names it; unsure is a refusal. */
async function assertNotOwnDatabase(environment: Environment, intoUrl: string, othersOf: () => Promise<OwnDatabase[]>): Promise<void> {
  const refusal = `refusing to restore into ${environment.name}'s own database (${redactUrl(intoUrl)})`;
  let into: string;
  try {
    into = await databaseIdentity(intoUrl);
  } catch (error) {
    // Without the connection's own hint (the environment's databaseUrl, docker-compose): the URL at fault is --into's.
    throw new RookeryError(`${(error as Error).message}; nothing was restored`, {
      hint: "Create the empty database to restore into first (`createdb`, or CREATE DATABASE), or correct the URL given to --into.",
    });
  }
  let databases: OwnDatabase[];
  try {
    databases = [{ label: `${environment.name}'s databaseUrl`, url: environment.databaseUrl }, ...(await othersOf())];
  } catch (error) {
    throw new RookeryError(`cannot tell whether ${redactUrl(intoUrl)} is one of ${environment.name}'s databases, so nothing was restored: ${(error as Error).message}`, {
      hint: `The restore compares the databases' identity on the server; run it when ${environment.name}'s databases answer, or run pg_restore yourself.`,
    });
  }
  for (const database of databases) {
    let own: string;
    try {
      own = await databaseIdentity(database.url);
    } catch (error) {
      throw new RookeryError(`cannot tell whether ${redactUrl(intoUrl)} is ${environment.name}'s own database, so nothing was restored: ${(error as Error).message}`, {
        hint: `The restore compares both databases' identity on the server; run it when ${environment.name}'s database answers, or run pg_restore yourself.`,
      });
    }
    if (into === own) {
      throw new UsageError(`${refusal}: it is the same database as ${database.label}, reached by another URL`, {
        hint: "Create an empty database for inspection and pass its URL with --into.",
      });
    }
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The file is the one its `backup` event recorded (SHA-256): a dump damaged or replaced on disk since
 * is refused before anything is restored. Dumps taken before checksums were recorded have nothing to
 * compare with and are restored as they are.
 */
async function assertUnchangedSinceTaken(environment: Environment, backup: BackupFile): Promise<void> {
  const recorded = await withClient(environment.databaseUrl, async (client) => {
    const { rows } = await client.query<{ sha256: string | null }>(
      inLedgerSchema(
        `SELECT detail->>'sha256' AS sha256 FROM public.migration_events WHERE event = 'backup' AND detail->>'name' = $1 ORDER BY id DESC LIMIT 1`,
        environment.ledgerSchema,
      ),
      [backup.name],
    ).catch(() => ({ rows: [] as { sha256: string | null }[] }));
    return rows[0]?.sha256 ?? undefined;
  });
  if (!recorded) return;
  const actual = await sha256Of(backup.path);
  if (actual !== recorded) {
    throw new RookeryError(`${backup.name} changed since it was taken: SHA-256 ${actual.slice(0, 12)}… instead of the recorded ${recorded.slice(0, 12)}…; nothing was restored`, {
      hint: "The file was damaged or replaced on disk: restore another backup (`rookery backup list`).",
    });
  }
}

/**
 * Restores a dump into another database for inspection. Never into the environment's own database:
 * a restore there would overwrite live data with old data, which is a decision for a DBA, not a command.
 */
export async function restoreBackup(environment: Environment, name: string, intoUrl: string, othersOf: () => Promise<OwnDatabase[]> = async () => []): Promise<BackupFile> {
  const parsedName = BACKUP_NAME.safeParse(name);
  if (!parsedName.success) throw new UsageError(`"${name}" is not a backup name`, { hint: parsedName.error.issues[0]?.message });
  try {
    new URL(intoUrl);
  } catch {
    throw new UsageError("--into is not a Postgres connection URL", { hint: "Use postgres://user@host:5432/database." });
  }
  await assertNotOwnDatabase(environment, intoUrl, othersOf);
  const backup = listBackups(environment).find((candidate) => candidate.name === name);
  if (!backup) {
    throw new UsageError(`no backup named ${name} in ${backupDirOf(environment)}`, { hint: `See \`rookery backup list --env ${environment.name}\`.` });
  }
  await assertUnchangedSinceTaken(environment, backup);
  const { dbname, env } = pgToolConnection(intoUrl);
  try {
    await runPgTool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--no-password", `--dbname=${dbname}`, backup.path], env);
  } catch (error) {
    const message = scrub((error as Error).message, intoUrl);
    const damaged = /end of file|not a valid archive|could not read input|did not find magic string/i.test(message);
    throw new RookeryError(`restoring ${name} into ${redactUrl(intoUrl)} failed: ${message}`, {
      hint: damaged
        ? "The dump file is cut short or damaged: restore another one (`rookery backup list`); dumps Rookery takes now are verified before they are listed."
        : "Restore into an empty database (objects already there make pg_restore stop).",
    });
  }
  return backup;
}
