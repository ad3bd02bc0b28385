import { createHash } from "crypto";
import { ADMIN_USER, MONITOR_USER, type ApplicationCommands, type Credentials, type PasswordKey, type StoredSecret } from "../types";

/** The passwords a server accepts for one of the deployment's passwords: the current one, then the retiring one. */
export function acceptedPasswords(credentials: Credentials, key: PasswordKey): string[] {
    const retiring = credentials.retiring?.[key];
    return retiring !== undefined && retiring !== credentials[key] ? [credentials[key], retiring] : [credentials[key]];
}

const RETIRING_OF: Record<Exclude<StoredSecret, PasswordKey>, PasswordKey> = {
    retiringPassword: "password",
    retiringAdminPassword: "adminPassword",
    retiringMonitorPassword: "monitorPassword",
};

/** The value a secret store holds for `key`: a credential, or the password being retired (the current one when none is). */
export function storedSecretValue(credentials: Credentials, key: StoredSecret): string {
    if (key === "password" || key === "adminPassword" || key === "monitorPassword") return credentials[key];
    const current = RETIRING_OF[key];
    return credentials.retiring?.[current] ?? credentials[current];
}

/**
 * The admin password the bootstrap logs in with: the retiring one during phase 1 (every member
 * accepts it before and after the new one is added), else the current one.
 */
export function adminLoginPassword(credentials: Credentials): string {
    return credentials.retiring?.adminPassword ?? credentials.adminPassword;
}

/** SHA-256 hex of a password: ACL rules store this, so configs carry no plaintext for users. */
export function passwordHash(password: string): string {
    return createHash("sha256").update(password).digest("hex");
}

/**
 * The password rules of a user: `#<sha256>` of the current password, and during phase 1 of a
 * rotation also of the retiring one (a Redis user may hold several passwords).
 */
export function passwordRules(credentials: Credentials, key: PasswordKey): string {
    return acceptedPasswords(credentials, key).map((p) => `#${passwordHash(p)}`).join(" ");
}

/**
 * The application user's commands on a member, before `auth.applicationCommands` and
 * `auth.disabledCommands`: every data command, nothing that administers the server.
 *
 * - `-@admin -@dangerous` take away ACL, CONFIG, REPLICAOF/SLAVEOF, FAILOVER, the CLUSTER
 *   subcommands that change the cluster (RESET, FORGET, SETSLOT, MEET, ADDSLOTS, FAILOVER, ...),
 *   MIGRATE, RESTORE, MODULE, SAVE/BGSAVE/BGREWRITEAOF, SHUTDOWN, DEBUG, MONITOR, FLUSHALL,
 *   FLUSHDB, SWAPDB, CLIENT LIST/KILL/PAUSE/NO-EVICT, SLOWLOG, LATENCY, LASTSAVE, and the
 *   whole-keyspace KEYS and SORT/SORT_RO (Redis 7.0's `ACL CAT admin` and `ACL CAT dangerous`).
 * - What cluster and sentinel clients need is in neither category and stays allowed: CLUSTER
 *   SLOTS/SHARDS/NODES/INFO/MYID/KEYSLOT/COUNTKEYSINSLOT/GETKEYSINSLOT/LINKS, READONLY,
 *   READWRITE, ASKING, HELLO, AUTH, CLIENT SETNAME/GETNAME/ID/INFO/TRACKING/REPLY, COMMAND.
 * - Given back from @dangerous: INFO (ioredis' ready check, and its role check after a
 *   sentinel names the master, read INFO; redis-benchmark and monitoring read it) and ROLE
 *   (Redis' guidelines for Sentinel clients: confirm with ROLE that the address a sentinel gave
 *   is the master; Lettuce does). Both only read what INFO replication shows anyway.
 * CONFIG GET stays denied: it would show masterauth, the admin password, in plain text
 * (redis-benchmark then prints "Could not fetch server CONFIG" and runs all the same).
 */
export const APPLICATION_RULES = ["+@all", "-@admin", "-@dangerous", "+info", "+role"] as const;

/**
 * The client user of a sentinel: what Sentinel-aware clients (ioredis, redis-py, go-redis,
 * Jedis, Lettuce) use to find the master, its replicas and the other sentinels, and to hear of
 * a failover (`+switch-master`, and every other event, by SUBSCRIBE or PSUBSCRIBE). Nothing that
 * changes a sentinel (SENTINEL MONITOR/REMOVE/SET/RESET/FAILOVER/CONFIG, ACL, SHUTDOWN), asks it
 * to vote (IS-MASTER-DOWN-BY-ADDR) or publishes hello messages: that is rd-admin's.
 */
