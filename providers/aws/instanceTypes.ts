// Instance types the AWS provider picks from when `aws.instanceType` is not given, smallest
// first (general-purpose burstable for small caches, memory-optimised r6i beyond), and the CPU
// architecture of a type, which decides the AMI.
import { pickMachine, type MachineType } from "../vm/sizing";

export const AWS_INSTANCE_CATALOG: readonly MachineType[] = [
    { name: "t3.small", memoryGiB: 2 },
    { name: "t3.medium", memoryGiB: 4 },
    { name: "m6i.large", memoryGiB: 8 },
    { name: "r6i.large", memoryGiB: 16 },
    { name: "r6i.xlarge", memoryGiB: 32 },
    { name: "r6i.2xlarge", memoryGiB: 64 },
    { name: "r6i.4xlarge", memoryGiB: 128 },
    { name: "r6i.8xlarge", memoryGiB: 256 },
    { name: "r6i.12xlarge", memoryGiB: 384 },
    { name: "r6i.16xlarge", memoryGiB: 512 },
    { name: "r6i.24xlarge", memoryGiB: 768 },
    { name: "r6i.32xlarge", memoryGiB: 1024 },
];

export const DEFAULT_SMALL_INSTANCE_TYPE = "t3.small";

export function pickInstanceType(bytes: number): string | undefined {
    return pickMachine(AWS_INSTANCE_CATALOG, bytes)?.name;
}

/** Graviton families carry a "g" right after the generation digit (t4g, r7g, m7gd, c7gn, im4gn). */
export function architectureOf(instanceType: string): "x86_64" | "arm64" {
    return /^[a-z]+\d+g[a-z-]*\./.test(instanceType) ? "arm64" : "x86_64";
}

export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
