/**
 * The CLI's one error printer: whatever went wrong (the API refused, the server is down, a file is missing, a flag
 * is wrong), one line on stderr, with the API's code when there is one, and exit code 1. Never a stack trace.
 */
import { EdgeMaasError } from "../../src/client";

/** A mistake the CLI itself finds (a missing file, a bad flag): printed as is. */
export class CliError extends Error {}

export function errorLine(error: unknown): string {
  if (error instanceof EdgeMaasError) {
    const where =
      error.status === 0 ? "" : ` (HTTP ${error.status}${error.requestId ? `, request ${error.requestId}` : ""})`;
    return `error: ${error.code}: ${error.message}${where}`;
  }
  if (error instanceof CliError) return `error: ${error.message}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  if (code === "ENOENT" && path) return `error: no such file: ${path}`;
  if (code === "EISDIR" && path) return `error: ${path} is a folder, not a file`;
  if (code === "EACCES" && path) return `error: cannot read ${path} (permission denied)`;
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message.split("\n")[0]}`;
}

/** Prints the error's one line and ends the process with exit code 1. */
export function exitWith(error: unknown): never {
  process.stderr.write(`${errorLine(error)}\n`);
  process.exit(1);
}
