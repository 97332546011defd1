export { DEMO_CONTAINER, DEMO_NODE_MAC, DEMO_ORIGIN, demoDocument } from "./demo.ts";
export type { ImportDocument, ImportFormat } from "./document.ts";
export { ImportDocumentError, parseImportDocument } from "./document.ts";
export type { ImportOutcome, ImportRecordResult, ImportReport } from "./import-records.ts";
export { importRecords } from "./import-records.ts";
