// The GCP provider: Redis members, sentinels and HAProxy on Compute Engine in existing
// subnetworks.
//
// The FireCamp idea on GCP's primitives: a member's identity outlives its VM. Every node (member,
// sentinel, proxy) gets a reserved static internal address (compute.Address, INTERNAL,
// GCE_ENDPOINT) in its host's subnetwork, used as a /32 alias IP range on the VM's primary
// interface; every member gets its own persistent disk in its zone, attached by a separate
// AttachedDisk under a stable device name (the member's name). Neither the address nor the disk
// depends on the VM, so a replaced VM (new image, ...) gets the same addresses and disks back.
// GCP picks each address in the subnetwork and keeps it as long as the reservation exists.
// A changed machine type is applied in place (allowStoppingForUpdate: stop, change, start).
//
// VMs are replaced delete-first (an alias IP and a read-write disk belong to one VM at a time).
// The boot script is the VM's `startup-script` metadata, which the guest agent runs at every
// boot; it reads the passwords from Secret Manager with the VM's service account.
//
// @pulumi/gcp is loaded only when this provider is used (an optional peer dependency), and only
// its compute, secretmanager and serviceaccount modules.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/gcp/compute";
import type * as secretmanagerSdk from "@pulumi/gcp/secretmanager";
import type * as serviceaccountSdk from "@pulumi/gcp/serviceaccount";
import type { RedisDeploymentArgs } from "../../components/args";
import type { AddressedMember, AddressedNode, TopologyPlan } from "../../components/types";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode } from "../types";
import { VmProvider } from "../vm/provider";
import { renderBootScript } from "../vm/bootScript";
import { firewallPlan } from "../vm/firewall";
import { LayoutError, assignSubnets, mastersFollowedBy, nodeNames, withAddresses, type HostKind, type HostPlan, type PlacedHost, type SubnetInfo } from "../vm/layout";
import { SECRET_KEYS, SECRET_NAMES, type SecretKey } from "../vm/secrets";
import { gcpBootHooks, gcpDiskDevices } from "./boot";
import { networkTag, projectOfNetwork, regionOfZone, serviceAccountId } from "./naming";
import { validateGcpArgs, type ResolvedGcpArgs } from "./validate";

export type { GcpProviderArgs } from "./args";
export { validateGcpArgs, type ResolvedGcpArgs } from "./validate";
export { GCP_MACHINE_CATALOG, pickMachineType } from "./machineTypes";

interface Gcp {
    compute: typeof computeSdk;
    secretmanager: typeof secretmanagerSdk;
    serviceaccount: typeof serviceaccountSdk;
}

/** The image family every VM boots from unless gcp.image is given. */
export const DEBIAN_IMAGE = { project: "debian-cloud", family: "debian-12" } as const;
export const BOOT_DISK_GB = 20;
/** VMs boot, install packages and read secrets before Redis answers: the bootstrap waits this long. */
export const GCP_BOOTSTRAP_TIMEOUT_MS = 20 * 60 * 1000;
/** Where Google's health check probes come from (they must reach the load balancer's backends). */
export const HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];
export const SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor";

function loadGcp(): Gcp {
    try {
        return {
            compute: require("@pulumi/gcp/compute") as typeof computeSdk,
            secretmanager: require("@pulumi/gcp/secretmanager") as typeof secretmanagerSdk,
            serviceaccount: require("@pulumi/gcp/serviceaccount") as typeof serviceaccountSdk,
        };
    } catch (err) {
        throw new pulumi.RunError(`provider "gcp" needs the @pulumi/gcp package (an optional peer dependency of redis-deployment): npm install @pulumi/gcp@9 (${(err as Error).message.split("\n")[0]})`);
    }
}

interface SubnetworkLookup {
    selfLink: string;
    region: string;
    cidr: string;
    network: string;
}

/** What every VM of the deployment shares; created once, on the first call. */
interface Foundation {
    gcp: Gcp;
    parent: pulumi.Resource;
    subnetworks: pulumi.Output<SubnetworkLookup[]>;
    /** Host name -> its subnetwork (id = self link). */
    subnetOf: pulumi.Output<Record<string, SubnetInfo>>;
    network: pulumi.Output<string>;
    tag: string;
    serviceAccount: serviceaccountSdk.Account;
    secrets: Partial<Record<SecretKey, secretmanagerSdk.Secret>>;
    /** What a VM must wait for: its boot reads the secrets, which needs the versions and the grants. */
    secretAccess: pulumi.Resource[];
    image: pulumi.Output<string>;
    /** The internal load balancer's reserved address (with loadBalancer). */
    lbAddress?: computeSdk.Address;
    lbSubnetwork?: pulumi.Output<SubnetworkLookup>;
}

