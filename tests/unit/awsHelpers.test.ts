// The AWS provider's pure parts: instance type choice and architecture, EBS device paths, user
// data encoding, the boot hooks, and argument defaults.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import { plan } from "../../components/plan";
import { validateArgs } from "../../components/validate";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeploymentArgumentError } from "../../components/validate";
import { USER_DATA_LIMIT, decodeUserData, encodeUserData } from "../../providers/aws";
import { awsBootHooks, awsDeviceName, awsDiskDevices } from "../../providers/aws/boot";
import { architectureOf, pickInstanceType } from "../../providers/aws/instanceTypes";
import { defaultParameterPrefix, validateAwsArgs } from "../../providers/aws/validate";

const GIB = 1024 ** 3;

function planOf(args: RedisDeploymentArgs) {
    return plan(validateArgs("cache", { provider: "aws", zones: ["us-east-1a"], maxmemory: "1gb", ...args }));
}

describe("AWS provider helpers", () => {
    it("picks the smallest listed instance type with memory >= the need", () => {
        assert.equal(pickInstanceType(0.5 * GIB), "t3.small");
        assert.equal(pickInstanceType(2.5 * GIB), "t3.medium");
        assert.equal(pickInstanceType(4 * GIB), "t3.medium");
        assert.equal(pickInstanceType(4 * GIB + 1), "m6i.large");
        assert.equal(pickInstanceType(100 * GIB), "r6i.4xlarge");
        assert.equal(pickInstanceType(2000 * GIB), undefined);
    });

    it("tells Graviton (arm64) from x86_64 instance types", () => {
        for (const t of ["t4g.small", "r7g.large", "m7gd.xlarge", "c7gn.large", "im4gn.large", "x2gd.medium", "r8g.2xlarge"]) assert.equal(architectureOf(t), "arm64", t);
        for (const t of ["t3.small", "r6i.large", "m6a.large", "c5n.large", "g5.xlarge", "r6id.large", "m5dn.large"]) assert.equal(architectureOf(t), "x86_64", t);
    });

    it("finds an EBS volume by its id on Nitro (NVMe), by its device name on Xen", () => {
        assert.equal(awsDeviceName(0), "/dev/sdf");
        assert.equal(awsDeviceName(2), "/dev/sdh");
        assert.throws(() => awsDeviceName(11), RangeError);
        assert.deepEqual(awsDiskDevices("vol-0123456789abcdef0", "/dev/sdg"), [
            "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "/dev/xvdg", "/dev/sdg",
        ]);
    });

    it("sends user data plain up to 16 KiB, gzip + base64 above, and reads both back", () => {
        const small = "#!/bin/bash\necho hi\n";
        assert.deepEqual(encodeUserData(small), { userData: small });
        const exact = "#!/bin/bash\n" + "#".repeat(USER_DATA_LIMIT - 13) + "\n";
        assert.equal(Buffer.byteLength(exact), USER_DATA_LIMIT);
        assert.ok(encodeUserData(exact).userData, "exactly the limit is still plain");
        const large = "#!/bin/bash\n" + Array.from({ length: 2000 }, (_, i) => `echo line ${i}`).join("\n") + "\n";
        const encoded = encodeUserData(large);
        assert.equal(encoded.userData, undefined);
        assert.ok(encoded.userDataBase64 && Buffer.from(encoded.userDataBase64, "base64").length <= USER_DATA_LIMIT);
        assert.equal(decodeUserData(encoded), large);
        const noise = "#!/bin/bash\n" + Array.from({ length: 3000 }, () => Math.random().toString(36)).join("\n");
        assert.throws(() => encodeUserData(noise), /even compressed/);
    });

    it("reads secrets with awscli in the deployment's region and user data from IMDSv2", () => {
        const hooks = awsBootHooks("ap-southeast-2");
        assert.equal(hooks.secretFunction, 'aws ssm get-parameter --region ap-southeast-2 --name "$1" --with-decryption --query Parameter.Value --output text');
        assert.match(hooks.userDataFunction!, /X-aws-ec2-metadata-token-ttl-seconds/);
        assert.deepEqual(hooks.packages, ["awscli", "curl"]);
        assert.equal(hooks.addAddresses, true, "Debian does not configure ENI secondary IPs by itself");
        for (const fn of [hooks.secretFunction, hooks.userDataFunction!]) {
            assert.equal(spawnSync("bash", ["-n"], { input: `f() {\n${fn}\n}\n` }).status, 0);
        }
        assert.throws(() => awsBootHooks("us-east-1; rm -rf /"), /not an AWS region/);
    });

    it("fills in the defaults: sized instance type, t3.small sentinels and proxies, gp3 disks of 6 x maxmemory, one member per VM", () => {
        const o = validateAwsArgs("cache", { subnetIds: ["subnet-0123456789abcdef0"], allowedCidrs: ["10.0.0.0/8"] }, planOf({ maxmemory: "6gb" }), { project: "p", stack: "prod" });
        assert.equal(o.instanceType, "r6i.large", "2.5 x 6 GiB = 15 GiB");
        assert.equal(o.instanceTypeGiven, false);
        assert.equal(o.sentinelInstanceType, "t3.small");
        assert.equal(o.proxyInstanceType, "t3.small");
        assert.equal(o.volumeType, "gp3");
        assert.equal(o.volumeSizeGiB, 36);
        assert.equal(o.membersPerInstance, 1);
        assert.equal(o.parameterPrefix, "/redis-deployment/p/prod/cache");
        assert.deepEqual(o.allowedCidrs, ["10.0.0.0/8"]);
        const packed = validateAwsArgs("cache", { subnetIds: ["subnet-0123456789abcdef0"], allowedSecurityGroupIds: ["sg-0123456789abcdef0"], membersPerInstance: 4 },
            planOf({ maxmemory: "1gb", persistence: { aof: false } }), { project: "p", stack: "s" });
        assert.equal(packed.instanceType, "r6i.large", "4 x 2.5 GiB = 10 GiB");
        assert.equal(packed.volumeSizeGiB, 10, "2 x 1 GiB without AOF, at least 10");
    });

    it("keeps an SSM-safe default parameter path whatever the project and stack are called", () => {
        assert.equal(defaultParameterPrefix("my proj", "org/dev", "cache"), "/redis-deployment/my-proj/org-dev/cache");
    });

    it("reports every problem of the aws section at once, each by field", () => {
        try {
            validateAwsArgs("cache", { subnetIds: [], allowedCidrs: ["10.0.0.0/33"], volumeType: "st1", tags: { "aws:x": "y" }, keyName: "" } as never, planOf({}), { project: "p", stack: "s" });
            assert.fail("must throw");
        } catch (err) {
            assert.ok(err instanceof RedisDeploymentArgumentError);
            assert.deepEqual(err.problems.map((p) => p.field).sort(), ["aws.allowedCidrs[0]", "aws.keyName", "aws.subnetIds", "aws.tags.aws:x", "aws.volumeType"]);
        }
    });
});
