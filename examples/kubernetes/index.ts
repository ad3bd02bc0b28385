// Two Redis deployments on Kubernetes: a sentinel set for sessions (writes through HAProxy,
// sentinel-aware clients through the sentinels) and a cluster for a cache.
// Outside this repository, import from "redis-deployment" and install @pulumi/kubernetes and
// @kubernetes/client-node next to it.
//
//   pulumi config set storageClass gp3                     (optional: default StorageClass)
//   pulumi config set --path 'zones[0]' eu-west-1a         (optional, and [1], [2])
//   pulumi config set kubeconfig ~/.kube/prod              (optional: $KUBECONFIG / ~/.kube/config)
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { RedisDeployment, type KubernetesProviderArgs } from "../../components";

const config = new pulumi.Config();
const zones = config.getObject<string[]>("zones");
const maxmemory = config.get("maxmemory") ?? "256mb";
const kubernetes: KubernetesProviderArgs = {
    storageClass: config.get("storageClass"),
    kubeconfig: config.get("kubeconfig"),
    context: config.get("context"),
};

// Sentinel mode: 1 master + 2 replicas, 3 sentinels, 2 HAProxy pods behind a Service.
const sessions = new RedisDeployment("sessions", {
    provider: "kubernetes",
    mode: "sentinel",
    replicasPerShard: 2,
    sentinels: 3,
    zones,
    maxmemory,
    kubernetes,                                  // namespace "sessions", created with it
});

// Cluster mode: 3 shards x 1 replica, a shard's members in different zones, a metrics sidecar.
const cache = new RedisDeployment("cache", {
    provider: "kubernetes",
    mode: "cluster",
    shards: 3,
    replicasPerShard: 1,
    zones,
    maxmemory,
    kubernetes: { ...kubernetes, metrics: true }, // namespace "cache"
});

export const sessionsEndpoint = sessions.endpoint;          // <name>-haproxy.<ns>.svc.cluster.local:6379 (writes)
export const sessionsReadEndpoint = sessions.readEndpoint;  // :6380, the replicas
export const sessionsSentinels = sessions.sentinelAddresses;
export const sessionsMasterName = sessions.masterName;
export const cacheNodes = cache.clusterNodes;               // seed nodes for cluster clients
export const sessionsUrl = sessions.connectionUrl;          // secret
export const cachePassword = cache.password;                // secret; in the cluster: Secret cache-auth, key "password"
export const diagram = pulumi.interpolate`${sessions.diagram}\n\n${cache.diagram}`;
