#!/usr/bin/env node
// The `edge-maas` command (package.json `bin`): runs the TypeScript CLI through tsx, so a clone needs no build step.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
