// Shared by the VM clouds' component-graph tests: the resource options the engine receives (mocks
// do not pass them to newResource), and a deployment built under mocks with its outputs read.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeployment } from "../../components/redisDeployment";
import { RejectionTrap, settle, value } from "./mocks";

export interface Registration {
    type: string;
    name: string;
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
}

/** Records every registration's options into `into`; call right after setMocks. */
export function recordRegistrations(into: Registration[]): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v: any, k: string) => { propertyDependencies[k] = v.getUrnsList(); });
        into.push({
            type: req.getType(), name: req.getName(), parent: req.getParent(),
            dependencies: req.getDependenciesList(), propertyDependencies,
            deleteBeforeReplace: req.getDeletebeforereplace(), ignoreChanges: req.getIgnorechangesList(), replaceOnChanges: req.getReplaceonchangesList(),
        });
        return original(req, callback);
    };
}

export function findRegistration(registrations: Registration[], type: string, name: string): Registration {
    const r = registrations.find((x) => x.type === type && x.name === name);
    if (!r) throw new Error(`no registration of ${type} ${name}`);
    return r;
}

/** Every URN a registration depends on (resource dependencies and property dependencies). */
export function dependenciesOf(r: Registration): string[] {
    return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])];
}

export interface Deployed {
    deployment: RedisDeployment;
    members: { name: string; shard: number; role: string; zone: string; address: string; port: number }[];
    endpoint: string;
    proxyAddresses: string[];
    sentinelAddresses: string[];
    clusterNodes: string[];
    password: string;
    secret: { password: boolean; connectionUrl: boolean };
}

const trap = new RejectionTrap();

/** Builds a deployment under the installed mocks and reads its outputs; fails on unhandled rejections. */
export async function deploy(name: string, args: RedisDeploymentArgs): Promise<Deployed> {
    trap.start();
    try {
        const deployment = new RedisDeployment(name, args);
        const d: Deployed = {
            deployment,
            members: await value(deployment.members),
            endpoint: await value(deployment.endpoint),
            proxyAddresses: await value(deployment.proxyAddresses),
            sentinelAddresses: await value(deployment.sentinelAddresses),
            clusterNodes: await value(deployment.clusterNodes),
            password: await value(deployment.password),
            secret: { password: await pulumi.isSecret(deployment.password), connectionUrl: await pulumi.isSecret(deployment.connectionUrl) },
        };
        await settle();
        assert.deepEqual(trap.errors.map(String), [], "no unhandled rejections while the component was built");
        return d;
    } finally {
        trap.stop();
    }
}

export interface Seen {
    type: string;
    name: string;
    custom?: boolean;
    inputs: Record<string, any>;
    /** What the cloud "returned" (inputs + computed outputs). */
    state: Record<string, any>;
}

/** What a cloud's mocks saw: resources, lookups, registrations; subclasses install the mocks. */
export class GraphRecorder {
    readonly seen: Seen[] = [];
    readonly calls: pulumi.runtime.MockCallArgs[] = [];
    readonly registrations: Registration[] = [];

    protected reset(): void {
        this.seen.length = 0;
        this.calls.length = 0;
        this.registrations.length = 0;
    }

    ofType(type: string): Seen[] {
        return this.seen.filter((r) => r.type === type);
    }

    byName(type: string, name: string): Seen {
        const r = this.seen.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no ${type} named ${name}; have ${this.ofType(type).map((x) => x.name).join(", ")}`);
        return r;
    }

    registration(type: string, name: string): Registration {
        return findRegistration(this.registrations, type, name);
    }

    dependencies(type: string, name: string): string[] {
        return dependenciesOf(this.registration(type, name));
    }
}
