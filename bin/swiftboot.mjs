#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so the repository needs no build step to use it.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../functions/cli/main.ts");
process.exitCode = await main(process.argv);
