// Machine types the GCP provider picks from when `gcp.machineType` is not given, smallest first
// (shared-core and general-purpose E2 for small caches, high-memory beyond).
import { pickMachine, type MachineType } from "../vm/sizing";

export const GCP_MACHINE_CATALOG: readonly MachineType[] = [
    { name: "e2-small", memoryGiB: 2 },
    { name: "e2-medium", memoryGiB: 4 },
    { name: "e2-standard-2", memoryGiB: 8 },
    { name: "e2-highmem-2", memoryGiB: 16 },
    { name: "e2-highmem-4", memoryGiB: 32 },
    { name: "e2-highmem-8", memoryGiB: 64 },
    { name: "e2-highmem-16", memoryGiB: 128 },
    { name: "n2-highmem-32", memoryGiB: 256 },
    { name: "n2-highmem-48", memoryGiB: 384 },
    { name: "n2-highmem-64", memoryGiB: 512 },
    { name: "n2-highmem-80", memoryGiB: 640 },
    { name: "n2-highmem-96", memoryGiB: 768 },
    { name: "n2-highmem-128", memoryGiB: 864 },
];

export const DEFAULT_SMALL_MACHINE_TYPE = "e2-small";

export function pickMachineType(bytes: number): string | undefined {
    return pickMachine(GCP_MACHINE_CATALOG, bytes)?.name;
}

/** Predefined (`n2-highmem-4`) and custom (`e2-custom-4-16384`, `n2-custom-2-8192-ext`) machine types. */
export const MACHINE_TYPE_PATTERN = /^[a-z][a-z0-9]*-[a-z0-9-]+$/;
