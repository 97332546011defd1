import { kernelArgsProblem } from "../ipxe/tokens.ts";
import * as z from "../validation/zod.ts";
import { archSchema, idSchema, macSchema, nameSchema, uuidSchema } from "./identifiers.ts";
import { inventorySchema } from "./inventory.ts";
import { REPORT_STATUSES, reportMessageSchema } from "./report.ts";

/**
 * Provision states, after OpenStack Ironic's state machine (without its `wait` sub-states, which
 * a boot server cannot tell apart from their parents).
 */
export const PROVISION_STATES = [
  "enroll",
  "manageable",
  "inspecting",
  "available",
  "deploying",
  "active",
  "rescuing",
  "rescue",
  "unrescuing",
  "deleting",
  "cleaning",
  "error",
] as const;
export type ProvisionState = (typeof PROVISION_STATES)[number];
export const provisionStateSchema = z.enum(PROVISION_STATES);

/** Identifies one stay in a provision state: the store draws a new one at every state change. */
export const stateIdSchema = z.string().check(z.regex(/^[0-9a-f]{16}$/, "must be 16 hex digits"));

/** The last callback report applied to the node, so the same report again changes nothing. */
export const lastReportSchema = z.strictObject({
  /** ISO 8601 time the report was applied. */
  at: z.iso.datetime(),
  status: z.enum(REPORT_STATUSES),
  /** The state the reported boot was issued in (the node has left it since). */
  state: provisionStateSchema,
  /** The `state_id` the reported boot was issued for. */
  state_id: stateIdSchema,
  message: z.optional(reportMessageSchema),
});
export type LastReport = z.output<typeof lastReportSchema>;

export const kernelRamdiskSchema = z.strictObject({
  kernel: idSchema,
  ramdisk: idSchema,
});

export const BOOT_OPTIONS = ["netboot", "local"] as const;
export type BootOption = (typeof BOOT_OPTIONS)[number];

export const instanceImagesSchema = z.strictObject({
  kernel: z.optional(idSchema),
  ramdisk: z.optional(idSchema),
  boot: z._default(z.enum(BOOT_OPTIONS), "netboot"),
});

export const kernelArgsSchema = z.string().check(
  z.maxLength(4096),
  z.superRefine((args, ctx) => {
    const problem = kernelArgsProblem(args);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
);

/** MACs no NIC has: they would match the wrong machine, or every machine, at boot. */
const NOT_A_NIC_MAC: Record<string, string> = {
  "00:00:00:00:00:00":
    "is the all-zero MAC, which NICs without a real address report; not a machine's",
  "ff:ff:ff:ff:ff:ff": "is the broadcast address, not a machine's MAC",
};

/** SMBIOS UUIDs that firmware without a real one reports (the boot route ignores them too). */
export const PLACEHOLDER_UUIDS: ReadonlySet<string> = new Set([
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
]);

/** Images used instead of the node's defaults when the booting firmware reports this arch. */
export const archImagesSchema = z.strictObject({
  deploy: z.optional(kernelRamdiskSchema),
  rescue: z.optional(kernelRamdiskSchema),
  instance: z.optional(instanceImagesSchema),
});

export const nodeSchema = z
  .strictObject({
    id: idSchema,
    name: nameSchema,
    macs: z
      .array(macSchema)
      .check(
        z.minLength(1, "must list at least one MAC address"),
        z.maxLength(32, "must list at most 32 MAC addresses"),
      ),
    uuid: z.optional(uuidSchema),
    state: provisionStateSchema,
    deploy: z.optional(kernelRamdiskSchema),
    rescue: z.optional(kernelRamdiskSchema),
    instance: z.optional(instanceImagesSchema),
    kernel_args: z.optional(kernelArgsSchema),
    arch_images: z.optional(z.partialRecord(archSchema, archImagesSchema)),
    /** Kept by the store (docs/provisioning.md): drawn anew on every state change. */
    state_id: z.optional(stateIdSchema),
    /** Kept by the store across writes that omit them; set by callback reports. */
    last_report: z.optional(lastReportSchema),
    inventory: z.optional(inventorySchema),
  })
  .check(
    z.superRefine((node, ctx) => {
      const seen = new Set<string>();
      node.macs.forEach((mac, i) => {
        if (seen.has(mac)) {
          ctx.addIssue({ code: "custom", path: ["macs", i], message: `duplicate MAC ${mac}` });
        }
        seen.add(mac);
        const shared = NOT_A_NIC_MAC[mac];
        if (shared !== undefined) {
          ctx.addIssue({ code: "custom", path: ["macs", i], message: shared });
        }
      });
      if (node.uuid !== undefined && PLACEHOLDER_UUIDS.has(node.uuid)) {
        ctx.addIssue({
          code: "custom",
          path: ["uuid"],
          message:
            "is a placeholder that firmware without a real UUID reports (many machines share it); leave uuid out",
        });
      }
      if (node.instance?.boot === "netboot" && (!node.instance.kernel || !node.instance.ramdisk)) {
        ctx.addIssue({
          code: "custom",
          path: ["instance"],
          message: "boot: netboot needs both kernel and ramdisk",
        });
      }
    }),
  );

export type Node = z.output<typeof nodeSchema>;
export type NodeInput = z.input<typeof nodeSchema>;

/** Every image id a node refers to, for a single batched read on the boot path. */
export function imageIdsOf(node: Node): string[] {
  const ids = new Set<string>();
  const add = (pair: { kernel?: string; ramdisk?: string } | undefined) => {
    if (pair?.kernel) ids.add(pair.kernel);
    if (pair?.ramdisk) ids.add(pair.ramdisk);
  };
  add(node.deploy);
  add(node.rescue);
  add(node.instance);
  for (const arch of Object.values(node.arch_images ?? {})) {
    add(arch?.deploy);
    add(arch?.rescue);
    add(arch?.instance);
  }
  return [...ids];
}
