// The one address and login shape every transport and bootstrap uses.

/** A node as the plan names it: its static address (IP or stable DNS name) and port. */
export interface NodeAddress {
    address: string;
    port: number;
}

/** An ACL login (no user: the default user). */
export interface Login {
    user?: string;
    password?: string;
}

/**
 * A route to one node that is not reachable directly: a 127.0.0.1 port carrying exactly one
 * connection to it (an SSH channel, a Kubernetes port-forward).
 */
export interface Route {
    /** 127.0.0.1 port to connect to (once). */
    port: number;
    /** How the node is reached, for messages: "through SSH bastion u@h:22". */
    via: string;
    /** What the far side reported when the connection failed, if anything. */
    errors(): string;
    /** Releases the route (and what it alone holds). Idempotent. */
    close(): void;
    /** Adjusts the connected client to the route (e.g. commands that must name IPs). */
    adapt?(client: import("ioredis").Redis): void;
}
