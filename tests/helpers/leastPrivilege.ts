// What the application password may and may not do, as command lists shared by the renderer
// tests (every mode, auth on and off) and tests/integration/leastPrivilege.test.ts (real
// deployments and clients). The rules themselves are in components/config/users.ts.
import { strict as assert } from "node:assert";
import { RespError, type RespValue } from "./resp";

/** A command the application user must be refused, and whether Redis refuses it before the ACL check. */
export interface RefusedCommand {
    args: string[];
    /** DEBUG and MODULE are refused by enable-debug-command/enable-module-command first (ERR, not NOPERM). */
    protectedCommand?: boolean;
}

const NO_NODE = "0000000000000000000000000000000000000000";

/**
 * Administration on a member: every one must answer NOPERM to the application user. Harmless
 * arguments where possible, so a member that wrongly obeyed stays usable for the next check.
 */
export const MEMBER_REFUSED: RefusedCommand[] = [
    { args: ["ACL", "SETUSER", "intruder", "on", ">intruder-password-0123", "~*", "+@all"] },
    { args: ["ACL", "DELUSER", "rd-monitor"] },
    { args: ["ACL", "LIST"] },
    { args: ["ACL", "LOG"] },
    { args: ["CONFIG", "SET", "maxmemory-policy", "allkeys-random"] },
    { args: ["CONFIG", "GET", "masterauth"] },
    { args: ["CONFIG", "REWRITE"] },
    { args: ["CONFIG", "RESETSTAT"] },
    { args: ["REPLICAOF", "NO", "ONE"] },
    { args: ["SLAVEOF", "NO", "ONE"] },
    { args: ["FAILOVER", "ABORT"] },
    { args: ["CLUSTER", "RESET", "SOFT"] },
    { args: ["CLUSTER", "FORGET", NO_NODE] },
    { args: ["CLUSTER", "SETSLOT", "0", "STABLE"] },
    { args: ["CLUSTER", "MEET", "127.0.0.1", "1"] },
    { args: ["CLUSTER", "ADDSLOTS", "0"] },
    { args: ["CLUSTER", "DELSLOTS", "0"] },
    { args: ["CLUSTER", "FAILOVER", "FORCE"] },
    { args: ["CLUSTER", "REPLICATE", NO_NODE] },
    { args: ["CLUSTER", "SAVECONFIG"] },
    { args: ["MIGRATE", "127.0.0.1", "1", "some-key", "0", "100"] },
    { args: ["RESTORE", "restored-key", "0", "not-a-dump"] },
    { args: ["MODULE", "LOAD", "/nonexistent/module.so"], protectedCommand: true },
    { args: ["DEBUG", "SLEEP", "0"], protectedCommand: true },
    { args: ["SAVE"] },
    { args: ["BGSAVE"] },
    { args: ["BGREWRITEAOF"] },
    { args: ["LASTSAVE"] },
    { args: ["SHUTDOWN", "NOSAVE"] },
    { args: ["FLUSHALL"] },
    { args: ["FLUSHDB"] },
    { args: ["SWAPDB", "0", "1"] },
    { args: ["KEYS", "*"] },
    { args: ["SORT", "some-list"] },
    { args: ["CLIENT", "LIST"] },
    { args: ["CLIENT", "KILL", "ID", "999999999"] },
    { args: ["CLIENT", "PAUSE", "1"] },
    { args: ["CLIENT", "NO-EVICT", "ON"] },
    { args: ["SLOWLOG", "GET"] },
    { args: ["LATENCY", "LATEST"] },
    { args: ["REPLCONF", "listening-port", "1"] },
    { args: ["MONITOR"] },
];

