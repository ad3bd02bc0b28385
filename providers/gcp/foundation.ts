// What every Compute Engine VM of a deployment shares, created once before any host: the
// subnetworks (looked up) and each host's subnetwork, the network tag, the VMs' service account,
// the passwords in Secret Manager with the account's grants, the boot image, the internal load
// balancer's reserved address (with loadBalancer); and, once every node's address is reserved,
// the firewall rules that name them.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/gcp/compute";
import type * as secretmanagerSdk from "@pulumi/gcp/secretmanager";
import type * as serviceaccountSdk from "@pulumi/gcp/serviceaccount";
import { storedSecretValue } from "../../components/config/users";
import type { StoredSecret } from "../../components/types";
import { loadPeerPackage } from "../peerPackage";
import type { ProviderContext } from "../types";
import { computedOr, requireComputed } from "../vm/computed";
import { LayoutError, assignSubnets, type SubnetInfo } from "../vm/layout";
import type { CloudScope, VmFoundation } from "../vm/provider";
import { SECRET_NAMES } from "../vm/secrets";
import { GCP_TYPES, configuredGcpProject } from "./computed";
import { networkTag, projectOfNetwork, regionOfZone, serviceAccountId } from "./naming";
import type { ResolvedGcpArgs } from "./validate";

export interface Gcp {
    compute: typeof computeSdk;
    secretmanager: typeof secretmanagerSdk;
    serviceaccount: typeof serviceaccountSdk;
}

/** The image family every VM boots from unless gcp.image is given. */
export const DEBIAN_IMAGE = { project: "debian-cloud", family: "debian-12" } as const;
export const SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor";

/** What the foundation needs of the provider. */
export interface GcpScope extends CloudScope<ResolvedGcpArgs> {
    labels(extra?: Record<string, string>): Record<string, string>;
}

export function loadGcp(): Gcp {
    return loadPeerPackage("gcp", "@pulumi/gcp", 9, () => ({
        compute: require("@pulumi/gcp/compute") as typeof computeSdk,
        secretmanager: require("@pulumi/gcp/secretmanager") as typeof secretmanagerSdk,
        serviceaccount: require("@pulumi/gcp/serviceaccount") as typeof serviceaccountSdk,
    }));
}

export interface SubnetworkLookup {
    selfLink: string;
    region: string;
    cidr: string;
    network: string;
}

export interface GcpFoundation extends VmFoundation {
    gcp: Gcp;
    parent: pulumi.Resource;
    /** Host name -> its subnetwork (id = self link). */
    subnetOf: pulumi.Output<Record<string, SubnetInfo>>;
    network: pulumi.Output<string>;
    tag: string;
    /** The VMs' service account's email. */
    serviceAccountEmail: pulumi.Output<string>;
    /** Secret key -> the secret's resource name (only the secrets the deployment stores). */
    secretRefs: pulumi.Output<Record<StoredSecret, string>>;
    /** What a VM must wait for: its boot reads the secrets, which needs the versions and the grants. */
    secretAccess: pulumi.Resource[];
    image: pulumi.Output<string>;
    /** The internal load balancer's reserved address and its subnetwork (with loadBalancer). */
    lb?: { address: pulumi.Output<string>; subnetwork: pulumi.Output<SubnetworkLookup> };
}

function subnetworks(s: GcpScope, compute: Gcp["compute"], parent: pulumi.Resource): pulumi.Output<SubnetworkLookup[]> {
    return pulumi.all(s.options.subnetworks.map((x) =>
        compute.getSubnetworkOutput({ name: x.name, region: x.region, project: x.project }, { parent }))).apply((found) => {
        const lookups = found.map((x) => ({ selfLink: x.selfLink, region: x.region, cidr: x.ipCidrRange, network: x.network }));
        const networks = [...new Set(lookups.map((x) => x.network))];
        if (networks.length > 1) {
            s.fail(`gcp.subnetworks: the subnetworks are in ${networks.length} networks (${lookups.map((x) => `${x.selfLink}: ${x.network}`).join(", ")}); one deployment lives in one network`);
        }
        return lookups;
    });
}

/** The passwords as Secret Manager secrets, each readable by the VMs' service account only. */
function secrets(s: GcpScope, gcp: Gcp, ctx: ProviderContext, project: string | undefined, email: pulumi.Output<string>): Pick<GcpFoundation, "secretRefs" | "secretAccess"> {
    const parent = ctx.parent;
    const keys = s.plan.secrets;
    const secretAccess: pulumi.Resource[] = [];
    const names = keys.map((key) => {
        const resource = `${s.name}-secret-${SECRET_NAMES[key]}`;
        const secretId = `${s.options.secretPrefix}-${SECRET_NAMES[key]}`;
        const secret = new gcp.secretmanager.Secret(resource, {
            secretId,
            replication: { auto: {} },
            labels: s.labels(),
        }, { parent, deleteBeforeReplace: true });
        secretAccess.push(
            new gcp.secretmanager.SecretVersion(`${resource}-value`, {
                secret: secret.id,
                secretData: pulumi.secret(ctx.credentials.apply((c) => storedSecretValue(c, key))),
            }, { parent }),
            new gcp.secretmanager.SecretIamMember(`${resource}-reader`, {
                secretId: secret.id,
                role: SECRET_ACCESSOR_ROLE,
                member: pulumi.interpolate`serviceAccount:${email}`,
            }, { parent }),
        );
        return secret.name.apply((n) => computedOr(n, () =>
            `projects/${requireComputed(s.name, GCP_TYPES.secret, resource, "name", project)}/secrets/${secretId}`));
    });
    const secretRefs = pulumi.all(names).apply((ns) => Object.fromEntries(keys.map((k, i) => [k, ns[i]])) as Record<StoredSecret, string>);
    return { secretRefs, secretAccess };
}

