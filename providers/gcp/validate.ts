// Checks the `gcp` arguments when the GCP provider is constructed, before any resource exists,
// and fills in the defaults. Every problem is reported at once, each naming its field
// (`gcp.subnetworks[0]: ...`), like the deployment's own validation.
import type { TopologyPlan } from "../../components/types";
import { SectionChecks, requireSection } from "../vm/argChecks";
import { hostMemoryBytes } from "../vm/sizing";
import { GCP_DISK_TYPES, type GcpDiskType, type GcpProviderArgs } from "./args";
import { DEFAULT_SMALL_MACHINE_TYPE, GCP_MACHINE_CATALOG, MACHINE_TYPE_PATTERN } from "./machineTypes";
import { defaultSecretPrefix, parseSubnetworkRef, regionOfZone, type SubnetworkRef } from "./naming";

export interface ResolvedGcpArgs {
    subnetworks: (SubnetworkRef & { ref: string })[];
    allowedCidrs: string[];
    allowedSourceTags: string[];
    /** Chosen by the sizing rule unless given. */
    machineType: string;
    machineTypeGiven: boolean;
    sentinelMachineType: string;
    proxyMachineType: string;
    membersPerInstance: number;
    image?: string;
    diskType: GcpDiskType;
    diskSizeGb: number;
    secretPrefix: string;
    networkTags: string[];
    labels: Record<string, string>;
}

const KNOWN: (keyof GcpProviderArgs)[] = [
    "subnetworks", "allowedCidrs", "allowedSourceTags", "machineType", "sentinelMachineType", "proxyMachineType",
    "membersPerInstance", "image", "diskType", "diskSizeGb", "secretPrefix", "networkTags", "labels",
];

/** Network tags and label keys: lowercase letters, digits, "-" (labels also "_"), starting with a letter. */
const NETWORK_TAG = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;
const SECRET_PREFIX = /^[A-Za-z0-9_-]{1,200}$/;
const IMAGE = /^(projects\/[^/\s]+\/global\/images\/(family\/)?[a-z][-a-z0-9]*|https:\/\/\S+|[a-z][-a-z0-9]*(\/[a-z][-a-z0-9]*)?)$/;

/**
 * Validates `args.gcp` against the plan. Throws RedisDeploymentArgumentError listing every
 * problem (the caller turns it into a pulumi.RunError).
 */
