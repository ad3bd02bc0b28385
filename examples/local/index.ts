// The root Pulumi.yaml program: a RedisDeployment on this machine, shaped by stack config
// (`pulumi config set mode cluster`, ...). Outside this repository, import from "redis-deployment".
import * as pulumi from "@pulumi/pulumi";
import { RedisDeployment, type Mode } from "../../components";

const config = new pulumi.Config();
const mode = (config.get("mode") ?? "replication") as Mode;

const redis = new RedisDeployment("redis", {
    provider: "local",
    mode,
    shards: mode === "cluster" ? config.getNumber("shards") ?? 3 : undefined,
    replicasPerShard: mode === "standalone" ? undefined : config.getNumber("replicasPerShard") ?? 1,
    sentinels: mode === "sentinel" ? config.getNumber("sentinels") ?? 3 : undefined,
    maxmemory: config.get("maxmemory") ?? "256mb",
});

export const endpoint = redis.endpoint;
export const readEndpoint = redis.readEndpoint;
export const sentinelAddresses = redis.sentinelAddresses;
export const masterName = redis.masterName;
export const clusterNodes = redis.clusterNodes;
export const members = redis.members;
export const password = redis.password;
export const connectionUrl = redis.connectionUrl;
export const diagram = redis.diagram;
