/**
 * Temp URL keys and their rotation. Swift tries up to four keys: the account's Temp-URL-Key and
 * Temp-URL-Key-2, and the container's. Rotation: add the new key as Key-2, switch the signer,
 * then replace Key with the new key and drop Key-2; URLs signed with the old key stop working.
 *
 * Container keys are tested in this file's container of AUTH_test. Account keys are tested in the
 * account of tempauth user test2:tester2 (configured by scripts/swift-aio.sh), which no other test
 * file touches, so rotating them cannot break tests that run at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTempUrl } from "../../../shared/tempurl/index.ts";
import { SwiftClient, type TempUrlKeyScope, uniqueContainer } from "../../support/swift-client.ts";
import { expectDenied, get, inAnHour, randomKey } from "./helpers.ts";

const OBJECT = "ramdisk/initrd.img";
const BODY = "initrd bytes";

async function works(client: SwiftClient, container: string, key: string): Promise<boolean> {
  const url =
    client.proxyUrl +
    signTempUrl({ path: client.path(container, OBJECT), key, expires: inAnHour() });
  const res = await get(url);
  if (res.status !== 200) {
    await expectDenied(url); // anything but 200 must be Swift's temp URL 401
    return false;
  }
  expect(new TextDecoder().decode(res.body)).toBe(BODY);
  return true;
}

/** The rotation steps, for account or container keys. */
function rotation(setup: () => { client: SwiftClient; container: string; where: TempUrlKeyScope }) {
  return async () => {
    const { client, container, where } = setup();
    const oldKey = randomKey("old");
    const newKey = randomKey("new");

    // 1. Only the old key.
    await client.setTempUrlKeys(where, { key: oldKey, key2: null });
    expect(await works(client, container, oldKey)).toBe(true);
    expect(await works(client, container, newKey)).toBe(false);

    // 2. The new key added as Key-2: URLs signed by either work.
    await client.setTempUrlKeys(where, { key2: newKey });
    expect(await works(client, container, oldKey)).toBe(true);
    expect(await works(client, container, newKey)).toBe(true);

    // 3. Rotation done: the new key is Key, Key-2 removed. Old URLs stop working.
    await client.setTempUrlKeys(where, { key: newKey, key2: null });
    expect(await works(client, container, newKey)).toBe(true);
    expect(await works(client, container, oldKey)).toBe(false);
  };
}

describe("container keys (X-Container-Meta-Temp-URL-Key, -Key-2)", () => {
  const swift = SwiftClient.fromInject();
  const container = uniqueContainer("tempurl-keys");

  beforeAll(async () => {
    await swift.putContainer(container);
    await swift.putObject(container, OBJECT, BODY);
  });
  afterAll(async () => {
    await swift.deleteContainer(container);
  });

  it(
    "rotate: old as Key, new as Key-2, then new only",
    rotation(() => ({
      client: swift,
      container,
      where: { scope: "container", container },
    })),
  );

  it("Key-2 alone is enough", async () => {
    const key2 = randomKey("k2");
    await swift.setTempUrlKeys({ scope: "container", container }, { key: null, key2 });
    expect(await works(swift, container, key2)).toBe(true);
  });

  it("the key is read from the container's metadata", async () => {
    const key = randomKey();
    await swift.setTempUrlKeys({ scope: "container", container }, { key, key2: null });
    const headers = await swift.headContainer(container);
    expect(headers.get("x-container-meta-temp-url-key")).toBe(key);
  });
});

describe("account keys (X-Account-Meta-Temp-URL-Key, -Key-2), in account test2", () => {
  let client: SwiftClient;
  const container = uniqueContainer("tempurl-account-keys");

  beforeAll(async () => {
    client = await SwiftClient.login(
      SwiftClient.fromInject().proxyUrl,
      "test2:tester2",
      "testing2",
    );
    await client.putContainer(container);
    await client.putObject(container, OBJECT, BODY);
  });
  afterAll(async () => {
    await client.setTempUrlKeys({ scope: "account" }, { key: null, key2: null });
    await client.deleteContainer(container);
  });

  it(
    "rotate: old as Key, new as Key-2, then new only",
    rotation(() => ({
      client,
      container,
      where: { scope: "account" },
    })),
  );

  it("account and container keys are all tried", async () => {
    const accountKey = randomKey("account");
    const containerKey = randomKey("container");
    await client.setTempUrlKeys({ scope: "account" }, { key: accountKey, key2: null });
    await client.setTempUrlKeys({ scope: "container", container }, { key: containerKey });
    expect(await works(client, container, accountKey)).toBe(true);
    expect(await works(client, container, containerKey)).toBe(true);
    await client.setTempUrlKeys({ scope: "container", container }, { key: null });
    expect(await works(client, container, containerKey)).toBe(false);
    expect(await works(client, container, accountKey)).toBe(true);
  });

  it("an account key does not open another account's objects", async () => {
    const key = randomKey();
    await client.setTempUrlKeys({ scope: "account" }, { key });
    // A container of AUTH_test with a key of its own.
    const tester = SwiftClient.fromInject();
    const other = uniqueContainer("tempurl-other-account");
    const otherKey = randomKey("other");
    await tester.putContainer(other);
    try {
      await tester.setTempUrlKeys({ scope: "container", container: other }, { key: otherKey });
      await tester.putObject(other, OBJECT, BODY);
      expect(await works(tester, other, otherKey)).toBe(true);
      expect(await works(tester, other, key)).toBe(false);
    } finally {
      await tester.deleteContainer(other);
    }
  });
});
