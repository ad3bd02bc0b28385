// What the VM clouds' providers (AWS, GCP, Azure) share: arguments validated before any resource
// exists, the planned VMs, direct bootstrap access, errors that name the deployment, and the
// skeleton of every deployment: the base plans the hosts, renders their boot scripts, assembles
// the node handles and their generation; each cloud supplies only its own resources, as one
// VmCloud object of parts (foundation, network, disks, machine, load balancer).
//
// The order of a deployment, whatever the order of the InfraProvider calls:
//   prepare(ctx), once per context: the cloud's foundation (network rules, identity, secret
//     store), then every host's network (interface or reserved addresses), then what is shared
//     by the hosts and needs their addresses (GCP's firewall rules);
//   members / sentinels / proxies: per host of that kind, its disks, its boot script, its VM;
//     the members its configs name are passed explicitly (the shard's master, or every member
//     for a proxy);
//   loadBalancer: in front of the proxies, or of the master in standalone mode.
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import type { AddressedMember, AddressedNode, BootstrapAccess, TopologyPlan } from "../../components/types";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode, ScheduledJob, StorageGrant } from "../types";
import { cronToOnCalendar } from "../../components/backup";
import { BACKUP_JOB_PACKAGES, BACKUP_PASSWORD_FILE, backupTlsVariables, shardVariables } from "../../components/config/backupScript";
import { vmJobTlsFiles } from "./bootScript/tlsFiles";
import type { VmScheduledJob } from "./bootScript";
import { argumentErrorsAsRunError } from "../../components/runError";
import type { LogLocations } from "../../components/logs";
import { logFile } from "./bootScript/logs";
import { exporterUnitName } from "./bootScript/metrics";
import { renderBootScript, type BootScriptInput } from "./bootScript";
import { TLS_FILES } from "../../components/tls";
import { mastersFollowedBy, planHosts, withAddresses, type HostKind, type HostPlan, type PlacedHost } from "./layout";

/** The Pulumi project and stack: part of the names and ids a deployment's resources get. */
export interface DeploymentEnv {
    project: string;
    stack: string;
}

/** A host's network, created before any VM: where its nodes' addresses come from. */
export interface HostNetwork {
    host: HostPlan;
    /** The host's subnet and the addresses the cloud gave it and its nodes. */
    placed: pulumi.Output<PlacedHost>;
    /** The resources the node handles list (ENI, reserved addresses, NIC). */
    resources: pulumi.Resource[];
}

/** What every host shares. */
export interface VmFoundation {
    /**
     * The computed outputs the foundation reads back, each failing with requireComputed's error
     * when missing: the node handles wait for them, so a missing one fails the deployment's
     * outputs instead of leaving them pending behind a resource that could not be registered.
     */
    checks: pulumi.Output<unknown>[];
}

/** A host's VM and what hangs on it. */
export interface HostMachine {
    /** The resources the node handles list after the network's (instance, attachments, disks). */
    resources: pulumi.Resource[];
    /** Changes when the VM (or an attachment) is replaced: the bootstrap runs again then. */
    generation: pulumi.Output<string>;
    /** The VM's computed outputs the program reads back (see VmFoundation.checks). */
    checks?: pulumi.Output<unknown>[];
}

/** What the base decided for one host. */
export interface HostSpec {
    /** Instance type, machine type or VM size. */
    size: string;
    /** The members this host's configs name, with their addresses. */
    configMembers: pulumi.Output<AddressedMember[]>;
    /** What the VM waits for besides the cloud's own foundation (shared rules, the bootstrap). */
    dependsOn: pulumi.Resource[];
    /** The load balancer delivers to this host (its proxies, or its master in standalone mode). */
    loadBalanced: boolean;
}

/** The cloud's part of a boot script. */
export type BootParts = Pick<Parameters<typeof renderBootScript>[0], "disks" | "secretRefs" | "hooks" | "alsoListenOn">;

/** Everything a deployment shares, created once per context by prepare(). */
export interface Stage<F extends VmFoundation, N extends HostNetwork, M extends HostMachine> {
    ctx: ProviderContext;
    foundation: F;
    /** Host name -> its network (every host of the deployment). */
    networks: Map<string, N>;
    /** Created after every network, before any VM; every VM waits for them and every handle lists them. */
    shared: pulumi.Resource[];
    /** Host name -> its VM, as members(), sentinels() and proxies() create them. */
    machines: Map<string, { network: N; machine: M }>;
    /** Node -> file name -> its reference in the secret store (secretFiles), and the resources every VM waits for. */
    secretFiles?: { refs: Record<string, Record<string, pulumi.Output<string>>>; resources: pulumi.Resource[] };
}

