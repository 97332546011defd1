import { writeFileSync } from "node:fs";
import { renderConfigReference } from "../shared/config/docs.ts";

const target = new URL("../docs/configuration.md", import.meta.url);
writeFileSync(target, renderConfigReference());
console.log(`wrote ${target.pathname}`);
