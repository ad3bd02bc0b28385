// Where a deployed RedisDeployment's nodes are and how to reach them, read from a stack's
// state (`stack.exportStack()`, whose secrets the Automation API decrypts): the component's
// registered outputs (members, sentinels, proxies), rd-admin's password (the DeploymentPassword
// resource), the bootstrap's access (direct, SSH bastion, Kubernetes; with TLS the CA and client
// certificate) and, for local proxies, HAProxy's stats socket. Works for any stack with a
// RedisDeployment, not only this CLI's.
import type { DeploymentTarget } from "../../bootstrap/observe";
import type { BootstrapAccess, Mode } from "../../components/types";
import { clientTlsOf, type CertificateAndKey } from "../../components/tls";
import { CliError } from "./errors";

const COMPONENT_TYPE = "redis-deployment:index:RedisDeployment";
const DYNAMIC = "pulumi-nodejs:dynamic/redis-deployment:";
/** Pulumi's marker of a secret value in exported state. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

interface StateResource {
    urn: string;
    type: string;
    parent?: string;
    outputs?: Record<string, unknown>;
}

/** Exported state with its secrets decrypted: each secret envelope replaced by its value. */
export function revealSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(revealSecrets);
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIGNATURE] !== undefined) {
            if (typeof obj.plaintext !== "string") throw new CliError("the stack's secrets are encrypted; export the state with its secrets shown");
            return revealSecrets(JSON.parse(obj.plaintext));
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, revealSecrets(v)]));
    }
    return value;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

function hostPort(endpoint: string): { address: string; port: number } {
    const i = endpoint.lastIndexOf(":");
    return { address: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/**
 * The status/failover target of the RedisDeployment named `deploymentName` (or the only one) in
 * a stack's exported deployment (`(await stack.exportStack()).deployment`).
 */
export function targetFromState(deployment: unknown, deploymentName?: string): DeploymentTarget {
    const resources = ((revealSecrets(deployment) as { resources?: StateResource[] })?.resources ?? []);
    const components = resources.filter((r) => r.type === COMPONENT_TYPE && (deploymentName === undefined || nameOf(r.urn) === deploymentName));
    if (components.length === 0) throw new CliError(`the stack has no RedisDeployment${deploymentName ? ` named "${deploymentName}"` : ""}; bring it up first`);
    if (components.length > 1) throw new CliError(`the stack has ${components.length} RedisDeployments (${components.map((c) => nameOf(c.urn)).join(", ")}); name one`);
    const component = components[0];
    const outs = component.outputs ?? {};
    const members = outs.members as { name: string; shard: number; address: string; port: number }[] | undefined;
    if (!members?.length) throw new CliError(`RedisDeployment "${nameOf(component.urn)}" has no members in the stack's state; run \`up\` first`);
    const children = resources.filter((r) => r.parent === component.urn);
    const child = (type: string) => children.find((r) => r.type === DYNAMIC + type);
    const adminPassword = child("DeploymentPassword")?.outputs?.adminPassword;
    if (typeof adminPassword !== "string") throw new CliError(`RedisDeployment "${nameOf(component.urn)}": its credentials are not in the stack's state`);

    const bootstraps: [string, Mode][] = [["SentinelBootstrap", "sentinel"], ["ClusterBootstrap", "cluster"], ["ReplicationBootstrap", "replication"]];
    const [bootstrapType, mode] = bootstraps.find(([type]) => child(type)) ?? [undefined, "standalone" as Mode];
    const bootstrapAccess = (bootstrapType ? child(bootstrapType)!.outputs?.access : undefined) as BootstrapAccess | undefined;
    const access: BootstrapAccess = bootstrapAccess ?? { kind: "direct" };
    // A standalone deployment has no bootstrap: with TLS its CA and client certificate are the
    // TlsCertificates resource's (deployments whose certificates come from cert-manager have none).
    const certificates = child("TlsCertificates")?.outputs as { caCertificate?: string; client?: CertificateAndKey } | undefined;
    if (!access.tls && typeof certificates?.caCertificate === "string") access.tls = clientTlsOf({ ca: certificates.caCertificate, client: certificates.client });

    // Local proxies: HAProxy's stats socket, by the proxy's address.
    const localProxies = children.filter((r) => r.type === `${DYNAMIC}LocalProcess` && r.outputs?.kind === "haproxy").map((r) => r.outputs as {
        name: string; address: string; port: number; readiness?: { statsSocket?: string };
    });
    const proxies = ((outs.proxyAddresses as string[] | undefined) ?? []).map((endpoint, i) => {
        const { address, port } = hostPort(endpoint);
        const local = localProxies.find((p) => p.address === address && p.port === port);
        return { name: local?.name ?? `proxy${i}`, address, port, ...(local?.readiness?.statsSocket ? { statsSocket: local.readiness.statsSocket } : {}) };
    });
    return {
        mode,
        members: members.map(({ name, shard, address, port }) => ({ name, shard, address, port })),
        sentinels: ((outs.sentinelAddresses as string[] | undefined) ?? []).map(hostPort),
        ...(mode === "sentinel" ? { masterName: String(outs.masterName) } : {}),
        proxies,
        adminPassword,
        access,
    };
}
