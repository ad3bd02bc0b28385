// A Redis master with two replicas and three sentinels across three zones on GCP, in existing
// subnetworks, with HAProxy and an internal TCP load balancer in front.
// Outside this repository, import from "redis-deployment".
//
//   pulumi config set gcp:project my-project
//   pulumi config set --path 'zones[0]' europe-west1-b   (and [1] europe-west1-c, [2] europe-west1-d)
//   pulumi config set --path 'subnetworks[0]' projects/my-host-project/regions/europe-west1/subnetworks/redis
//   pulumi config set --path 'allowedCidrs[0]' 10.0.0.0/16   (your applications and the machine running pulumi)
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { RedisDeployment } from "../../components";

const config = new pulumi.Config();

const redis = new RedisDeployment("cache", {
    provider: "gcp",
    mode: "sentinel",
    replicasPerShard: 2,
    sentinels: 3,
    zones: config.requireObject<string[]>("zones"),
    maxmemory: config.get("maxmemory") ?? "1gb",
    loadBalancer: true,
    gcp: {
        subnetworks: config.requireObject<string[]>("subnetworks"),
        allowedCidrs: config.requireObject<string[]>("allowedCidrs"),
        machineType: config.get("machineType"),
        labels: { team: config.get("team") ?? "platform" },
    },
});

export const endpoint = redis.endpoint;
export const sentinelAddresses = redis.sentinelAddresses;
export const masterName = redis.masterName;
export const members = redis.members;
export const password = redis.password;
export const connectionUrl = redis.connectionUrl;
export const diagram = redis.diagram;
