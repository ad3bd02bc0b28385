// Sizing rules for VM clouds (from the seeds): a member's machine needs 2.5 x maxmemory (a
// fork for RDB/AOF rewrite copies pages on write, replication buffers come on top), and its
// data disk 6 x maxmemory with AOF (the AOF grows between rewrites, a rewrite writes a second
// copy), 2 x without (one RDB being written next to the last one).
import type { ResolvedArgs } from "../../components/types";

export const MEMORY_FACTOR = 2.5;
export const DISK_FACTOR_AOF = 6;
export const DISK_FACTOR_NO_AOF = 2;
/** Smallest data disk; clouds bill small disks alike and the filesystem needs some room. */
export const MIN_DISK_GIB = 10;
const GIB = 1024 ** 3;

/** Memory a VM running `membersOnHost` members needs, in bytes. */
export function hostMemoryBytes(maxmemoryBytes: number, membersOnHost: number): number {
    return Math.ceil(maxmemoryBytes * MEMORY_FACTOR * membersOnHost);
}

/** Size of one member's data disk in GiB (whole GiB, at least MIN_DISK_GIB). */
export function dataDiskGiB(args: Pick<ResolvedArgs, "maxmemoryBytes" | "persistence">): number {
    const factor = args.persistence.aof ? DISK_FACTOR_AOF : DISK_FACTOR_NO_AOF;
    return Math.max(MIN_DISK_GIB, Math.ceil((args.maxmemoryBytes * factor) / GIB));
}

export interface MachineType {
    name: string;
    memoryGiB: number;
}

/** The first machine in `catalog` (ordered smallest first) with at least `bytes` of memory. */
export function pickMachine<T extends MachineType>(catalog: readonly T[], bytes: number): T | undefined {
    return catalog.find((t) => t.memoryGiB * GIB >= bytes);
}
