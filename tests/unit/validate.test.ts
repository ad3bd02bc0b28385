// validateArgs(): every bad input is one clear error (naming the field) before any resource exists.
import { strict as assert } from "node:assert";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeploymentArgumentError, parseMemory, validateArgs, type ArgumentProblem } from "../../components/validate";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Asserts validateArgs throws a RedisDeploymentArgumentError whose problems are exactly on
 * `fields` (in any order), whose message names each field, and whose problem message for the
 * first field matches `message` when given.
 */
function rejects(args: unknown, fields: string | string[], message?: RegExp, name = "cache"): ArgumentProblem[] {
    const expected = Array.isArray(fields) ? fields : [fields];
    let caught: unknown;
    try {
        validateArgs(name, args as RedisDeploymentArgs);
    } catch (e) {
        caught = e;
    }
    assert.ok(caught !== undefined, `expected validateArgs to reject ${JSON.stringify(args)} on ${expected.join(", ")}`);
    assert.ok(caught instanceof RedisDeploymentArgumentError, `expected a RedisDeploymentArgumentError, got ${String(caught)}`);
    assert.ok(caught instanceof Error, "it is an Error");
    const problems = caught.problems;
    assert.deepEqual(
        [...new Set(problems.map((p) => p.field))].sort(),
        [...expected].sort(),
        `problems: ${JSON.stringify(problems)}`,
    );
    for (const field of expected) {
        assert.match(caught.message, new RegExp(`(^|\\s)${escapeRegExp(field)}:`, "m"), `the message must name ${field}:\n${caught.message}`);
    }
    assert.match(caught.message, new RegExp(`"${escapeRegExp(name)}"`), "the message names the deployment");
    if (message) {
        const p = problems.find((x) => x.field === expected[0])!;
        assert.match(p.message, message);
    }
    for (const p of problems) assert.ok(p.message.trim().length > 10, `problem on ${p.field} explains itself: ${JSON.stringify(p.message)}`);
    return problems;
}