/** What the load balancer fronts. */
export interface LoadBalancerFront<N extends HostNetwork, M extends HostMachine> {
    /** The nodes it forwards to, by name, and their addresses. */
    targets: pulumi.Output<{ name: string; address: string }[]>;
    targetNames: string[];
    /** Their hosts' VMs. */
    backends: { network: N; machine: M }[];
    /** The proxies' handles (resources to wait for). */
    proxies: NodeHandles<ProxyNode>;
}

/** What every cloud's parts are given: the deployment, its checked options and its hosts. */
export interface CloudScope<Options> {
    name: string;
    options: Options;
    plan: TopologyPlan;
    /** Every VM of the deployment (members, then sentinels, then proxies). */
    hosts: HostPlan[];
    env: DeploymentEnv;
    /** Throws a RunError naming the deployment. */
    fail(message: string): never;
}

/**
 * A VM cloud (AWS, GCP, Azure): its argument checks and the resources it builds. `S` is what
 * its functions share (the CloudScope and its naming helpers). The skeleton calls `foundation`
 * once, then `network` for every host, then `shared`, then per host `disks`, `bootParts` and
 * `machine`, and `loadBalancer` last.
 */
export interface VmCloud<Options, S extends CloudScope<Options>, F extends VmFoundation, N extends HostNetwork, M extends HostMachine, D> {
    kind: "aws" | "gcp" | "azure";
    /** How long the bootstrap waits for members (VMs boot, install packages and read secrets first). */
    bootstrapTimeoutMs: number;
    /** Checks the cloud's section of the arguments, throwing the deployment's argument error. */
    validate(name: string, args: RedisDeploymentArgs, plan: TopologyPlan, env: DeploymentEnv): Options;
    /** How many members share a VM. */
    membersPerHost(options: Options): number;
    /** Instance type, machine type or VM size of each kind of host. */
    sizes(options: Options): Record<HostKind, string>;
    scope(base: CloudScope<Options>): S;
    /** What every host shares: network rules, the VMs' identity, the secret store with the passwords. */
    foundation(s: S, ctx: ProviderContext): F;
    /** A host's network: its interface or reserved addresses. */
    network(s: S, ctx: ProviderContext, f: F, host: HostPlan): N;
    /** Resources every VM waits for that need every host's network (default: none). */
    shared?(s: S, ctx: ProviderContext, f: F, networks: N[]): pulumi.Resource[];
    /** A host's members' data disks. */
    disks(s: S, ctx: ProviderContext, f: F, host: HostPlan): D;
    /** The cloud's part of a host's boot script: disk paths, secret references, hooks. */
    bootParts(f: F, network: N, disks: D, spec: HostSpec): pulumi.Output<BootParts>;
    /** A host's VM, booting `script`, and what attaches to it. */
    machine(s: S, ctx: ProviderContext, f: F, network: N, disks: D, script: pulumi.Output<string>, spec: HostSpec): M;
    /** The load balancer in front of `front`; its host:port. */
    loadBalancer(s: S, ctx: ProviderContext, f: F, front: LoadBalancerFront<N, M>): pulumi.Output<string>;
    /** With `logs` on: where the cloud's agent sends the logs, and whether the nodes write log files (else the journal, collected as syslog). */
    logDestination(s: S): { destination: string; files: boolean };
    /** Lets the VMs' identity use an object-store location (the instance role, the service account, the managed identity); only that bucket. */
    grantStorage?(s: S, ctx: ProviderContext, f: F, grant: StorageGrant): pulumi.Resource[];
    /**
     * Keeps one secret file of one node (base64 text, one line) in the cloud's secret store, where
     * the VMs' identity may read it: its reference for the boot script, and what a VM waits for.
     */
    storeSecretFile?(s: S, ctx: ProviderContext, f: F, file: { node: string; name: string; value: pulumi.Input<string> }): { ref: pulumi.Output<string>; resources: pulumi.Resource[] };
    /** Nodes with their addresses when the cloud knows them without the hosts' networks (default: read from those). */
    addressed?<T extends { name: string }>(stage: Stage<F, N, M>, nodes: T[]): pulumi.Output<(T & { address: string })[]>;
}

