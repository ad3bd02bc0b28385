import { strict as assert } from "node:assert";
import { slotRanges } from "../../components/plan";
import { clusterProvider, type ClusterInputs } from "../../providers/dynamic/cluster";

const inputs = (shards: number): ClusterInputs => ({
    members: [],
    shards: slotRanges(shards).map((slots, index) => ({ index, slots })),
    adminPassword: "x".repeat(32),
    access: { kind: "direct" },
    timeoutMs: 1000,
    generation: "",
});

describe("cluster bootstrap: changing the shard count", () => {
    it("is refused at preview with a failure on shards, since slots would not move with their keys", async () => {
        const result = await clusterProvider.check!(inputs(3), inputs(4));
        assert.equal(result.failures?.length, 1);
        assert.equal(result.failures![0].property, "shards");
        assert.match(result.failures![0].reason, /from 3 to 4 shards[\s\S]*keep shards: 3/);
    });

    it("a first deployment and a same-size change (e.g. more replicas) pass", async () => {
        assert.deepEqual((await clusterProvider.check!({} as ClusterInputs, inputs(3))).failures, undefined);
        assert.deepEqual((await clusterProvider.check!(inputs(5), inputs(5))).failures, undefined);
    });
});