describe("validateArgs", () => {
    describe("rejects, naming the field", () => {
        it("cluster with 2 shards -> shards", () => rejects({ mode: "cluster", shards: 2 }, "shards", /at least 3|between 3/));
        it("cluster with more shards than a Redis cluster supports -> shards", () => rejects({ mode: "cluster", shards: 1001, replicasPerShard: 0 }, "shards"));
        it("cluster whose shards x members exceed 1000 nodes -> shards", () => rejects({ mode: "cluster", shards: 400, replicasPerShard: 2 }, "shards", /1000/));
        it("an even number of sentinels -> sentinels", () => rejects({ mode: "sentinel", sentinels: 4 }, "sentinels", /odd/));
        it("fewer than 3 sentinels -> sentinels", () => rejects({ mode: "sentinel", sentinels: 1 }, "sentinels", /3/));
        it("an unknown mode -> mode", () => rejects({ mode: "master-slave" }, "mode", /standalone.*replication.*sentinel.*cluster/));
        it("an unknown provider -> provider", () => rejects({ provider: "digitalocean" }, "provider", /local/));
        it("negative replicasPerShard -> replicasPerShard", () => rejects({ replicasPerShard: -1 }, "replicasPerShard"));
        it("fractional replicasPerShard -> replicasPerShard", () => rejects({ replicasPerShard: 1.5 }, "replicasPerShard", /whole number/));
        it("replicasPerShard given as a string -> replicasPerShard", () => rejects({ replicasPerShard: "2" }, "replicasPerShard"));
        it("replicas in standalone mode -> replicasPerShard", () => rejects({ mode: "standalone", replicasPerShard: 1 }, "replicasPerShard", /standalone/));
        it("shards outside cluster mode -> shards", () => rejects({ mode: "replication", shards: 3 }, "shards", /cluster/));
        it("sentinels outside sentinel mode -> sentinels", () => rejects({ mode: "replication", sentinels: 3 }, "sentinels", /sentinel/));
        it("sentinel mode with 0 replicas -> replicasPerShard", () => rejects({ mode: "sentinel", replicasPerShard: 0 }, "replicasPerShard", /replica/));
        it("a maxmemory that is not a size -> maxmemory", () => rejects({ maxmemory: "lots" }, "maxmemory", /256mb|2gb/));
        it("a maxmemory with an unknown unit -> maxmemory", () => rejects({ maxmemory: "2tb" }, "maxmemory"));
        it("a maxmemory below 1mb -> maxmemory", () => rejects({ maxmemory: "512kb" }, "maxmemory", /1mb/));
        it("an unknown maxmemoryPolicy -> maxmemoryPolicy", () => rejects({ maxmemoryPolicy: "lru" }, "maxmemoryPolicy", /allkeys-lru/));
        it("an empty zones list -> zones", () => rejects({ zones: [] }, "zones", /at least one/));
        it("zones that is not a list -> zones", () => rejects({ zones: "a,b,c" }, "zones"));
        it("a zone listed twice -> zones", () => rejects({ zones: ["a", "b", "a"] }, "zones", /"a"/));
        it("an invalid zone name -> zones[i]", () => rejects({ zones: ["a", "b c"] }, "zones[1]", /b c/));
        it("a load balancer in front of a cluster -> loadBalancer", () => rejects({ provider: "aws", zones: ["z1"], maxmemory: "1gb", mode: "cluster", loadBalancer: true }, "loadBalancer", /clusterNodes/));
        it("a kubernetes section with another provider -> kubernetes", () => rejects({ provider: "local", kubernetes: { storageClass: "gp3" } } as never, "kubernetes", /provider: "kubernetes"/));
        it("an unknown placement -> placement", () => rejects({ placement: "random" }, "placement", /spread/));
        it("colocate-masters with a single zone -> placement", () => rejects({ placement: "colocate-masters", zones: ["a"] }, "placement", /2 zones/));
        it("a password shorter than 16 characters -> auth.password", () => rejects({ auth: { password: "short" } }, "auth.password", /16/));
        it("a password with whitespace -> auth.password", () => rejects({ auth: { password: "correct horse battery staple" } }, "auth.password", /whitespace/));
        it("a password with a quote -> auth.password", () => rejects({ auth: { password: 'abcdefgh"ijklmnopq' } }, "auth.password"));
        it("a password while auth.enabled is false -> auth.password", () => rejects({ auth: { enabled: false, password: "0123456789abcdef0123" } }, "auth.password", /enabled/));
        it("a disabled command that is not a command name -> auth.disabledCommands[i]", () => rejects({ auth: { disabledCommands: ["flushall", "flush all"] } }, "auth.disabledCommands[1]"));
        it("a disabled command Redis 7.0 does not have -> auth.disabledCommands[i]", () => rejects({ auth: { disabledCommands: ["flushal"] } }, "auth.disabledCommands[0]", /not a Redis 7\.0 command/));
        it("a category in auth.disabledCommands -> auth.disabledCommands[i]", () => rejects({ auth: { disabledCommands: ["@admin"] } }, "auth.disabledCommands[0]", /category/));
    });

    describe("auth.applicationCommands", () => {
        const commands = (applicationCommands: unknown) => ({ auth: { applicationCommands } });
        it("not an object -> auth.applicationCommands", () => rejects(commands(["keys"]), "auth.applicationCommands", /allow/));
        it("an unknown field -> auth.applicationCommands.<field>", () => rejects(commands({ allowed: ["keys"] }), "auth.applicationCommands.allowed", /allow, deny/));
        it("allow that is not a list -> auth.applicationCommands.allow", () => rejects(commands({ allow: "keys" }), "auth.applicationCommands.allow", /list/));
        it("deny that is not a list -> auth.applicationCommands.deny", () => rejects(commands({ deny: { keys: true } }), "auth.applicationCommands.deny", /list/));
        it("an unknown command -> auth.applicationCommands.allow[i]", () => rejects(commands({ allow: ["keys", "kyes"] }), "auth.applicationCommands.allow[1]", /"kyes" is not a Redis 7\.0 command/));
        it("an unknown category -> auth.applicationCommands.deny[i]", () => rejects(commands({ deny: ["@strings"] }), "auth.applicationCommands.deny[0]", /not an ACL category.*@string/));
        it("an unknown subcommand -> auth.applicationCommands.allow[i], listing the known ones", () => rejects(commands({ allow: ["client|lst"] }), "auth.applicationCommands.allow[0]", /client has no subcommand "lst"; it has .*list/));
        it("a subcommand of a command without subcommands -> auth.applicationCommands.allow[i]", () => rejects(commands({ allow: ["get|x"] }), "auth.applicationCommands.allow[0]", /get has no subcommands/));
        it("a rule with its sign -> auth.applicationCommands.deny[i]", () => rejects(commands({ deny: ["-keys"] }), "auth.applicationCommands.deny[0]", /bare name/));
        it("an empty name or a non-string -> auth.applicationCommands.allow[i]", () => rejects(commands({ allow: ["", 7] }), ["auth.applicationCommands.allow[0]", "auth.applicationCommands.allow[1]"]));
        it("the same entry allowed and denied -> auth.applicationCommands", () => rejects(commands({ allow: ["KEYS"], deny: ["keys"] }), "auth.applicationCommands", /both allowed and denied/));
        it("one problem per bad entry, each naming its field", () => {
            const problems = rejects(commands({ allow: ["keys", "nope", "@nope"], deny: ["config|nope"] }),
                ["auth.applicationCommands.allow[1]", "auth.applicationCommands.allow[2]", "auth.applicationCommands.deny[0]"]);
            assert.equal(problems.length, 3);
        });
        it("accepts commands, subcommands and categories in any case, lowercased; absent means nothing added", () => {
            const r = validateArgs("cache", commands({ allow: ["KEYS", "Client|List", "@Dangerous"], deny: ["@pubsub", "hgetall", "config|get"] }) as RedisDeploymentArgs);
            assert.deepEqual(r.applicationCommands, { allow: ["keys", "client|list", "@dangerous"], deny: ["@pubsub", "hgetall", "config|get"] });
            assert.deepEqual(validateArgs("cache", { auth: { applicationCommands: { deny: ["keys"] } } }).applicationCommands, { allow: [], deny: ["keys"] });
            assert.deepEqual(validateArgs("cache", {}).applicationCommands, { allow: [], deny: [] });
        });
        it("proxy.haproxy in cluster mode -> proxy.haproxy", () => rejects({ mode: "cluster", proxy: { haproxy: true } }, "proxy.haproxy", /cluster/));
        it("proxy.haproxy in standalone mode -> proxy.haproxy", () => rejects({ mode: "standalone", proxy: { haproxy: true } }, "proxy.haproxy"));
        it("proxy.count of 0 -> proxy.count", () => rejects({ proxy: { count: 0 } }, "proxy.count"));
        it("loadBalancer on the local provider -> loadBalancer", () => rejects({ loadBalancer: true }, "loadBalancer", /local/));
        it("a typo of a top-level field (replicas) -> replicas, suggesting replicasPerShard", () => rejects({ replicas: 2 }, "replicas", /replicasPerShard/));
        it("a typo inside a section (persistence.aofEnabled) -> persistence.aofEnabled", () => rejects({ persistence: { aofEnabled: true } }, "persistence.aofEnabled", /aof/));
        it("a persistence flag that is not a boolean -> persistence.aof", () => rejects({ persistence: { aof: "yes" } }, "persistence.aof", /true or false/));
        it("a port below 1024 -> port", () => rejects({ port: 80 }, "port"));
        it("a port whose cluster bus would pass 65535 -> port", () => rejects({ port: 60000 }, "port"));
        it("sentinelPort equal to port in sentinel mode -> sentinelPort", () => rejects({ mode: "sentinel", port: 7000, sentinelPort: 7000 }, "sentinelPort"));
        it("a malformed local.addressPrefix -> local.addressPrefix", () => rejects({ local: { addressPrefix: "10.0" } }, "local.addressPrefix", /127\.N/));
        it("local.addressPrefix in 127.0 (the host's) -> local.addressPrefix", () => rejects({ local: { addressPrefix: "127.0" } }, "local.addressPrefix"));
        it("local options on a cloud provider -> local", () => rejects({ provider: "aws", zones: ["us-east-1a"], maxmemory: "1gb", local: { dataDir: "/tmp/x" } }, "local"));
        it("an invalid deployment name -> name", () => rejects({}, "name", /lowercase/, "Cache_1"));
        it("a deployment name longer than 40 characters -> name", () => rejects({}, "name", undefined, "a".repeat(41)));
        it("a cloud provider without maxmemory -> maxmemory", () => rejects({ provider: "aws", zones: ["us-east-1a", "us-east-1b"] }, "maxmemory", /required/));
        it("a cloud provider without zones -> zones", () => rejects({ provider: "gcp", maxmemory: "1gb" }, "zones", /zones/));
        it("a sentinel parallelSyncs of 0 -> sentinel.parallelSyncs", () => rejects({ mode: "sentinel", sentinel: { parallelSyncs: 0 } }, "sentinel.parallelSyncs"));
        it("a sentinel timing out of range -> sentinel.downAfterMilliseconds", () => rejects({ mode: "sentinel", sentinel: { downAfterMilliseconds: 10 } }, "sentinel.downAfterMilliseconds"));
        it("a cluster node timeout below 500 ms -> cluster.nodeTimeoutMs", () => rejects({ mode: "cluster", cluster: { nodeTimeoutMs: 100 } }, "cluster.nodeTimeoutMs"));
        it("a cluster node timeout that is not a whole number -> cluster.nodeTimeoutMs", () => rejects({ mode: "cluster", cluster: { nodeTimeoutMs: "fast" } }, "cluster.nodeTimeoutMs"));
        it("an unknown field in cluster -> cluster.<field> with a suggestion", () => rejects({ mode: "cluster", cluster: { nodeTimeout: 2000 } }, "cluster.nodeTimeout", /nodeTimeoutMs/));
        it("arguments that are not an object -> args", () => rejects([1, 2], "args"));
    });

    describe("reporting", () => {
        it("reports several problems at once, in one error", () => {
            const problems = rejects(
                { mode: "cluster", shards: 2, maxmemory: "lots", zones: [], placement: "nearest", replicas: 1, auth: { password: "short" } },
                ["shards", "maxmemory", "zones", "placement", "replicas", "auth.password"],
            );
            assert.equal(problems.length, 6);
        });

        it("reports both missing settings of a cloud deployment", () => {
            rejects({ provider: "azure" }, ["zones", "maxmemory"]);
        });

        it("suggests the known fields for an unrecognisable one", () => {
            const [p] = rejects({ xyz: 1 }, "xyz");
            assert.match(p.message, /replicasPerShard/);
        });

        it("ignores fields set to undefined", () => {
            assert.doesNotThrow(() => validateArgs("cache", { mode: undefined, replicas: undefined } as unknown as RedisDeploymentArgs));
        });
    });

    describe("defaults", () => {
        it("fills the documented defaults for no arguments", () => {
            const r = validateArgs("cache", undefined);
            assert.equal(r.name, "cache");
            assert.equal(r.provider, "local");
            assert.equal(r.mode, "replication");
            assert.equal(r.replicasPerShard, 1);
            assert.equal(r.shards, 1);
            assert.equal(r.sentinels, 0);
            assert.equal(r.placement, "spread");
            assert.deepEqual(r.persistence, { aof: true, rdb: true });
            assert.equal(r.authEnabled, true);
            assert.deepEqual([...r.disabledCommands].sort(), ["debug", "flushall", "flushdb", "shutdown"]);
            assert.equal(r.port, 6379);
            assert.equal(r.sentinelPort, 26379);
            assert.equal(r.haproxy, true);
            assert.equal(r.proxyCount, 2);
            assert.equal(r.loadBalancer, false);
            assert.equal(r.maxmemoryPolicy, "noeviction");
            assert.equal(r.maxmemoryBytes, 256 * 1024 ** 2);
            assert.ok(r.zones.length >= 1);
        });

        it("an empty object gives the same defaults as no arguments", () => {
            assert.deepEqual(validateArgs("cache", {}), validateArgs("cache", undefined));
        });

        it("turns HAProxy on in replication and sentinel mode, off in standalone and cluster", () => {
            assert.equal(validateArgs("cache", { mode: "replication" }).haproxy, true);
            assert.equal(validateArgs("cache", { mode: "sentinel" }).haproxy, true);
            assert.equal(validateArgs("cache", { mode: "standalone" }).haproxy, false);
            assert.equal(validateArgs("cache", { mode: "cluster" }).haproxy, false);
        });

        it("sentinel mode defaults to 3 sentinels and 1 replica; cluster to 3 shards; standalone to 0 replicas", () => {
            const s = validateArgs("cache", { mode: "sentinel" });
            assert.equal(s.sentinels, 3);
            assert.equal(s.replicasPerShard, 1);
            const c = validateArgs("cache", { mode: "cluster" });
            assert.equal(c.shards, 3);
            assert.equal(c.replicasPerShard, 1);
            assert.equal(validateArgs("cache", { mode: "standalone" }).replicasPerShard, 0);
        });

        it("keeps every valid value given", () => {
            const r = validateArgs("orders", {
                provider: "aws", mode: "cluster", shards: 5, replicasPerShard: 2, zones: ["us-east-1a", "us-east-1b", "us-east-1c"],
                placement: "colocate-masters", maxmemory: "2gb", maxmemoryPolicy: "allkeys-lfu", persistence: { aof: false, rdb: true },
                auth: { password: "0123456789abcdef0123456789abcdef", disabledCommands: ["FLUSHALL", "keys"] }, port: 7000,
            });
            assert.equal(r.provider, "aws");
            assert.equal(r.mode, "cluster");
            assert.equal(r.shards, 5);
            assert.equal(r.replicasPerShard, 2);
            assert.deepEqual(r.zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
            assert.equal(r.placement, "colocate-masters");
            assert.equal(r.maxmemoryBytes, 2 * 1024 ** 3);
            assert.equal(r.maxmemoryPolicy, "allkeys-lfu");
            assert.deepEqual(r.persistence, { aof: false, rdb: true });
            assert.deepEqual(r.disabledCommands, ["flushall", "keys"]);
            assert.equal(r.loadBalancer, false);
            assert.equal(validateArgs("orders", { provider: "aws", mode: "sentinel", zones: ["z1"], maxmemory: "1gb", loadBalancer: true }).loadBalancer, true);
            assert.equal(r.port, 7000);
            assert.equal(r.haproxy, false);
        });

        it("accepts auth.enabled false without a password, and the edges of the ranges", () => {
            assert.equal(validateArgs("cache", { auth: { enabled: false } }).authEnabled, false);
            assert.equal(validateArgs("cache", { mode: "cluster", shards: 3 }).shards, 3);
            assert.equal(validateArgs("cache", { mode: "sentinel", sentinels: 9 }).sentinels, 9);
            assert.equal(validateArgs("cache", { port: 1024 }).port, 1024);
            assert.equal(validateArgs("cache", { port: 55535 }).port, 55535);
            assert.equal(validateArgs("cache", { maxmemory: "1mb" }).maxmemoryBytes, 1024 ** 2);
            assert.equal(validateArgs("cache", { local: { addressPrefix: "127.254" } }).name, "cache");
            assert.equal(validateArgs("c", {}).name, "c");
        });
    });

    describe("parseMemory", () => {
        const cases: [string, number][] = [
            ["1048576", 1048576],
            ["100b", 100],
            ["1k", 1000],
            ["1kb", 1024],
            ["1m", 1000 ** 2],
            ["256mb", 256 * 1024 ** 2],
            ["1g", 1000 ** 3],
            ["2gb", 2 * 1024 ** 3],
            ["2GB", 2 * 1024 ** 3],
            ["64Mb", 64 * 1024 ** 2],
        ];
        for (const [input, bytes] of cases) {
            it(`"${input}" is ${bytes} bytes`, () => assert.equal(parseMemory(input), bytes));
        }
        for (const bad of ["", "mb", "lots", "1.5gb", "-1mb", "2tb", "1 g b", "0x10"]) {
            it(`"${bad}" is not a size`, () => assert.equal(parseMemory(bad), undefined));
        }
    });
});

describe("validateArgs: password rotation", () => {
    it("defaults to rotation \"rotate\" and rotateInternal 0, and takes valid values", () => {
        const d = validateArgs("r", {});
        assert.deepEqual([d.rotation, d.rotateInternal], ["rotate", 0]);
        const s = validateArgs("r", { auth: { rotation: "set", rotateInternal: 2 } });
        assert.deepEqual([s.rotation, s.rotateInternal], ["set", 2]);
    });

    it("names the field for a bad phase, a bad counter, and rotateInternal with HAProxy on VMs", () => {
        const problems = (args: Parameters<typeof validateArgs>[1]) => {
            try {
                validateArgs("r", args);
                return "";
            } catch (err) {
                return (err as Error).message;
            }
        };
        assert.match(problems({ auth: { rotation: "now" as never } }), /auth\.rotation: "now" is not one of: rotate, set/);
        assert.match(problems({ auth: { rotateInternal: -1 } }), /auth\.rotateInternal: must be a whole number >= 0/);
        const aws: RedisDeploymentArgs = { provider: "aws", zones: ["a"], maxmemory: "1gb" };
        assert.match(problems({ ...aws, auth: { rotateInternal: 1 } }), /auth\.rotateInternal: HAProxy on aws VMs reads its check password/);
        assert.equal(problems({ ...aws, proxy: { haproxy: false }, auth: { rotateInternal: 1 } }), "");
        assert.equal(problems({ provider: "kubernetes", maxmemory: "1gb", auth: { rotateInternal: 1 } }), "", "Kubernetes rolls the HAProxy pods");
    });
});
