// Program start time on Azure: how long loading the azure-native submodules the provider uses
// takes compared with the package root, and a whole mock-mode run of this example's deployment
// (no cloud, no engine: Pulumi mocks answer like Azure).
//
//   npx ts-node --transpile-only examples/azure/mock-startup.ts require-submodules | require-root | mock-run
import * as pulumi from "@pulumi/pulumi";

const SUBNET_ID = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/redis";
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function main(what: string): Promise<void> {
    const start = process.hrtime.bigint();
    if (what === "require-submodules") {
        // The classes the provider constructs, so their files load too.
        const m = ["authorization", "compute", "keyvault", "managedidentity", "network"].map((s) => require(`@pulumi/azure-native/${s}`));
        void [m[0].RoleAssignment, m[1].Disk, m[1].VirtualMachine, m[2].Vault, m[2].Secret, m[3].UserAssignedIdentity, m[4].NetworkInterface, m[4].LoadBalancer, m[4].getSubnetOutput];
    } else if (what === "require-root") {
        const az = require("@pulumi/azure-native");
        void [az.authorization.RoleAssignment, az.compute.Disk, az.compute.VirtualMachine, az.keyvault.Vault, az.network.NetworkInterface];
    } else if (what === "mock-run") {
        let resources = 0;
        await pulumi.runtime.setMocks({
            newResource: (a) => {
                resources++;
                const state: Record<string, unknown> = { ...a.inputs };
                if (a.type.endsWith(":DeploymentPassword")) Object.assign(state, { password: "p".repeat(48), adminPassword: "a".repeat(48), monitorPassword: "m".repeat(48) });
                if (a.type.endsWith(":UserAssignedIdentity")) Object.assign(state, { clientId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", principalId: "p", tenantId: "t" });
                if (a.type.endsWith(":Vault")) Object.assign(state, { properties: { vaultUri: `https://${a.inputs.vaultName}.vault.azure.net/` } });
                return { id: `${a.name}-id`, state };
            },
            call: () => ({ addressPrefix: "10.0.4.0/24" }),
        }, "startup", "mock", false);
        const { RedisDeployment } = await import("../../components");
        const redis = new RedisDeployment("cache", {
            provider: "azure", mode: "replication", replicasPerShard: 2, zones: ["1", "2", "3"], maxmemory: "1gb", loadBalancer: true,
            azure: { subnetId: SUBNET_ID, allowedCidrs: ["10.0.0.0/16"], sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk7Tz3mJ0c0d1m9dSx0Zr3Lh8yU2Jv3vYbQbq0X8f2e" },
        });
        await new Promise<void>((resolve) => redis.diagram.apply(() => resolve()));
        const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
        if (wait) await wait();
        console.error(`resources: ${resources}`);
    }
    const azureFiles = Object.keys(require.cache).filter((k) => k.includes("node_modules/@pulumi/azure-native/")).length;
    console.log(JSON.stringify({ what, ms: Math.round(ms(start)), azureNativeFilesLoaded: azureFiles, heapMiB: Math.round(process.memoryUsage().heapUsed / 1024 ** 2) }));
}

main(process.argv[2] ?? "mock-run").catch((err) => {
    console.error(err);
    process.exit(1);
});
