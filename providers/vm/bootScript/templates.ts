// The config templates of a VM's nodes, rendered by the shared renderers (components/config)
// with placeholder credentials and the root token; the script substitutes both at boot.
import { renderHaproxyCfg } from "../../../components/config/haproxyCfg";
import { renderRedisConf } from "../../../components/config/redisConf";
import { renderSentinelConf } from "../../../components/config/sentinelConf";
import type { AddressedMember, AddressedNode } from "../../../components/types";
import { PLACEHOLDER_CREDENTIALS, ROOT_TOKEN } from "../secrets";
import { vmTlsDir } from "./tlsFiles";
import { VM_PATHS, type BootScriptInput, type NodeTemplate } from "./types";

/** The config templates of a VM's nodes, rendered by the shared renderers with placeholder credentials. */
export function nodeTemplates(input: Pick<BootScriptInput, "plan" | "placed" | "allMembers" | "alsoListenOn">): NodeTemplate[] {
    const { plan, placed, allMembers, alsoListenOn } = input;
    const { args } = plan;
    const credentials = PLACEHOLDER_CREDENTIALS;
    const address = (name: string) => {
        const a = placed.nodeAddresses[name];
        if (!a) throw new Error(`no address for node ${name} on host ${placed.host.name}`);
        return a;
    };
    const dataDir = (name: string) => `${ROOT_TOKEN}${VM_PATHS.data}/${name}`;
    const tlsDir = (name: string) => (args.tls.enabled ? { tlsDir: `${ROOT_TOKEN}${vmTlsDir(name)}` } : {});
    const out: NodeTemplate[] = [];
    for (const m of placed.host.members) {
        const member: AddressedMember = { ...m, address: address(m.name) };
        let replicaOf: string | undefined;
        if (args.mode !== "cluster" && m.role === "replica") {
            // Until the bootstrap has run, a new replica follows the planned master instead of
            // being an empty master that a proxy could send writes to.
            const master = allMembers.find((o) => o.shard === m.shard && o.role === "master");
            if (master) replicaOf = `${master.address} ${master.port}`;
        }
        out.push({ kind: "redis", name: m.name, address: member.address, port: m.port, replicaOf, template: renderRedisConf({ args, member, credentials, dataDir: dataDir(m.name), alsoListenOn, ...tlsDir(m.name) }) });
    }
    for (const s of placed.host.sentinels) {
        const sentinel: AddressedNode = { ...s, address: address(s.name) };
        out.push({ kind: "sentinel", name: s.name, address: sentinel.address, port: s.port, template: renderSentinelConf({ args, sentinel, credentials, dataDir: dataDir(s.name), ...tlsDir(s.name) }) });
    }
    for (const p of placed.host.proxies) {
        const proxy = { ...p, address: address(p.name) };
        out.push({ kind: "haproxy", name: p.name, address: proxy.address, port: p.port, template: renderHaproxyCfg({ proxy, members: allMembers, credentials, alsoListenOn, tls: args.tls, ...tlsDir(p.name) }) });
    }
    return out;
}