export const SENTINEL_CLIENT_RULES = [
    "resetkeys", "resetchannels", "&*", "-@all",
    "+auth", "+hello", "+ping", "+client|setname", "+client|getname", "+client|id", "+role", "+info",
    "+subscribe", "+psubscribe", "+unsubscribe", "+punsubscribe",
    "+sentinel|get-master-addr-by-name", "+sentinel|masters", "+sentinel|master",
    "+sentinel|replicas", "+sentinel|slaves", "+sentinel|sentinels",
] as const;

/** One allow or deny entry as an ACL rule: `@category` -> `+@category`, `cmd|sub` -> `+cmd|sub`. */
function rule(sign: "+" | "-", entry: string): string {
    return `${sign}${entry.toLowerCase()}`;
}

/**
 * The application user's command rules: APPLICATION_RULES, then `allow`, then `deny`, then the
 * disabled commands. ACL rules apply left to right, so a deny always wins over an allow.
 */
export function applicationCommandRules(commands: ApplicationCommands, disabledCommands: string[]): string[] {
    return [
        ...APPLICATION_RULES,
        ...commands.allow.map((c) => rule("+", c)),
        ...commands.deny.map((c) => rule("-", c)),
        ...disabledCommands.map((c) => rule("-", c)),
    ];
}

/**
 * ACL users of a member.
 * - default: the application's user: data commands only (see APPLICATION_RULES), widened or
 *   narrowed by auth.applicationCommands and narrowed by auth.disabledCommands.
 * - rd-admin: the bootstrap's, the replicas' (masteruser) and the sentinels' user.
 * - rd-monitor: HAProxy's health check, which may only PING and read INFO. Its password is
 *   the one secret that haproxy.cfg must hold in plain text, so it can do nothing else.
 */
export function aclUsers(credentials: Credentials, authEnabled: boolean, commands: ApplicationCommands, disabledCommands: string[]): string[] {
    const appPassword = authEnabled ? passwordRules(credentials, "password") : "nopass";
    return [
        `user default on ${appPassword} ~* &* ${applicationCommandRules(commands, disabledCommands).join(" ")}`,
        adminUser(credentials),
        `user ${MONITOR_USER} on ${passwordRules(credentials, "monitorPassword")} -@all +ping +info`,
    ];
}

/**
 * ACL users of a sentinel.
 * - default: the applications' (Sentinel clients'), with the application password (none when
 *   auth is off): look-ups and events only, see SENTINEL_CLIENT_RULES.
 * - rd-admin: the bootstrap's (SENTINEL MONITOR/SET/REMOVE) and the other sentinels' (peers
 *   log in with `sentinel sentinel-user`/`sentinel-pass`, to PING, PUBLISH hello messages and
 *   ask for votes).
 */
export function sentinelAclUsers(credentials: Credentials, authEnabled: boolean): string[] {
    const appPassword = authEnabled ? passwordRules(credentials, "password") : "nopass";
    return [
        `user default on ${appPassword} ${SENTINEL_CLIENT_RULES.join(" ")}`,
        adminUser(credentials),
    ];
}

function adminUser(credentials: Credentials): string {
    return `user ${ADMIN_USER} on ${passwordRules(credentials, "adminPassword")} ~* &* +@all`;
}

/** The passwords one user must accept, as the SHA-256 hashes ACL rules hold; or no password at all. */
export interface UserPasswords {
    user: string;
    hashes: string[];
    nopass: boolean;
}

/**
 * What the users of a member and of a sentinel accept, as the live-credentials resource applies
 * it (bootstrap/credentials.ts): the same passwords as the rendered `user` lines above.
 */
export function userPasswords(credentials: Credentials, authEnabled: boolean): { member: UserPasswords[]; sentinel: UserPasswords[] } {
    const hashes = (key: PasswordKey) => acceptedPasswords(credentials, key).map(passwordHash);
    const application: UserPasswords = { user: "default", hashes: authEnabled ? hashes("password") : [], nopass: !authEnabled };
    const admin: UserPasswords = { user: ADMIN_USER, hashes: hashes("adminPassword"), nopass: false };
    const monitor: UserPasswords = { user: MONITOR_USER, hashes: hashes("monitorPassword"), nopass: false };
    return { member: [application, admin, monitor], sentinel: [application, admin] };
}
