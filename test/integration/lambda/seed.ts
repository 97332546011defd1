import { createHash } from "node:crypto";
import { KERNEL_BYTES, RAMDISK_BYTES, sampleImages, sampleNode } from "../../../events/fixtures.ts";
import { imageSchema, nodeSchema } from "../../../shared/model/index.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * A fresh table holding what the sample events name (events/fixtures.ts). `origins` sets where
 * the cache fills each image from, for the artifact tests.
 */
export async function seedSampleTable(
  prefix: string,
  origins: { kernel?: string; ramdisk?: string } = {},
): Promise<TestStore> {
  const db = await createTestStore(prefix);
  const [kernel, ramdisk] = sampleImages({
    kernel: sha256(KERNEL_BYTES),
    ramdisk: sha256(RAMDISK_BYTES),
  });
  await db.store.putImage(
    imageSchema.parse({ ...kernel, ...(origins.kernel ? { origin: origins.kernel } : {}) }),
  );
  await db.store.putImage(
    imageSchema.parse({ ...ramdisk, ...(origins.ramdisk ? { origin: origins.ramdisk } : {}) }),
  );
  await db.store.putNode(nodeSchema.parse(sampleNode));
  return db;
}