export class VmProvider<Options, S extends CloudScope<Options>, F extends VmFoundation, N extends HostNetwork, M extends HostMachine, D = unknown> implements InfraProvider {
    readonly kind: VmCloud<Options, S, F, N, M, D>["kind"];
    readonly bootstrapTimeoutMs: number;
    readonly options: Options;
    /** Every VM of the deployment (members, then sentinels, then proxies). */
    readonly hosts: HostPlan[];
    protected readonly env: DeploymentEnv = { project: pulumi.getProject(), stack: pulumi.getStack() };
    private readonly stages = new WeakMap<ProviderContext, Stage<F, N, M>>();
    /** Jobs on a schedule (scheduledJob), placed in the boot scripts of member VMs. */
    private readonly jobs = new WeakMap<ProviderContext, ScheduledJob[]>();
    private readonly scope: S;
    private readonly sizes: Record<HostKind, string>;

    /** Checks the cloud's arguments (its argument error becomes a RunError without a stack trace) and plans the VMs. */
    constructor(
        protected readonly name: string,
        args: RedisDeploymentArgs,
        protected readonly plan: TopologyPlan,
        private readonly cloud: VmCloud<Options, S, F, N, M, D>,
    ) {
        this.kind = cloud.kind;
        this.bootstrapTimeoutMs = cloud.bootstrapTimeoutMs;
        this.options = argumentErrorsAsRunError(() => cloud.validate(name, args, plan, this.env));
        this.hosts = planHosts(plan, cloud.membersPerHost(this.options));
        this.sizes = cloud.sizes(this.options);
        this.scope = cloud.scope({ name, options: this.options, plan, hosts: this.hosts, env: this.env, fail: (message) => this.fail(message) });
    }

    /** `nodes` with their addresses; by default read from their hosts' networks (only those hosts'). */
    protected addressed<T extends { name: string }>(stage: Stage<F, N, M>, nodes: T[]): pulumi.Output<(T & { address: string })[]> {
        if (this.cloud.addressed) return this.cloud.addressed(stage, nodes);
        const carrying = this.hosts.filter((h) => [...h.members, ...h.sentinels, ...h.proxies].some((n) => nodes.some((x) => x.name === n.name)));
        return pulumi.all(carrying.map((h) => stage.networks.get(h.name)!.placed)).apply((placed) => withAddresses(placed, nodes));
    }

    // ---- The skeleton ----

    /**
     * The foundation, every host's network and the shared resources, in this order: created by
     * whichever InfraProvider call comes first for a context (the component passes one context
     * to all of them; InfraProvider has no setup call), and only then.
     */
    protected stage(ctx: ProviderContext): Stage<F, N, M> {
        let stage = this.stages.get(ctx);
        if (!stage) {
            const { cloud, scope } = this;
            const foundation = cloud.foundation(scope, ctx);
            const networks = new Map(this.hosts.map((h) => [h.name, cloud.network(scope, ctx, foundation, h)] as const));
            const shared = cloud.shared?.(scope, ctx, foundation, [...networks.values()]) ?? [];
            stage = { ctx, foundation, networks, shared, machines: new Map() };
            this.stages.set(ctx, stage);
        }
        return stage;
    }

    private hostsOf(kind: HostKind): HostPlan[] {
        return this.hosts.filter((h) => h.kind === kind);
    }

    /** Whether the load balancer delivers to `host`: the proxies, or the master's host when there are none. */
    private isFront(host: HostPlan): boolean {
        if (!this.plan.args.loadBalancer) return false;
        return this.plan.proxies.length > 0 ? host.kind === "proxy" : host.kind === "member" && host.members.some((m) => m.role === "master");
    }

