import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { convergeReplication, replicationProvider } from "../../bootstrap/replication";
import { Fleet, processesUnder } from "../helpers/fleet";

describe("replication bootstrap against real redis-server (1 master + 2 replicas)", function () {
    let fleet: Fleet;
    const inputs = () => ({
        members: fleet.bootstrapMembers(),
        adminPassword: fleet.credentials.adminPassword,
        access: { kind: "direct" as const },
        timeoutMs: 30000,
        generation: "1",
    });

    before(async () => {
        fleet = new Fleet("rep", { mode: "replication", replicasPerShard: 2 });
        await fleet.startMembers();
    });
    after(async () => {
        await fleet?.cleanup();
        assert.deepEqual(processesUnder(fleet.root), [], "every process of the test is stopped");
    });

    it("makes the planned master the master and the others its replicas, through the provider's create", async () => {
        const created = await replicationProvider.create(inputs());
        const master = fleet.members[0];
        assert.equal(created.outs.result.master, `${master.address}:6379`);
        assert.equal(created.outs.result.actions.length, 2);
    });

    it("a write on the master is readable on both replicas, with the application password", async () => {
        const [master, ...replicas] = fleet.members;
        const writer = new Redis({ host: master.address, port: 6379, password: fleet.credentials.password });
        try {
            await writer.set("greeting", "hello");
            await writer.call("WAIT", "2", "5000");
        } finally {
            writer.disconnect();
        }
        for (const replica of replicas) {
            const reader = new Redis({ host: replica.address, port: 6379, password: fleet.credentials.password });
            try {
                assert.equal(await reader.get("greeting"), "hello");
                await assert.rejects(reader.set("x", "1"), /READONLY/);
            } finally {
                reader.disconnect();
            }
        }
    });

    it("a second run changes nothing", async () => {
        const again = await convergeReplication(inputs());
        assert.deepEqual(again.actions, []);
    });

    it("after a manual failover the live master is kept, not the planned one", async () => {
        const [planned, promoted, other] = fleet.members;
        const admin = fleet.adminLogin;
        const c = (m: typeof planned) => new Redis({ host: m.address, port: 6379, username: admin.user, password: admin.password });
        const p = c(promoted), o = c(other), old = c(planned);
        try {
            await p.call("REPLICAOF", "NO", "ONE");
            await o.call("REPLICAOF", promoted.address, "6379");
            await old.call("REPLICAOF", promoted.address, "6379");
        } finally {
            p.disconnect(); o.disconnect(); old.disconnect();
        }
        const refreshed = await replicationProvider.read!("id", { ...inputs(), result: { master: `${planned.address}:6379` } });
        assert.equal(refreshed.props!.result.master, `${promoted.address}:6379`, "refresh reports the live master");
        const result = await convergeReplication(inputs());
        assert.equal(result.master, `${promoted.address}:6379`);
        assert.deepEqual(result.actions, []);
    });
});
