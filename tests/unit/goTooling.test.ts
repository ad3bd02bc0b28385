// The Go source of the Pulumi engine (tools/pulumi-engine) stays real, tidy source, and
// bin/setup-pulumi stays a short script that builds from it: gofmt and go vet are clean, go.mod
// pins the same Pulumi version as the Node.js SDK in package.json, go.sum is there, and the
// script carries no Go of its own.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const ENGINE = path.join(ROOT, "tools", "pulumi-engine");
const SETUP = path.join(ROOT, "bin", "setup-pulumi");

function goAvailable(): boolean {
    return spawnSync("go", ["version"]).status === 0;
}

function run(cmd: string, args: string[], cwd: string) {
    return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=readonly" } });
}

describe("Go tooling (tools/pulumi-engine, bin/setup-pulumi)", () => {
    it("gofmt -l prints nothing", () => {
        assert.ok(goAvailable(), "Go must be installed to build the Pulumi engine (see tools/pulumi-engine/README.md)");
        const result = run("gofmt", ["-l", "."], ENGINE);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout.trim(), "", `not gofmt-formatted:\n${result.stdout}`);
    });

    it("go vet ./... is clean", function () {
        // A couple of seconds with warm Go caches; a few minutes on a cold cache.
        this.timeout(600000);
        assert.ok(goAvailable(), "Go must be installed to build the Pulumi engine (see tools/pulumi-engine/README.md)");
        const result = run("go", ["vet", "./..."], ENGINE);
        assert.equal(result.status, 0, `go vet:\n${result.stdout}${result.stderr}`);
    });

    it("go.mod pins the Pulumi version of package.json's @pulumi/pulumi, and go.sum is committed", () => {
        const goMod = fs.readFileSync(path.join(ENGINE, "go.mod"), "utf8");
        const required = (mod: string) => goMod.match(new RegExp(`^\\s*${mod.replace(/[./]/g, "\\$&")} (v\\S+)`, "m"))?.[1];
        const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        assert.equal(required("github.com/pulumi/pulumi/pkg/v3"), `v${sdk}`);
        assert.equal(required("github.com/pulumi/pulumi/sdk/v3"), `v${sdk}`);
        const goSum = fs.readFileSync(path.join(ENGINE, "go.sum"), "utf8");
        assert.match(goSum, new RegExp(`^github\\.com/pulumi/pulumi/pkg/v3 v${sdk.replace(/\./g, "\\.")} h1:`, "m"));
    });

    it("bin/setup-pulumi is short, carries no Go source, and passes bash -n and shellcheck", () => {
        const text = fs.readFileSync(SETUP, "utf8");
        const lines = text.split("\n").length - 1;
        assert.ok(lines < 150, `bin/setup-pulumi has ${lines} lines; keep the Go code in tools/pulumi-engine`);
        assert.doesNotMatch(text, /^package main$/m, "bin/setup-pulumi writes Go source; keep it in tools/pulumi-engine");
        assert.equal(spawnSync("bash", ["-n", SETUP]).status, 0, "bash -n bin/setup-pulumi");
        assert.ok(spawnSync("shellcheck", ["--version"]).status === 0, "shellcheck must be installed (apt-get install shellcheck)");
        const lint = spawnSync("shellcheck", ["-s", "bash", SETUP], { encoding: "utf8" });
        assert.equal(lint.status, 0, `shellcheck:\n${lint.stdout}${lint.stderr}`);
    });
});
