/**
 * What every command's action starts from: the global flags merged with its own, and the resolved configuration.
 */
import type { Command } from "commander";
import { type Config, type GlobalFlags, resolveConfig } from "../config";
import { CliError } from "../errors";

export function configOf(command: Command): Config {
  return resolveConfig(command.optsWithGlobals<GlobalFlags>());
}

/** A whole number flag, or a clear error. */
export function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CliError(`${flag} takes a whole number (got '${value}')`);
  return n;
}
