#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so the repository needs no build step to use it.
// Node 22 comes with the repository (the `node` devDependency, first on PATH under npx and npm
// scripts); the check is here rather than in package.json "engines", which npx would test
// against the Node running npm itself and warn about on every call.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `swiftboot: needs Node.js 22 or newer, and this is ${process.version}; run it as \`npx swiftboot\` in the repository (after \`npm ci\`), which uses the Node 22 it brings`,
  );
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../functions/cli/main.ts");
process.exitCode = await main(process.argv);
