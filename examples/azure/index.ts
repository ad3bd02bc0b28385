// Redis replication (1 master + 2 replicas) across three zones on Azure, behind two HAProxy VMs
// and an internal Standard load balancer, in an existing subnet. Outside this repository,
// import from "redis-deployment".
//
//   pulumi config set azure-native:location westeurope
//   pulumi config set subnetId /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>
//   pulumi config set --path 'allowedCidrs[0]' 10.0.0.0/16   (your applications and the machine running pulumi)
//   pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { RedisDeployment } from "../../components";

const config = new pulumi.Config();

const redis = new RedisDeployment("cache", {
    provider: "azure",
    mode: "replication",
    replicasPerShard: config.getNumber("replicasPerShard") ?? 2,
    zones: config.getObject<string[]>("zones") ?? ["1", "2", "3"],
    maxmemory: config.get("maxmemory") ?? "1gb",
    proxy: { haproxy: true, count: 2 },
    loadBalancer: true,
    azure: {
        subnetId: config.require("subnetId"),
        resourceGroupName: config.get("resourceGroupName"),
        allowedCidrs: config.requireObject<string[]>("allowedCidrs"),
        sshPublicKey: config.require("sshPublicKey"),
        vmSize: config.get("vmSize"),
        tags: { team: config.get("team") ?? "platform" },
    },
});

export const endpoint = redis.endpoint;
export const readEndpoint = redis.readEndpoint;
export const members = redis.members;
export const password = redis.password;
export const connectionUrl = redis.connectionUrl;
export const diagram = redis.diagram;
