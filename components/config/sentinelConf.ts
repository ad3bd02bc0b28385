import { ADMIN_USER, type AddressedNode, type Credentials, type ResolvedArgs } from "../types";
import { listenerDirectives } from "./tls";
import { sentinelAclUsers } from "./users";

export interface SentinelConfInput {
    args: ResolvedArgs;
    sentinel: AddressedNode;
    credentials: Credentials;
    dataDir: string;
    /**
     * Hostname to announce instead of the address (Kubernetes: the pod's stable DNS name).
     * Turns on `resolve-hostnames` and `announce-hostnames`, so the sentinels monitor, report
     * and reconfigure members by name and re-resolve it when a pod comes back with a new IP.
     */
    announceHostname?: string;
    /** With TLS: the directory holding the sentinel's certificate, key and the CA. */
    tlsDir?: string;
}

/**
 * sentinel.conf for one sentinel. It does not name the master: the sentinel bootstrap issues
 * SENTINEL MONITOR with whoever is master *now*, and Sentinel persists its own state in this
 * file from then on (so the file must stay writable).
 */
export function renderSentinelConf(input: SentinelConfInput): string {
    const { args, sentinel, credentials, dataDir } = input;
    const lines = [
        `# redis-deployment: sentinel ${sentinel.name} (zone ${sentinel.zone}).`,
        "# Sentinel rewrites this file with what it learns; the master is added by the bootstrap.",
        `bind ${sentinel.address}`,
        `bind-source-addr ${sentinel.address}`,
        ...listenerDirectives(args.tls, sentinel.port, input.tlsDir),
        `protected-mode ${args.authEnabled ? "yes" : "no"}`,
        "daemonize no",
        'logfile ""',
        `dir ${dataDir}`,
    ];
    if (input.announceHostname) {
        // Before any `sentinel monitor` line: a hostname there is only accepted with resolve-hostnames.
        lines.push("sentinel resolve-hostnames yes", "sentinel announce-hostnames yes");
    }
    lines.push(
        `sentinel announce-ip ${input.announceHostname ?? sentinel.address}`,
        `sentinel announce-port ${sentinel.port}`,
    );
    // Users, also with auth off (then only the clients' user has no password): applications
    // log in as default, which may look up the master and replicas and subscribe to events;
    // the bootstrap and the other sentinels log in as rd-admin (sentinel-user/sentinel-pass is
    // what this sentinel presents to its peers).
    lines.push(
        `sentinel sentinel-user ${ADMIN_USER}`,
        `sentinel sentinel-pass ${credentials.adminPassword}`,
        ...sentinelAclUsers(credentials, args.authEnabled),
    );
    lines.push("");
    return lines.join("\n");
}