/** What clients need on a member (data, pub/sub, cluster discovery, connection setup): ACL DRYRUN must answer OK. */
export const MEMBER_ALLOWED: string[][] = [
    ["GET", "k"], ["SET", "k", "v"], ["DEL", "k"], ["INCR", "n"], ["HSET", "h", "f", "v"], ["LPUSH", "l", "x"],
    ["XADD", "s", "*", "f", "v"], ["ZADD", "z", "1", "m"], ["EXPIRE", "k", "10"], ["SCAN", "0"], ["DBSIZE"],
    ["EVAL", "return 1", "0"], ["SCRIPT", "LOAD", "return 1"], ["MULTI"], ["WATCH", "k"],
    ["PUBLISH", "ch", "hi"], ["SUBSCRIBE", "ch"], ["PSUBSCRIBE", "ch*"], ["PUBSUB", "CHANNELS"],
    ["PING"], ["ECHO", "x"], ["HELLO", "3"], ["SELECT", "0"], ["INFO"], ["ROLE"], ["COMMAND"], ["COMMAND", "DOCS", "get"],
    ["CLIENT", "SETNAME", "app"], ["CLIENT", "GETNAME"], ["CLIENT", "ID"], ["CLIENT", "INFO"], ["CLIENT", "TRACKING", "ON"],
    ["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"], ["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["CLUSTER", "MYID"],
    ["CLUSTER", "KEYSLOT", "k"], ["CLUSTER", "COUNTKEYSINSLOT", "0"], ["CLUSTER", "GETKEYSINSLOT", "0", "1"],
    ["READONLY"], ["READWRITE"], ["ASKING"], ["WAIT", "0", "0"], ["MEMORY", "USAGE", "k"], ["OBJECT", "ENCODING", "k"],
];

/** Changing a sentinel, voting, hello messages, administration: every one must answer NOPERM to the application user. */
export function sentinelRefused(masterName: string): RefusedCommand[] {
    return [
        { args: ["SENTINEL", "REMOVE", masterName] },
        { args: ["SENTINEL", "SET", masterName, "quorum", "1"] },
        { args: ["SENTINEL", "FAILOVER", masterName] },
        { args: ["SENTINEL", "RESET", masterName] },
        { args: ["SENTINEL", "MONITOR", "intruder", "127.0.0.1", "6379", "1"] },
        { args: ["SENTINEL", "CONFIG", "SET", "announce-port", "1"] },
        { args: ["SENTINEL", "CONFIG", "GET", "*"] },
        { args: ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*"] },
        { args: ["SENTINEL", "FLUSHCONFIG"] },
        { args: ["SENTINEL", "SIMULATE-FAILURE", "crash-after-election"] },
        { args: ["SENTINEL", "DEBUG"] },
        { args: ["PUBLISH", "__sentinel__:hello", "forged"] },
        { args: ["ACL", "SETUSER", "intruder", "on", ">intruder-password-0123", "+@all"] },
        { args: ["ACL", "LIST"] },
        { args: ["CLIENT", "LIST"] },
        { args: ["CLIENT", "KILL", "ID", "999999999"] },
        { args: ["CLIENT", "PAUSE", "1"] },
        { args: ["SHUTDOWN", "NOSAVE"] },
    ];
}

/**
 * What Sentinel clients send to a sentinel (ioredis, redis-py, go-redis, Jedis, Lettuce): none
 * may answer NOPERM. (Without a monitored master some answer "No such master": still allowed.)
 * SUBSCRIBE/PSUBSCRIBE come last: after them a RESP2 connection only takes (un)subscriptions.
 */
export function sentinelAllowed(masterName: string): string[][] {
    return [
        ["PING"], ["HELLO", "2"], ["CLIENT", "SETNAME", "app"], ["CLIENT", "GETNAME"], ["CLIENT", "ID"], ["ROLE"], ["INFO"],
        ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName], ["SENTINEL", "MASTERS"], ["SENTINEL", "MASTER", masterName],
        ["SENTINEL", "REPLICAS", masterName], ["SENTINEL", "SLAVES", masterName], ["SENTINEL", "SENTINELS", masterName],
        ["SUBSCRIBE", "+switch-master"], ["PSUBSCRIBE", "+switch-*"], ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"],
    ];
}

/** `AUTH` with the application password (none: auth off), then `commands`: their replies, without AUTH's. */
export type Send = (commands: string[][]) => Promise<RespValue[]>;

/** Asserts each refused command's reply: NOPERM, or (protected commands) an error. */
export function assertRefused(replies: RespValue[], refused: RefusedCommand[], where: string): void {
    assert.equal(replies.length, refused.length, `${where}: one reply per command (got ${replies.length} of ${refused.length}; a refused command closed the connection?)`);
    refused.forEach((c, i) => {
        const r = replies[i];
        const what = `${where}: ${c.args.join(" ")}`;
        if (c.protectedCommand) assert.ok(r instanceof RespError, `${what} must be refused, got ${String(r)}`);
        else assert.ok(r instanceof RespError && r.message.startsWith("NOPERM"), `${what}: expected NOPERM, got ${String(r)}`);
    });
}

/** Asserts no reply is NOPERM (other errors, e.g. "No such master", are fine). */
export function assertNotRefused(replies: RespValue[], commands: string[][], where: string): void {
    assert.ok(replies.length >= commands.length, `${where}: one reply per command (got ${replies.length} of ${commands.length})`);
    commands.forEach((c, i) => {
        const r = replies[i];
        assert.ok(!(r instanceof RespError && r.message.startsWith("NOPERM")), `${where}: ${c.join(" ")} answered ${String(r)}`);
    });
}
