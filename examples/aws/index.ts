// A Redis cluster of 3 shards x 2 replicas across three zones on AWS, in existing subnets.
// Outside this repository, import from "redis-deployment".
//
//   pulumi config set aws:region us-east-1
//   pulumi config set --path 'zones[0]' us-east-1a   (and [1], [2])
//   pulumi config set --path 'subnetIds[0]' subnet-...   (one or more per zone)
//   pulumi config set --path 'allowedCidrs[0]' 10.0.0.0/16   (your applications and the machine running pulumi)
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { RedisDeployment } from "../../components";

const config = new pulumi.Config();

const redis = new RedisDeployment("cache", {
    provider: "aws",
    mode: "cluster",
    shards: config.getNumber("shards") ?? 3,
    replicasPerShard: config.getNumber("replicasPerShard") ?? 2,
    zones: config.requireObject<string[]>("zones"),
    placement: "spread",
    maxmemory: config.get("maxmemory") ?? "1gb",
    aws: {
        subnetIds: config.requireObject<string[]>("subnetIds"),
        allowedCidrs: config.requireObject<string[]>("allowedCidrs"),
        instanceType: config.get("instanceType"),
        membersPerInstance: config.getNumber("membersPerInstance"),
        tags: { team: config.get("team") ?? "platform" },
    },
});

export const clusterNodes = redis.clusterNodes;
export const members = redis.members;
export const password = redis.password;
export const connectionUrl = redis.connectionUrl;
export const diagram = redis.diagram;
