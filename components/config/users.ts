import { createHash } from "crypto";
import { ADMIN_USER, MONITOR_USER, type Credentials } from "../types";

/** SHA-256 hex of a password: ACL rules store this, so configs carry no plaintext for users. */
export function passwordHash(password: string): string {
    return createHash("sha256").update(password).digest("hex");
}

/**
 * ACL users of a member.
 * - default: the application's user, with the dangerous commands taken away.
 * - rd-admin: the bootstrap's, the replicas' (masteruser) and the sentinels' user.
 * - rd-monitor: HAProxy's health check, which may only PING and read INFO. Its password is
 *   the one secret that haproxy.cfg must hold in plain text, so it can do nothing else.
 */
export function aclUsers(credentials: Credentials, authEnabled: boolean, disabledCommands: string[]): string[] {
    const appPassword = authEnabled ? `#${passwordHash(credentials.password)}` : "nopass";
    const denied = disabledCommands.map((c) => ` -${c}`).join("");
    return [
        `user default on ${appPassword} ~* &* +@all${denied}`,
        `user ${ADMIN_USER} on #${passwordHash(credentials.adminPassword)} ~* &* +@all`,
        `user ${MONITOR_USER} on #${passwordHash(credentials.monitorPassword)} -@all +ping +info`,
    ];
}
