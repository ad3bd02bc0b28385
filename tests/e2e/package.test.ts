// The package as a user gets it: `npm pack` of the committed files builds dist/ itself (prepack),
// the tarball installs into an empty project next to @pulumi/pulumi, and a program there
// builds a deployment under Pulumi's generic mocks through the package's public entry points.
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const PULUMI_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"] as string;

describe("npm pack: the tarball installs and works in an empty project", function () {
    this.timeout(300000);
    let work: string;
    let tarball: string;
    let files: string[];

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-pack-"));
        // Pack a copy of the tracked files (with this checkout's node_modules for the build), so
        // the checkout itself gets no dist/ and untracked files can not make the test pass.
        const copy = path.join(work, "source");
        const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter((f) => f && fs.existsSync(path.join(ROOT, f)));
        for (const file of tracked) {
            fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
            fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
        }
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
        const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: copy, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
        tarball = path.join(work, packed[0].filename);
        files = (packed[0].files as { path: string }[]).map((f) => f.path);
    });

    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it("holds the compiled entry points, the CLI launcher and the docs, and no tests or TypeScript source", () => {
        for (const f of ["dist/components/index.js", "dist/components/index.d.ts", "dist/providers/local/index.js", "dist/bin/cli/main.js", "bin/redis-deployment", "README.md", "package.json"]) {
            assert.ok(files.includes(f), `the tarball should hold ${f}`);
        }
        assert.deepEqual(files.filter((f) => f.startsWith("tests/") || (f.endsWith(".ts") && !f.endsWith(".d.ts"))), []);
    });

    it("installs next to @pulumi/pulumi and builds a deployment under generic mocks", () => {
        const project = path.join(work, "app");
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
        const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, `@pulumi/pulumi@${PULUMI_VERSION}`], { cwd: project, encoding: "utf8" });
        assert.equal(install.status, 0, `npm install failed:\n${install.stdout}${install.stderr}`);

        const program = `
            const pulumi = require("@pulumi/pulumi");
            pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name + "_id", state: a.inputs }), call: () => ({}) }, "app", "test", false).then(() => {
                const { RedisDeployment } = require("redis-deployment");
                require("redis-deployment/providers/local");
                const d = new RedisDeployment("cache", { mode: "sentinel", auth: { password: pulumi.secret("a-password-of-32-characters-0001") } });
                pulumi.all([d.members, d.sentinelAddresses, d.endpoint]).apply(([members, sentinels, endpoint]) => {
                    console.log("RESULT " + JSON.stringify({ members: members.length, sentinels: sentinels.length, endpoint }));
                });
            });`;
        const run = spawnSync(process.execPath, ["-e", program], { cwd: project, encoding: "utf8", timeout: 60000 });
        const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        assert.ok(line, `no result:\n${run.stdout}${run.stderr}`);
        const result = JSON.parse(line.slice("RESULT ".length));
        assert.deepEqual({ members: result.members, sentinels: result.sentinels }, { members: 2, sentinels: 3 });
        assert.match(result.endpoint, /^127\.\d+\.\d+\.\d+:6379$/);

        const help = spawnSync(path.join(project, "node_modules/.bin/redis-deployment"), ["--help"], { encoding: "utf8" });
        assert.equal(help.status, 0, help.stderr);
        assert.match(help.stdout, /redis-deployment/);
    });
});
