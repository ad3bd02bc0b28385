// Pure naming rules of the GCP provider: regions of zones, subnetwork references, and the names
// GCP wants unique per project (network tag, service account, secret ids), derived from the
// project, stack and deployment so two stacks in one GCP project never share them.
import { createHash } from "crypto";

const ZONE = /^([a-z]+-[a-z]+\d+)-[a-z]$/;
const SUBNETWORK_REF = /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta)\/)?(?:projects\/([a-z][-a-z0-9.:]*[a-z0-9])\/)?regions\/([a-z]+-[a-z]+\d+)\/subnetworks\/([a-z]([-a-z0-9]*[a-z0-9])?)$/;

/** "europe-west1-b" -> "europe-west1"; undefined for something that is not a GCP zone. */
export function regionOfZone(zone: string): string | undefined {
    return ZONE.exec(zone)?.[1];
}

export interface SubnetworkRef {
    /** Absent: the provider's project. */
    project?: string;
    region: string;
    name: string;
}

/** `projects/P/regions/R/subnetworks/S`, its self link, or `regions/R/subnetworks/S`; undefined otherwise. */
export function parseSubnetworkRef(ref: string): SubnetworkRef | undefined {
    const m = SUBNETWORK_REF.exec(ref);
    if (!m) return undefined;
    return { ...(m[1] ? { project: m[1] } : {}), region: m[2], name: m[3] };
}

/** The project of a network's self link (`.../projects/P/global/networks/N`): firewall rules live there (Shared VPC: the host project). */
export function projectOfNetwork(selfLink: string): string | undefined {
    return /projects\/([^/]+)\/global\/networks\/[^/]+$/.exec(selfLink)?.[1];
}

function shortHash(...parts: string[]): string {
    return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 6);
}

/** The network tag of the deployment's VMs, which its firewall rules target (at most 63 characters). */
export function networkTag(project: string, stack: string, name: string): string {
    return `rd-${name}-${shortHash(project, stack, name)}`;
}

/** The service account id of the deployment's VMs (6 to 30 characters, GCP's limit). */
export function serviceAccountId(project: string, stack: string, name: string): string {
    return `rd-${name.slice(0, 18).replace(/-+$/, "")}-${shortHash(project, stack, name)}`;
}

/** The default prefix of the deployment's Secret Manager secret ids. */
export function defaultSecretPrefix(project: string, stack: string, name: string): string {
    const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "-");
    return `redis-deployment-${clean(project)}-${clean(stack)}-${name}`;
}
