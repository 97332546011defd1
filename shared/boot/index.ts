export * from "./base-url.ts";
export * from "./first-stage.ts";
export * from "./identity.ts";
export * from "./node-script.ts";
export * from "./plan.ts";
export * from "./render.ts";
export * from "./settings.ts";
export * from "./urls.ts";
