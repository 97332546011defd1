import { describeStoreContract } from "../../support/store/contract.ts";
import { createTestStore } from "./helpers.ts";

/** The store contract the memory store passes in the unit tier, on DynamoDB Local: a table each. */
describeStoreContract("DynamoStore on DynamoDB Local", async () => {
  return (await createTestStore("contract")).store;
});