    private build<T extends AddressedNode>(stage: Stage<F, N, M>, kind: HostKind, nodes: { name: string }[], configMembers: (host: HostPlan) => pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<T> {
        const { ctx, foundation: f } = stage;
        const created = this.hostsOf(kind).map((host) => {
            const network = stage.networks.get(host.name)!;
            const spec: HostSpec = { size: this.sizes[kind], configMembers: configMembers(host), dependsOn: [...stage.shared, ...(stage.secretFiles?.resources ?? []), ...dependsOn], loadBalanced: this.isFront(host) };
            const disks = this.cloud.disks(this.scope, ctx, f, host);
            const parts = this.cloud.bootParts(f, network, disks, spec);
            const jobs = kind === "member" ? this.hostJobs(stage, host) : pulumi.output([] as VmScheduledJob[]);
            const script = pulumi.all([network.placed, spec.configMembers, parts, this.bootTls(stage, host), jobs]).apply(([placed, allMembers, p, tls, scheduledJobs]) =>
                renderBootScript({ plan: this.plan, placed, allMembers, ...p, ...(tls ? { tls } : {}), ...(scheduledJobs.length > 0 ? { scheduledJobs } : {}) }));
            const machine = this.cloud.machine(this.scope, ctx, f, network, disks, script, spec);
            stage.machines.set(host.name, { network, machine });
            return { network, machine };
        });
        // The nodes as the deployment sees them: their addresses (whose failure, e.g. a subnet
        // that does not fit, comes first), then the computed outputs their hosts were built from.
        // Configs use `addressed` directly: a VM never waits for another VM.
        const checks = [...f.checks, ...created.flatMap((c) => c.machine.checks ?? [])];
        return {
            nodes: this.addressed(stage, nodes).apply((addressed) => pulumi.all(checks).apply(() => addressed)) as unknown as pulumi.Output<T[]>,
            resources: [...stage.shared, ...created.flatMap((c) => [...c.network.resources, ...c.machine.resources])],
            generation: pulumi.all(created.map((c) => c.machine.generation)).apply((g) => g.join(",")),
        };
    }

    /**
     * The scheduled jobs of a member VM: a job runs next to the first member of each shard (one
     * VM per shard, never all), for the shards whose first member this VM holds; its environment
     * gets those shards' members' addresses and, with TLS, the files of one of those first
     * members (its CA, and its certificate as the job's client certificate).
     */
    private hostJobs(stage: Stage<F, N, M>, host: HostPlan): pulumi.Output<VmScheduledJob[]> {
        const jobs = this.jobs.get(stage.ctx) ?? [];
        const shards = this.plan.shards.filter((s) => host.members.some((m) => m.shard === s.index && m.index === 0));
        if (jobs.length === 0 || shards.length === 0) return pulumi.output([]);
        const shardMembers = this.plan.members.filter((m) => shards.some((s) => s.index === m.shard));
        const tls = this.plan.args.tls.enabled ? backupTlsVariables(vmJobTlsFiles(host.members.find((m) => m.index === 0 && m.shard === shards[0].index)!.name)) : {};
        const environments = pulumi.all(jobs.map((j) => pulumi.output(j.environment ?? {}) as pulumi.Output<Record<string, string>>));
        return pulumi.all([this.addressed(stage, shardMembers), environments]).apply(([addressed, envs]) => jobs.map((job, i): VmScheduledJob => ({
            name: job.name,
            onCalendar: cronToOnCalendar(job.schedule),
            script: job.script,
            environment: {
                ...envs[i],
                ...shardVariables(shards.map((s) => ({
                    index: s.index, ...(s.slots ? { slots: s.slots } : {}),
                    nodes: s.members.map((m) => addressed.find((a) => a.name === m.name)!),
                }))),
                RD_ONLY_SHARDS: shards.map((s) => s.index).join(" "),
                ...tls,
            },
            passwordFile: BACKUP_PASSWORD_FILE,
            packages: BACKUP_JOB_PACKAGES,
        })));
    }

    /** Records a job for the member VMs' boot scripts; call before members(). */
    scheduledJob(ctx: ProviderContext, job: ScheduledJob): pulumi.Resource[] {
        if (this.stages.get(ctx)?.machines.size) this.fail(`the ${job.name} job must be scheduled before the VMs are created`);
        this.jobs.set(ctx, [...(this.jobs.get(ctx) ?? []), job]);
        return [];
    }

    grantStorage(ctx: ProviderContext, grant: StorageGrant): pulumi.Resource[] {
        if (!this.cloud.grantStorage) this.fail(`object-store access is not available on ${this.kind} yet`);
        return this.cloud.grantStorage(this.scope, ctx, this.stage(ctx).foundation, grant);
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const stage = this.stage(ctx);
        // A replica's configs name its shard's master (a new replica follows it); none in cluster mode.
        return this.build<AddressedMember>(stage, "member", ctx.plan.members, (host) => this.addressed(stage, mastersFollowedBy(ctx.plan, host)) as pulumi.Output<AddressedMember[]>, []);
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        // sentinel.conf names no member (the bootstrap tells the sentinels the master).
        return this.build(this.stage(ctx), "sentinel", ctx.plan.sentinels, () => pulumi.output([] as AddressedMember[]), []);
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        // haproxy.cfg lists every member.
        return this.build<ProxyNode>(this.stage(ctx), "proxy", ctx.plan.proxies, () => members, dependsOn);
    }

    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        if (!ctx.plan.args.loadBalancer) return undefined;
        const stage = this.stage(ctx);
        const targets: { name: string }[] = ctx.plan.proxies.length > 0 ? ctx.plan.proxies : ctx.plan.members.filter((m) => m.role === "master");
        const backends = this.hosts.filter((h) => this.isFront(h)).map((h) => {
            const built = stage.machines.get(h.name);
            if (!built) this.fail(`the load balancer's backend ${h.name} has no VM: create the ${h.kind === "proxy" ? "proxies" : "members"} before the load balancer`);
            return built;
        });
        return this.cloud.loadBalancer(this.scope, ctx, stage.foundation, {
            targets: this.addressed(stage, targets),
            targetNames: targets.map((t) => t.name),
            backends,
            proxies,
        });
    }

