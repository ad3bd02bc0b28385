// A mock-mode run of a large AWS deployment: the component builds its whole resource graph
// (no cloud, no engine) with Pulumi mocks that answer like AWS. Measures how long planning,
// rendering 300 boot scripts and registering every resource take:
//
//   /usr/bin/time -v npx ts-node --transpile-only examples/aws/mock-scale.ts [shards] [replicasPerShard]
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

const shards = Number(process.argv[2] ?? 100);
const replicasPerShard = Number(process.argv[3] ?? 2);
const zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
const subnets = zones.map((zone, i) => ({ id: `subnet-0000000000000000${i}`, zone, cidr: `10.40.${i * 4}.0/22`, base: (10 << 24) + (40 << 16) + (i * 4 << 8) }));
const next = new Map<string, number>();
const counts = new Map<string, number>();

async function main(): Promise<void> {
    const started = Date.now();
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            counts.set(args.type, (counts.get(args.type) ?? 0) + 1);
            const state: Record<string, unknown> = { ...args.inputs, arn: `arn:aws:mock:::${args.name}` };
            if (args.type.endsWith(":DeploymentPassword")) {
                Object.assign(state, { password: "p".repeat(48), adminPassword: "a".repeat(48), monitorPassword: "m".repeat(48) });
            } else if (args.type === "aws:ec2/networkInterface:NetworkInterface") {
                const s = subnets.find((x) => x.id === args.inputs.subnetId)!;
                const take = () => {
                    const n = next.get(s.id) ?? 4;
                    next.set(s.id, n + 1);
                    return [24, 16, 8, 0].map((b) => ((s.base + n) >>> b) & 255).join(".");
                };
                const primary = take();
                state.privateIp = primary;
                state.privateIps = [primary, ...Array.from({ length: args.inputs.privateIpsCount }, take)];
            }
            const id = args.type === "aws:ebs/volume:Volume" ? `vol-0${crypto.createHash("sha256").update(args.name).digest("hex").slice(0, 16)}` : `${args.name}-id`;
            return { id, state };
        },
        call: (args) => {
            if (args.token === "aws:ec2/getSubnet:getSubnet") {
                const s = subnets.find((x) => x.id === args.inputs.id)!;
                return { id: s.id, availabilityZone: s.zone, cidrBlock: s.cidr, vpcId: "vpc-0123456789abcdef0", region: "us-east-1" };
            }
            return { id: "ami-0123456789abcdef0" };
        },
    }, "scale", "mock", false);

    const { RedisDeployment } = await import("../../components");
    const redis = new RedisDeployment("big", {
        provider: "aws",
        mode: "cluster",
        shards,
        replicasPerShard,
        zones,
        maxmemory: "4gb",
        aws: { subnetIds: subnets.map((s) => s.id), allowedCidrs: ["10.0.0.0/8"] },
    });
    const members = await new Promise<unknown[]>((resolve) => redis.members.apply((m) => { resolve(m); return m; }));
    await new Promise<void>((resolve) => redis.diagram.apply(() => resolve()));
    const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    if (wait) await wait();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(JSON.stringify({
        shards, replicasPerShard, members: members.length, resources: total,
        byType: Object.fromEntries([...counts].sort()), seconds: (Date.now() - started) / 1000,
        heapMiB: Math.round(process.memoryUsage().heapUsed / 1024 ** 2),
    }, null, 2));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