export function validateGcpArgs(name: string, raw: unknown, plan: TopologyPlan, env: { project: string; stack: string }): ResolvedGcpArgs {
    const { args } = plan;
    const a = requireSection(name, "gcp", raw, "at least gcp.subnetworks (existing subnetworks, one or more in each zone's region) and gcp.allowedCidrs (who may connect)") as Partial<GcpProviderArgs> & Record<string, unknown>;
    const checks = new SectionChecks("gcp");
    checks.unknownFields(a, KNOWN);

    // Zones must be GCP zones: their region decides which subnetwork serves them.
    const regions = new Map<string, string[]>();
    for (const zone of args.zones) {
        const region = regionOfZone(zone);
        if (!region) checks.deploymentProblem("zones", `"${zone}" is not a GCP zone like "europe-west1-b"`);
        else regions.set(region, [...(regions.get(region) ?? []), zone]);
    }

    // Network.
    const subnetworks: ResolvedGcpArgs["subnetworks"] = [];
    const example = "projects/my-project/regions/europe-west1/subnetworks/my-subnet";
    if (a.subnetworks === undefined) {
        checks.problem("subnetworks", `is required: existing subnetworks of one network, at least one in the region of each zone (${args.zones.join(", ")})`);
    } else if (!Array.isArray(a.subnetworks) || a.subnetworks.length === 0) {
        checks.problem("subnetworks", `must list at least one subnetwork like "${example}"`);
    } else {
        a.subnetworks.forEach((ref, i) => {
            const parsed = typeof ref === "string" ? parseSubnetworkRef(ref) : undefined;
            if (!parsed) checks.problem(`subnetworks[${i}]`, `${JSON.stringify(ref)} is not a subnetwork like "${example}" (or its self link, or "regions/R/subnetworks/S")`);
            else if (subnetworks.some((s) => s.ref === ref)) checks.problem("subnetworks", `"${ref}" is listed twice`);
            else subnetworks.push({ ...parsed, ref: ref as string });
        });
        if (!checks.has("subnetworks")) {
            for (const [region, zones] of regions) {
                if (!subnetworks.some((s) => s.region === region)) {
                    checks.problem("subnetworks", `no subnetwork in region ${region} (zone${zones.length > 1 ? "s" : ""} ${zones.join(", ")}); subnetworks are regional: list one of ${region} for every zone in \`zones\``);
                }
            }
        }
    }

    const allowedCidrs = checks.cidrs("allowedCidrs", a.allowedCidrs);
    const tagList = (field: keyof GcpProviderArgs, value: unknown): string[] => {
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            checks.problem(field, 'must be a list of network tags like "my-app"');
            return [];
        }
        const tags = value.filter((t, i) => {
            const ok = typeof t === "string" && NETWORK_TAG.test(t);
            if (!ok) checks.problem(`${field}[${i}]`, `${JSON.stringify(t)} is not a network tag (lowercase letters, digits and "-", at most 63 characters)`);
            return ok;
        }) as string[];
        return [...new Set(tags)];
    };
    const allowedSourceTags = tagList("allowedSourceTags", a.allowedSourceTags);
    if (allowedCidrs.length === 0 && allowedSourceTags.length === 0 && !checks.has("allowedCidrs") && !checks.has("allowedSourceTags")) {
        checks.problem("allowedCidrs", "is required (or gcp.allowedSourceTags): the networks that may connect to Redis, including the machine running `pulumi up` (the bootstrap connects to every member directly)");
    }
    const networkTags = tagList("networkTags", a.networkTags);

    // Machines.
    const membersPerInstance = checks.integer("membersPerInstance", a.membersPerInstance, 1, 16) ?? 1;
    const typeHint = ' (a GCE machine type like "e2-highmem-2")';
    const machine = checks.machineType("machineType", a.machineType, {
        catalog: GCP_MACHINE_CATALOG, needed: hostMemoryBytes(args.maxmemoryBytes, membersPerInstance), membersPerHost: membersPerInstance,
        pattern: MACHINE_TYPE_PATTERN, hint: typeHint, kind: "machine type", fallback: DEFAULT_SMALL_MACHINE_TYPE,
    });
    const sentinelMachineType = checks.text("sentinelMachineType", a.sentinelMachineType, MACHINE_TYPE_PATTERN, `is not valid${typeHint}`) ?? DEFAULT_SMALL_MACHINE_TYPE;
    const proxyMachineType = checks.text("proxyMachineType", a.proxyMachineType, MACHINE_TYPE_PATTERN, `is not valid${typeHint}`) ?? DEFAULT_SMALL_MACHINE_TYPE;
    const image = checks.text("image", a.image, IMAGE, 'is not valid (an image like "projects/debian-cloud/global/images/family/debian-12" or "debian-cloud/debian-12")');

    // Disks.
    const diskType = checks.oneOf("diskType", a.diskType, GCP_DISK_TYPES, "pd-balanced");
    const diskSizeGb = checks.diskSize("diskSizeGb", a.diskSizeGb, plan, "GB");

    // Secrets, the rest.
    const secretPrefix = checks.text("secretPrefix", a.secretPrefix, SECRET_PREFIX, 'is not valid (letters, digits, "_" and "-", at most 200 characters)')
        ?? defaultSecretPrefix(env.project, env.stack, name);
    const labels = checks.stringMap("labels", a.labels, (k, v) => {
        if (!LABEL_KEY.test(k)) return "label keys are lowercase letters, digits, \"_\" and \"-\", starting with a letter";
        if (!LABEL_VALUE.test(v)) return `${JSON.stringify(v)}: label values are lowercase letters, digits, "_" and "-", at most 63 characters`;
        return undefined;
    });

    checks.loadBalancerNeedsProxies(plan, "an internal load balancer");
    if (args.loadBalancer && regions.size > 1) {
        checks.deploymentProblem("loadBalancer", `GCP's internal passthrough load balancer is regional, and the zones are in ${regions.size} regions (${[...regions.keys()].join(", ")}); use zones of one region or remove loadBalancer`);
    }

    checks.throwIfAny(name);
    return {
        subnetworks, allowedCidrs, allowedSourceTags, machineType: machine.name, machineTypeGiven: machine.given,
        sentinelMachineType, proxyMachineType, membersPerInstance, image, diskType, diskSizeGb, secretPrefix, networkTags, labels,
    };
}
