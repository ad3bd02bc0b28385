// VM sizes the Azure provider picks from when `azure.vmSize` is not given, smallest first
// (burstable B-series for small caches, memory-optimised Esv5 beyond; all take Premium SSDs
// and exist in every zone of the regions with zones), and the CPU architecture of a size,
// which decides the image.
import type { MachineType } from "../vm/sizing";

export const AZURE_VM_CATALOG: readonly MachineType[] = [
    { name: "Standard_B1ms", memoryGiB: 2 },
    { name: "Standard_B2s", memoryGiB: 4 },
    { name: "Standard_D2s_v5", memoryGiB: 8 },
    { name: "Standard_E2s_v5", memoryGiB: 16 },
    { name: "Standard_E4s_v5", memoryGiB: 32 },
    { name: "Standard_E8s_v5", memoryGiB: 64 },
    { name: "Standard_E16s_v5", memoryGiB: 128 },
    { name: "Standard_E20s_v5", memoryGiB: 160 },
    { name: "Standard_E32s_v5", memoryGiB: 256 },
    { name: "Standard_E48s_v5", memoryGiB: 384 },
    { name: "Standard_E64s_v5", memoryGiB: 512 },
    { name: "Standard_E96s_v5", memoryGiB: 672 },
];

export const DEFAULT_SMALL_VM_SIZE = "Standard_B2s";

export const VM_SIZE_PATTERN = /^Standard_[A-Za-z0-9_-]+$/;

/** Arm64 (Ampere) sizes carry a "p" among the feature letters after the vCPU count: Standard_D2ps_v5, Standard_E4pds_v5, Standard_B2pls_v2. */
export function azureArchitectureOf(vmSize: string): "x64" | "arm64" {
    return /^Standard_[A-Z]+\d+[a-oq-z]*p[a-z]*_v\d+$/.test(vmSize) ? "arm64" : "x64";
}
