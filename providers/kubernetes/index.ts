// The Kubernetes provider: members, sentinels and HAProxy as Kubernetes objects, every member
// with a stable DNS name announced by Redis itself, so a pod that comes back with a new IP is
// found again by name. See docs/providers/kubernetes.md for what a team needs to know.
//
// The objects are made by one module per role (members.ts, sentinels.ts, proxies.ts) from the
// shared ones (shared.ts) and the pod building blocks (pods.ts, placement.ts); the texts they
// carry come from the pure modules gathered in config.ts.
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import type { LogLocations } from "../../components/logs";
import type { AddressedMember, BootstrapAccess, TopologyPlan } from "../../components/types";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode, ScheduledJob, StorageGrant } from "../types";
import { scheduledJobObjects } from "./backupJob";
import { argumentErrorsAsRunError } from "../../components/runError";
import { validateKubernetesArgs, type KubernetesOptions } from "./args";
import { kubernetesLayout, type KubernetesLayout } from "./layout";
import { memberObjects } from "./members";
import { serviceMonitor } from "./metrics";
import { loadBalancerObjects, proxyObjects } from "./proxies";
import { sentinelObjects } from "./sentinels";
import { kubernetesTlsSubjects } from "./tls";
import { createShared, type Shared } from "./shared";

export { validateKubernetesArgs, type KubernetesOptions, type KubernetesProviderArgs } from "./args";
export * from "./config";
export { HOSTNAME_LABEL, POD_INDEX_LABEL, ZONE_LABEL } from "./placement";

/** Redis on Kubernetes: StatefulSets with a PVC per member, a headless Service for stable names, HAProxy in front. */
export class KubernetesProvider implements InfraProvider {
    readonly kind = "kubernetes" as const;
    readonly options: KubernetesOptions;
    private readonly name: string;
    private base?: Shared;
    private layoutCache?: KubernetesLayout;

    /** Checks the `kubernetes` arguments; throws one RunError naming every bad field, before any resource exists. */
    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        this.name = name;
        // The deployment's own arguments were validated into the plan already.
        this.options = argumentErrorsAsRunError(() => validateKubernetesArgs(plan.args, args.kubernetes, args.zones !== undefined));
    }

    layout(plan: TopologyPlan): KubernetesLayout {
        this.layoutCache ??= kubernetesLayout(plan, this.options.namespace, this.options.clusterDomain, this.options.zonesGiven);
        return this.layoutCache;
    }

    access(): BootstrapAccess {
        return {
            kind: "kubernetes",
            namespace: this.options.namespace,
            ...(this.options.kubeconfig ? { kubeconfig: this.options.kubeconfig } : {}),
            ...(this.options.context ? { context: this.options.context } : {}),
        };
    }

    /** The objects every role shares, made at the first role's call. */
    private shared(ctx: ProviderContext): Shared {
        this.base ??= createShared(this.name, this.options, this.layout(ctx.plan), ctx);
        return this.base;
    }

    /** TLS: each member and sentinel by its stable DNS name, the proxies by their Service's names. */
    tlsSubjects(ctx: ProviderContext): pulumi.Output<Record<string, string[]>> {
        return pulumi.output(kubernetesTlsSubjects(ctx.plan, this.layout(ctx.plan)));
    }

    /** A CronJob per job (the backup job): see backupJob.ts. */
    scheduledJob(ctx: ProviderContext, job: ScheduledJob): pulumi.Resource[] {
        return scheduledJobObjects(this.shared(ctx), ctx.plan, job);
    }

    /**
     * Nothing to create: the job reaches the store with the Secret or the service account the
     * user named in backup.kubernetes (checked with the arguments); a cluster has no identity of
     * its own to grant a bucket to.
     */
    grantStorage(ctx: ProviderContext, grant: StorageGrant): pulumi.Resource[] {
        const via = ctx.plan.args.backup?.kubernetes;
        if (!via?.secretName && !via?.serviceAccountName) throw new pulumi.RunError(`RedisDeployment "${this.name}": backup.kubernetes: name the Secret or service account the backup job uses for ${grant.target}`);
        return [];
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        return memberObjects(this.shared(ctx), ctx.plan);
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        return sentinelObjects(this.shared(ctx), ctx.plan);
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        const handles = ctx.plan.proxies.length === 0
            ? { nodes: pulumi.output([] as ProxyNode[]), resources: [] as pulumi.Resource[], generation: pulumi.output("") }
            : proxyObjects(this.shared(ctx), ctx.plan, members, dependsOn);
        // The ServiceMonitor comes last: every Service it selects exists by then.
        if (ctx.plan.args.metrics.serviceMonitor) handles.resources.push(serviceMonitor(this.shared(ctx), ctx.plan, [...dependsOn, ...handles.resources]));
        return handles;
    }

    /** Pods log to stdout: `kubectl logs`, and whatever log collector the cluster runs. */
    logs(): LogLocations {
        return { destination: `stdout of each pod (kubectl logs -n ${this.options.namespace} <pod> -c redis|sentinel|haproxy)`, files: {} };
    }

    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        if (!ctx.plan.args.loadBalancer || ctx.plan.proxies.length === 0) return undefined;
        return loadBalancerObjects(this.shared(ctx), ctx.plan, proxies);
    }
}