    /** Each node's unit (and exporter) logs to the journal, or with `logs` to a file the cloud's agent ships. */
    logs(ctx: ProviderContext): LogLocations {
        if (!ctx.plan.args.logs.enabled) return { destination: "the systemd journal of each VM (journalctl -u redis-deployment-<node>)", files: {} };
        const { destination, files } = this.cloud.logDestination(this.scope);
        if (!files) return { destination, files: {} };
        const entries = this.hosts.flatMap((h) => [...h.members, ...h.sentinels, ...h.proxies].flatMap((n) => {
            const units = [n.name, ...(ctx.plan.args.metrics.enabled && !h.proxies.includes(n as never) ? [exporterUnitName(n.name)] : [])];
            return units.map((u) => [u, `${h.name}:${logFile(u)}`]);
        }));
        return { destination, files: Object.fromEntries(entries) };
    }

    /** TLS: every node at its static private address (the address clients and peers dial). */
    tlsSubjects(ctx: ProviderContext): pulumi.Output<Record<string, string[]>> {
        const nodes = [...ctx.plan.members, ...ctx.plan.sentinels, ...ctx.plan.proxies];
        return this.addressed(this.stage(ctx), nodes).apply((addressed) => Object.fromEntries(addressed.map((n) => [n.name, [n.address]])));
    }

    /** Secret files (TLS keys) in the cloud's secret store, base64 (one line), read by the boot script; never in user data. */
    secretFiles(ctx: ProviderContext, files: Record<string, Record<string, pulumi.Input<string>>>): pulumi.Resource[] {
        const store = this.cloud.storeSecretFile;
        if (!store) this.fail(`secret files (TLS keys) are not available on ${this.kind} yet`);
        const stage = this.stage(ctx);
        const refs: Record<string, Record<string, pulumi.Output<string>>> = {};
        const resources: pulumi.Resource[] = [];
        for (const [node, byName] of Object.entries(files)) {
            for (const [name, contents] of Object.entries(byName)) {
                const value = pulumi.secret(pulumi.output(contents).apply((text) => Buffer.from(text).toString("base64")));
                const stored = store.call(this.cloud, this.scope, ctx, stage.foundation, { node, name, value });
                (refs[node] ??= {})[name] = stored.ref;
                resources.push(...stored.resources);
            }
        }
        stage.secretFiles = { refs, resources };
        return resources;
    }

    /** The boot script's TLS part for a host: the CA and its nodes' certificates, and where their keys are. */
    private bootTls(stage: Stage<F, N, M>, host: HostPlan): pulumi.Output<BootScriptInput["tls"]> {
        const { ctx, secretFiles } = stage;
        if (!ctx.tls) return pulumi.output(undefined);
        const names = [...host.members, ...host.sentinels, ...host.proxies].map((n) => n.name);
        const keyRefs = pulumi.all(Object.fromEntries(names.map((n) => {
            const ref = secretFiles?.refs[n]?.[TLS_FILES.key];
            if (!ref) this.fail(`no TLS key of ${n} in the secret store: the component stores the keys (secretFiles) before it creates the nodes`);
            return [n, ref];
        })));
        // Certificates are public: the boot script stays a plain value (the keys are only referenced).
        return pulumi.unsecret(pulumi.all([ctx.tls, keyRefs]).apply(([material, refs]) => ({
            ca: material.ca,
            certificates: Object.fromEntries(names.map((n) => [n, material.nodes?.[n]?.certificate ?? ""])),
            keyRefs: refs as Record<string, string>,
        })));
    }

    access(): BootstrapAccess {
        // The machine running `pulumi up` must reach the private addresses (VPN, peering, a
        // runner inside the network) and be among the allowed networks.
        return { kind: "direct" };
    }

    protected fail(message: string): never {
        throw new pulumi.RunError(`RedisDeployment "${this.name}": ${message}`);
    }
}
