export { DEMO_CONTAINER, DEMO_NODE_MAC, DEMO_ORIGIN, demoDocument } from "./demo.ts";
export type { ImportDocument, ImportFormat } from "./document.ts";
export { ImportDocumentError, parseImportDocument } from "./document.ts";
export type {
  ImportOptions,
  ImportOutcome,
  ImportRecordResult,
  ImportReport,
} from "./import-records.ts";
export { importInto, importRecords } from "./import-records.ts";
export type { Current, ImportTarget, PendingWrite, WriteOutcome } from "./target.ts";
export { PARALLEL, storeTarget } from "./target.ts";