export function createGcpFoundation(s: GcpScope, ctx: ProviderContext): GcpFoundation {
    const gcp = loadGcp();
    const { compute } = gcp;
    const parent = ctx.parent;
    const { name, options: o } = s;
    const { args } = s.plan;
    const project = configuredGcpProject();

    const found = subnetworks(s, compute, parent);
    // A subnetwork serves every zone of its region: one candidate per (subnetwork, zone).
    const subnetOf = found.apply((ss) => {
        const candidates = ss.flatMap((x) => args.zones.filter((z) => regionOfZone(z) === x.region).map((zone) => ({ id: x.selfLink, zone, cidr: x.cidr })));
        try {
            return assignSubnets(s.hosts, candidates, "gcp.subnetworks");
        } catch (err) {
            if (err instanceof LayoutError) s.fail(err.message);
            throw err;
        }
    });

    // The VMs' identity: it may read the deployment's secrets, nothing else.
    const accountId = serviceAccountId(s.env.project, s.env.stack, name);
    const serviceAccount = new gcp.serviceaccount.Account(`${name}-vm`, {
        accountId,
        displayName: `redis-deployment ${name}`,
        description: `redis-deployment ${name}: VMs read their passwords from Secret Manager`,
    }, { parent });
    const serviceAccountEmail = serviceAccount.email.apply((e) => computedOr(e, () =>
        `${accountId}@${requireComputed(name, GCP_TYPES.serviceAccount, `${name}-vm`, "email", project)}.iam.gserviceaccount.com`));
    const { secretRefs, secretAccess } = secrets(s, gcp, ctx, project, serviceAccountEmail);

    const image = o.image
        ? pulumi.output(o.image)
        : compute.getImageOutput({ project: DEBIAN_IMAGE.project, family: DEBIAN_IMAGE.family }, { parent }).selfLink;

    let lb: GcpFoundation["lb"];
    if (args.loadBalancer) {
        // Reserved, so the endpoint survives a re-created forwarding rule. Validation made
        // sure every zone is in one region.
        const region = regionOfZone(args.zones[0])!;
        const subnetwork = found.apply((ss) => ss.find((x) => x.region === region)!);
        const address = new compute.Address(`${name}-lb`, {
            addressType: "INTERNAL",
            purpose: "GCE_ENDPOINT",
            subnetwork: subnetwork.selfLink,
            region,
            description: `redis-deployment ${name}: internal load balancer`,
            labels: s.labels(),
        }, { parent });
        lb = { address: address.address.apply((a) => requireComputed(name, GCP_TYPES.address, `${name}-lb`, "address", a)), subnetwork };
    }

    return {
        gcp, parent, subnetOf, network: found.apply((ss) => ss[0].network), tag: networkTag(s.env.project, s.env.stack, name),
        serviceAccountEmail, secretRefs, secretAccess, image, lb,
        checks: [serviceAccountEmail, secretRefs, ...(lb ? [lb.address] : [])],
    };
}

/**
 * Firewall rules, created with every node's address: the deployment's ports from its own nodes
 * (their alias IPs, by address: tags match a VM's primary address) and, for client ports, from
 * gcp.allowedCidrs / gcp.allowedSourceTags. All target the deployment's tag only.
 */
export function createFirewall(s: GcpScope, f: GcpFoundation, nodeAddresses: pulumi.Output<string[]>): computeSdk.Firewall[] {
    const o = s.options;
    const project = f.network.apply((n) => projectOfNetwork(n));
    return s.plan.ports.map((rule) => new f.gcp.compute.Firewall(`${s.name}-${rule.purpose}`, {
        network: f.network,
        project,
        direction: "INGRESS",
        description: `redis-deployment ${s.name}: ${rule.description}`,
        allows: [{ protocol: "tcp", ports: [String(rule.port)] }],
        sourceRanges: nodeAddresses.apply((addresses) => [...addresses.map((a) => `${a}/32`), ...(rule.clients ? o.allowedCidrs : [])]),
        sourceTags: [f.tag, ...(rule.clients ? o.allowedSourceTags : [])],
        targetTags: [f.tag],
    }, { parent: f.parent }));
}
