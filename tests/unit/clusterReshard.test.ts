import { strict as assert } from "node:assert";
import { slotRanges } from "../../components/plan";
import { clusterProvider, parseClusterNodes, type ClusterInputs } from "../../bootstrap/cluster";
import { openSlots, slotTransfers, summarize, type OwnLine } from "../../bootstrap/slotMigration";

const inputs = (shards: number): ClusterInputs => ({
    members: [],
    shards: slotRanges(shards).map((slots, index) => ({ index, slots })),
    adminPassword: "x".repeat(32),
    access: { kind: "direct" },
    timeoutMs: 1000,
    generation: "",
});

const own = (id: string, slots: [number, number][], configEpoch = 1): OwnLine => ({
    id, configEpoch, flags: ["myself", "master"], slots: slots.map(([start, end]) => ({ start, end })), migrating: [], importing: [],
});

describe("cluster bootstrap: changing the shard count", () => {
    it("growing and shrinking pass preview (the bootstrap moves the slots with their keys)", async () => {
        // No check at all is the engine's default (inputs accepted); one added later must not refuse these.
        const check = async (olds: Partial<ClusterInputs>, news: ClusterInputs) =>
            (clusterProvider.check ? await clusterProvider.check(olds, news) : { failures: [] }).failures ?? [];
        for (const [before, after] of [[3, 4], [4, 3], [3, 6], [5, 5]]) {
            assert.deepEqual(await check(inputs(before), inputs(after)), [], `${before} -> ${after}`);
        }
        assert.deepEqual(await check({}, inputs(3)), []);
    });

    it("a changed shard count is a diff, so the bootstrap's update runs", async () => {
        const diff = await clusterProvider.diff!("id", inputs(3), inputs(4));
        assert.equal(diff.changes, true);
    });

    it("3 -> 4: the slots whose planned shard changed move from their current owner to the new shard's master", () => {
        const [a, b, c] = slotRanges(3);
        const [p0, p1, p2, p3] = slotRanges(4);
        const selves = [own("n0", [[a.start, a.end]]), own("n1", [[b.start, b.end]]), own("n2", [[c.start, c.end]]), own("n3", [])];
        const transfers = slotTransfers(selves, [{ id: "n0", ...p0 }, { id: "n1", ...p1 }, { id: "n2", ...p2 }, { id: "n3", ...p3 }]);
        const count = (from: string, to: string) => transfers.filter((t) => t.from === from && t.to === to).length;
        assert.equal(count("n0", "n1"), a.end - p1.start + 1);
        assert.equal(count("n1", "n2"), b.end - p2.start + 1);
        assert.equal(count("n2", "n3"), p3.end - p3.start + 1);
        assert.equal(transfers.length, count("n0", "n1") + count("n1", "n2") + count("n2", "n3"), "no other slot moves");
        assert.deepEqual(slotTransfers(selves, [{ id: "n0", ...a }, { id: "n1", ...b }, { id: "n2", ...c }]), [], "the plan as it is: nothing moves");
    });

    it("4 -> 3: every slot of the removed shard moves to a remaining master", () => {
        const [p0, p1, p2, p3] = slotRanges(4);
        const selves = [own("n0", [[p0.start, p0.end]]), own("n1", [[p1.start, p1.end]]), own("n2", [[p2.start, p2.end]]), own("n3", [[p3.start, p3.end]])];
        const [a, b, c] = slotRanges(3);
        const transfers = slotTransfers(selves, [{ id: "n0", ...a }, { id: "n1", ...b }, { id: "n2", ...c }]);
        assert.equal(transfers.filter((t) => t.from === "n3").length, p3.end - p3.start + 1);
        assert.ok(transfers.every((t) => t.to !== "n3"));
    });

    it("two claims on a slot (right after a failover): the higher config epoch is the owner", () => {
        const transfers = slotTransfers([own("old", [[0, 9]], 1), own("new", [[0, 9]], 5)], [{ id: "new", start: 0, end: 9 }]);
        assert.deepEqual(transfers, []);
    });

    it("open slots from CLUSTER NODES markers are finished toward the node they were going to", () => {
        const lines = parseClusterNodes([
            "aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-100 [100->-bbb] [200-<-ccc]",
            "bbb 127.0.0.1:7001@17001,host-b master - 0 0 2 connected 101-199",
        ].join("\n"));
        assert.deepEqual(lines[0].migrating, [{ slot: 100, to: "bbb" }]);
        assert.deepEqual(lines[0].importing, [{ slot: 200, from: "ccc" }]);
        assert.deepEqual(lines[0].slots, [{ start: 0, end: 100 }]);
        assert.equal(lines[1].hostname, "host-b");
        assert.deepEqual(openSlots([lines[0]]), [{ slot: 100, from: "aaa", to: "bbb" }, { slot: 200, from: "ccc", to: "aaa" }]);
        // Both sides of one migration name it once.
        const target = { ...own("bbb", []), importing: [{ slot: 100, from: "aaa" }] };
        assert.deepEqual(openSlots([lines[0], target]).filter((t) => t.slot === 100), [{ slot: 100, from: "aaa", to: "bbb" }]);
    });

    it("moved slots are summed per source and target for the run's actions", () => {
        const actions = summarize([
            { transfer: { slot: 5, from: "a", to: "b" }, keys: 2 },
            { transfer: { slot: 6, from: "a", to: "b" }, keys: 0 },
            { transfer: { slot: 9, from: "c", to: "b" }, keys: 1 },
        ], (id) => `node-${id}`);
        assert.deepEqual(actions, ["moved 2 slot(s) within 5-6 with 2 key(s): node-a -> node-b", "moved 1 slot(s) within 9-9 with 1 key(s): node-c -> node-b"]);
    });
});