interface HostAddresses {
    host: HostPlan;
    subnet: pulumi.Output<SubnetInfo>;
    /** Node name -> its reserved address. */
    addresses: Record<string, computeSdk.Address>;
    placed: pulumi.Output<PlacedHost>;
}

interface HostResources {
    host: HostPlan;
    addresses: computeSdk.Address[];
    instance: computeSdk.Instance;
    disks: computeSdk.Disk[];
    attachments: computeSdk.AttachedDisk[];
}

/** Compute Engine VMs in existing subnetworks, a static alias IP per node and a persistent disk per member. */
export class GcpProvider extends VmProvider<ResolvedGcpArgs> implements InfraProvider {
    readonly kind = "gcp" as const;
    readonly bootstrapTimeoutMs = GCP_BOOTSTRAP_TIMEOUT_MS;
    private foundationCache?: Foundation;
    private readonly created = new Map<string, HostResources>();

    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, plan, (env) => validateGcpArgs(name, args.gcp, plan, env), (o) => o.membersPerInstance);
    }

    private labels(extra: Record<string, string> = {}): Record<string, string> {
        return { ...this.options.labels, "redis-deployment": this.name, ...extra };
    }

    private foundation(ctx: ProviderContext): Foundation {
        if (this.foundationCache) return this.foundationCache;
        const gcp = loadGcp();
        const { compute } = gcp;
        const parent = ctx.parent;
        const name = this.name;
        const o = this.options;
        const { args } = this.plan;

        const subnetworks: pulumi.Output<SubnetworkLookup[]> = pulumi.all(o.subnetworks.map((s) =>
            compute.getSubnetworkOutput({ name: s.name, region: s.region, project: s.project }, { parent }))).apply((found) => {
            const lookups = found.map((s) => ({ selfLink: s.selfLink, region: s.region, cidr: s.ipCidrRange, network: s.network }));
            const networks = [...new Set(lookups.map((s) => s.network))];
            if (networks.length > 1) {
                this.fail(`gcp.subnetworks: the subnetworks are in ${networks.length} networks (${lookups.map((s) => `${s.selfLink}: ${s.network}`).join(", ")}); one deployment lives in one network`);
            }
            return lookups;
        });
        // A subnetwork serves every zone of its region: one candidate per (subnetwork, zone).
        const subnetOf = subnetworks.apply((ss) => {
            const candidates = ss.flatMap((s) => args.zones.filter((z) => regionOfZone(z) === s.region).map((zone) => ({ id: s.selfLink, zone, cidr: s.cidr })));
            try {
                return assignSubnets(this.hosts, candidates, "gcp.subnetworks");
            } catch (err) {
                if (err instanceof LayoutError) this.fail(err.message);
                throw err;
            }
        });
        const network = subnetworks.apply((ss) => ss[0].network);
        const tag = networkTag(this.env.project, this.env.stack, name);

        // The VMs' identity: it may read the deployment's secrets, nothing else.
        const serviceAccount = new gcp.serviceaccount.Account(`${name}-vm`, {
            accountId: serviceAccountId(this.env.project, this.env.stack, name),
            displayName: `redis-deployment ${name}`,
            description: `redis-deployment ${name}: VMs read their passwords from Secret Manager`,
        }, { parent });

        const keys: SecretKey[] = SECRET_KEYS.filter((k) => k !== "password" || args.authEnabled);
        const secrets: Partial<Record<SecretKey, secretmanagerSdk.Secret>> = {};
        const secretAccess: pulumi.Resource[] = [];
        for (const key of keys) {
            const resource = `${name}-secret-${SECRET_NAMES[key]}`;
            const secret = new gcp.secretmanager.Secret(resource, {
                secretId: `${o.secretPrefix}-${SECRET_NAMES[key]}`,
                replication: { auto: {} },
                labels: this.labels(),
            }, { parent, deleteBeforeReplace: true });
            secrets[key] = secret;
            secretAccess.push(
                new gcp.secretmanager.SecretVersion(`${resource}-value`, {
                    secret: secret.id,
                    secretData: pulumi.secret(ctx.credentials.apply((c) => c[key])),
                }, { parent }),
                new gcp.secretmanager.SecretIamMember(`${resource}-reader`, {
                    secretId: secret.id,
                    role: SECRET_ACCESSOR_ROLE,
                    member: pulumi.interpolate`serviceAccount:${serviceAccount.email}`,
                }, { parent }),
            );
        }

        const image = o.image
            ? pulumi.output(o.image)
            : compute.getImageOutput({ project: DEBIAN_IMAGE.project, family: DEBIAN_IMAGE.family }, { parent }).selfLink;

        let lbAddress: computeSdk.Address | undefined;
        let lbSubnetwork: pulumi.Output<SubnetworkLookup> | undefined;
        if (args.loadBalancer) {
            // Reserved, so the endpoint survives a re-created forwarding rule. Validation made
            // sure every zone is in one region.
            const region = regionOfZone(args.zones[0])!;
            lbSubnetwork = subnetworks.apply((ss) => ss.find((s) => s.region === region)!);
            lbAddress = new compute.Address(`${name}-lb`, {
                addressType: "INTERNAL",
                purpose: "GCE_ENDPOINT",
                subnetwork: lbSubnetwork.selfLink,
                region,
                description: `redis-deployment ${name}: internal load balancer`,
                labels: this.labels(),
            }, { parent });
        }

        this.foundationCache = { gcp, parent, subnetworks, subnetOf, network, tag, serviceAccount, secrets, secretAccess, image, lbAddress, lbSubnetwork };
        return this.foundationCache;
    }

    /**
     * Firewall rules, created with the member hosts' addresses: the deployment's ports from its
     * own nodes (their alias IPs, by address: tags match a VM's primary address) and, for client
     * ports, from gcp.allowedCidrs / gcp.allowedSourceTags. All target the deployment's tag only.
     */
    private firewall(f: Foundation, nodeAddresses: pulumi.Output<string[]>): computeSdk.Firewall[] {
        const o = this.options;
        const project = f.network.apply((n) => projectOfNetwork(n));
        return firewallPlan(this.plan).map((rule) => new f.gcp.compute.Firewall(`${this.name}-${rule.purpose}`, {
            network: f.network,
            project,
            direction: "INGRESS",
            description: `redis-deployment ${this.name}: ${rule.description}`,
            allows: [{ protocol: "tcp", ports: [String(rule.port)] }],
            sourceRanges: nodeAddresses.apply((addresses) => [...addresses.map((a) => `${a}/32`), ...(rule.clients ? o.allowedCidrs : [])]),
            sourceTags: [f.tag, ...(rule.clients ? o.allowedSourceTags : [])],
            targetTags: [f.tag],
        }, { parent: f.parent }));
    }

    private secretRefs(f: Foundation): pulumi.Output<Record<SecretKey, string>> {
        const keys = SECRET_KEYS.filter((k) => f.secrets[k]);
        return pulumi.all(keys.map((k) => f.secrets[k]!.name)).apply((names) =>
            Object.fromEntries(keys.map((k, i) => [k, names[i]])) as Record<SecretKey, string>);
    }

    /** A host's reserved addresses, one per node, in the host's subnetwork; GCP picks them. */
    private reserveAddresses(f: Foundation, host: HostPlan): HostAddresses {
        const subnet = f.subnetOf.apply((m) => m[host.name]);
        const region = regionOfZone(host.zone)!;
        const addresses = Object.fromEntries(nodeNames(host).map((node) => [node, new f.gcp.compute.Address(`${node}-address`, {
            addressType: "INTERNAL",
            purpose: "GCE_ENDPOINT",
            subnetwork: subnet.id,
            region,
            description: `redis-deployment ${this.name}: ${node} (alias IP of ${host.name})`,
            labels: this.labels(),
        }, { parent: f.parent })]));
        const names = Object.keys(addresses);
        const placed = pulumi.all([subnet, pulumi.all(names.map((n) => addresses[n].address))]).apply(([s, ips]) =>
            ({ host, subnet: s, nodeAddresses: Object.fromEntries(names.map((n, i) => [n, ips[i]])) }));
        return { host, subnet, addresses, placed };
    }

    /** One VM with its nodes' alias IPs: its members' disks, the instance (startup script = the boot script), the attachments. */
    private createHost(ctx: ProviderContext, f: Foundation, reserved: HostAddresses, machineType: string, configMembers: pulumi.Output<AddressedMember[]>, options: { dependsOn?: pulumi.Resource[]; loadBalanced?: boolean } = {}): HostResources {
        const { compute } = f.gcp;
        const parent = ctx.parent;
        const o = this.options;
        const { host, subnet, placed } = reserved;

        const disks = host.members.map((m) => new compute.Disk(`${m.name}-data`, {
            zone: m.zone,
            size: o.diskSizeGb,
            type: o.diskType,
            description: `redis-deployment ${this.name}: data of ${m.name}`,
            labels: this.labels({ "redis-deployment-member": m.name }),
        }, { parent }));

        const alsoListenOn = options.loadBalanced && f.lbAddress ? [f.lbAddress.address] : [];
        const script = pulumi.all([placed, configMembers, this.secretRefs(f), pulumi.all(alsoListenOn)]).apply(([p, members, secretRefs, lb]) =>
            renderBootScript({
                plan: this.plan,
                placed: p,
                allMembers: members,
                disks: Object.fromEntries(host.members.map((m) => [m.name, gcpDiskDevices(m.name)])),
                secretRefs,
                hooks: gcpBootHooks(),
                alsoListenOn: lb,
            }));

        const addresses = Object.values(reserved.addresses);
        const instance = new compute.Instance(host.name, {
            zone: host.zone,
            machineType,
            description: `redis-deployment ${this.name}: ${host.kind} host ${host.name} (${nodeNames(host).join(", ")})`,
            bootDisk: { autoDelete: true, initializeParams: { image: f.image, size: BOOT_DISK_GB, type: "pd-balanced" } },
            networkInterfaces: [{
                subnetwork: subnet.id,
                aliasIpRanges: addresses.map((a) => ({ ipCidrRange: pulumi.interpolate`${a.address}/32` })),
            }],
            serviceAccount: { email: f.serviceAccount.email, scopes: ["cloud-platform"] },
            metadata: { "startup-script": script },
            tags: [f.tag, ...o.networkTags],
            labels: this.labels({ "redis-deployment-role": host.kind }),
            // A changed machine type is applied by stopping and starting the VM, not by replacing it.
            allowStoppingForUpdate: true,
        }, {
            parent,
            // Alias IPs and read-write disks belong to one VM at a time: the old VM goes first.
            deleteBeforeReplace: true,
            // The disks are attached by AttachedDisk resources; a newer Debian image must not
            // replace running members (gcp.image set explicitly does).
            ignoreChanges: ["attachedDisks", ...(o.image ? [] : ["bootDisk.initializeParams.image"])],
            dependsOn: [...f.secretAccess, ...(options.dependsOn ?? [])],
        });

        const attachments = host.members.map((m, i) => new compute.AttachedDisk(`${m.name}-data-attachment`, {
            disk: disks[i].id,
            instance: instance.id,
            zone: m.zone,
            // The boot script finds the disk by this name (/dev/disk/by-id/google-<member>).
            deviceName: m.name,
            mode: "READ_WRITE",
        }, { parent, deleteBeforeReplace: true }));

        const created = { host, addresses, instance, disks, attachments };
        this.created.set(host.name, created);
        return created;
    }

    private handles<T extends AddressedNode>(nodes: pulumi.Output<T[]>, created: HostResources[], firewall: pulumi.Resource[]): NodeHandles<T> {
        return {
            nodes,
            resources: [...firewall, ...created.flatMap((h) => [...h.addresses, h.instance, ...h.attachments])],
            // A replaced VM or re-made attachment changes these ids: the bootstrap runs again.
            generation: pulumi.all(created.map((h) => pulumi.all([h.instance.instanceId, ...h.attachments.map((a) => a.id)]).apply((ids) => ids.join("+"))))
                .apply((ids) => ids.join(",")),
        };
    }

    private addressed<T extends { name: string }>(reserved: HostAddresses[], nodes: T[]): pulumi.Output<(T & { address: string })[]> {
        return pulumi.all(reserved.map((r) => r.placed)).apply((placed) => withAddresses(placed, nodes));
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const f = this.foundation(ctx);
        // Every host's addresses first: the firewall rules name them all.
        const reserved = this.hosts.map((h) => this.reserveAddresses(f, h));
        const firewall = this.firewall(f, pulumi.all(reserved.flatMap((r) => Object.values(r.addresses).map((a) => a.address))));
        this.reservedCache = { reserved, firewall };

        const memberHosts = reserved.filter((r) => r.host.kind === "member");
        const all = this.addressed(memberHosts, ctx.plan.members) as pulumi.Output<AddressedMember[]>;
        const hostOf = new Map(memberHosts.flatMap((r) => r.host.members.map((m) => [m.name, r] as const)));
        const standaloneBehindLb = ctx.plan.proxies.length === 0;
        const created = memberHosts.map((r) => {
            const masters = mastersFollowedBy(ctx.plan, r.host);
            const peers = this.addressed(masters.map((m) => hostOf.get(m.name)!), masters) as pulumi.Output<AddressedMember[]>;
            return this.createHost(ctx, f, r, this.options.machineType, peers, { dependsOn: firewall, loadBalanced: standaloneBehindLb && r.host.members.some((m) => m.role === "master") });
        });
        return this.handles(all, created, firewall);
    }

    private reservedCache?: { reserved: HostAddresses[]; firewall: computeSdk.Firewall[] };

    private reservedOf(kind: HostKind): { reserved: HostAddresses[]; firewall: computeSdk.Firewall[] } {
        if (!this.reservedCache) throw new Error("members() must run before sentinels() and proxies()");
        return { reserved: this.reservedCache.reserved.filter((r) => r.host.kind === kind), firewall: this.reservedCache.firewall };
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        const f = this.foundation(ctx);
        const { reserved, firewall } = this.reservedOf("sentinel");
        const all = this.addressed(reserved, ctx.plan.sentinels) as pulumi.Output<AddressedNode[]>;
        // sentinel.conf names no member (the bootstrap tells the sentinels the master).
        const created = reserved.map((r) => this.createHost(ctx, f, r, this.options.sentinelMachineType, pulumi.output([] as AddressedMember[]), { dependsOn: firewall }));
        return this.handles(all, created, firewall);
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        const f = this.foundation(ctx);
        const { reserved, firewall } = this.reservedOf("proxy");
        const all = this.addressed(reserved, ctx.plan.proxies) as pulumi.Output<ProxyNode[]>;
        const created = reserved.map((r) => this.createHost(ctx, f, r, this.options.proxyMachineType, members, { dependsOn: [...firewall, ...dependsOn], loadBalanced: true }));
        return this.handles(all, created, firewall);
    }

    /**
     * An internal passthrough TCP load balancer in front of the proxies (or of the member in
     * standalone mode): a regional TCP health check, a regional backend service (scheme
     * INTERNAL) over one unmanaged instance group per zone, and a forwarding rule on the
     * reserved address for the Redis port (and the proxies' read port). Packets keep the
     * load balancer's address as destination, so its backends listen on it too (alsoListenOn).
     */
    loadBalancer(ctx: ProviderContext, _proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        const { args } = ctx.plan;
        if (!args.loadBalancer) return undefined;
        const f = this.foundation(ctx);
        const { compute } = f.gcp;
        const parent = ctx.parent;
        const name = this.name;
        const region = regionOfZone(args.zones[0])!;
        const viaProxies = ctx.plan.proxies.length > 0;
        const backends = [...this.created.values()].filter((h) => (viaProxies ? h.host.kind === "proxy" : h.host.members.some((m) => m.role === "master")));
        const ports = viaProxies ? [args.port, ctx.plan.proxies[0].readPort] : [args.port];

        const groups = args.zones.filter((z) => backends.some((b) => b.host.zone === z)).map((zone) => new compute.InstanceGroup(`${name}-lb-${zone}`, {
            zone,
            network: f.network,
            description: `redis-deployment ${name}: load balancer backends in ${zone}`,
            instances: backends.filter((b) => b.host.zone === zone).map((b) => b.instance.selfLink),
        }, { parent }));
        const healthCheck = new compute.RegionHealthCheck(`${name}-lb`, {
            region,
            description: `redis-deployment ${name}: the Redis port answers`,
            tcpHealthCheck: { port: args.port },
            checkIntervalSec: 5,
            timeoutSec: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
        }, { parent });
        const backendService = new compute.RegionBackendService(`${name}-lb`, {
            region,
            loadBalancingScheme: "INTERNAL",
            protocol: "TCP",
            network: f.network,
            healthChecks: healthCheck.id,
            connectionDrainingTimeoutSec: 30,
            backends: groups.map((g) => ({ group: g.selfLink, balancingMode: "CONNECTION" })),
        }, { parent });
        new compute.ForwardingRule(`${name}-lb`, {
            region,
            loadBalancingScheme: "INTERNAL",
            ipProtocol: "TCP",
            ports: ports.map(String),
            ipAddress: f.lbAddress!.address,
            network: f.network,
            subnetwork: f.lbSubnetwork!.selfLink,
            backendService: backendService.id,
            labels: this.labels(),
        }, { parent });
        // Google's health checkers must reach the backends (client traffic keeps its source
        // address through a passthrough load balancer: the allowed networks' rules cover it).
        new compute.Firewall(`${name}-lb-health-checks`, {
            network: f.network,
            project: f.network.apply((n) => projectOfNetwork(n)),
            direction: "INGRESS",
            description: `redis-deployment ${name}: Google's load balancer health checks`,
            allows: [{ protocol: "tcp", ports: [String(args.port)] }],
            sourceRanges: HEALTH_CHECK_RANGES,
            targetTags: [f.tag],
        }, { parent });
        return pulumi.interpolate`${f.lbAddress!.address}:${args.port}`;
    }
}
