// Your own program embedding RedisDeployment through the Pulumi Automation API: an inline
// Pulumi program, a local file backend, no Pulumi.yaml to maintain.
//
//   npx ts-node examples/automation/index.ts            up, write and read a key, destroy
//   npx ts-node examples/automation/index.ts up         up and keep it running
//   npx ts-node examples/automation/index.ts destroy    remove it
//
// Run it from a folder whose node_modules holds @pulumi/pulumi and ioredis (the repository root
// here, your project's root in your own code): the engine loads the component's dynamic
// providers from there.
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { Redis } from "ioredis";
import { RedisDeployment } from "../../components"; // in your code: from "redis-deployment"

const stateDir = process.env.EXAMPLE_STATE_DIR ?? path.join(os.homedir(), ".redis-deployment-example");

/** The Pulumi CLI: on PATH, else (in this repository) the one bin/setup-pulumi provides. */
async function pulumiCli(): Promise<{ command: PulumiCommand; dir?: string }> {
    try {
        return { command: await PulumiCommand.get() };
    } catch {
        const setup = path.resolve(__dirname, "../../bin/setup-pulumi");
        const dir = spawnSync("bash", [setup], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).stdout.trim();
        if (!dir) throw new Error("the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/)");
        return { command: await PulumiCommand.get({ root: path.dirname(dir) }), dir };
    }
}

async function main(action: string): Promise<void> {
    fs.mkdirSync(path.join(stateDir, "state"), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(stateDir, "workspace"), { recursive: true });
    const passphraseFile = path.join(stateDir, "passphrase");
    if (!fs.existsSync(passphraseFile)) fs.writeFileSync(passphraseFile, randomBytes(32).toString("base64"), { mode: 0o600 });
    const { command, dir } = await pulumiCli();

    const stack = await LocalWorkspace.createOrSelectStack({
        projectName: "my-app",
        stackName: "dev",
        // The inline program: any Pulumi code, here one RedisDeployment.
        program: async () => {
            const redis = new RedisDeployment("cache", {
                mode: "replication",      // 1 master + 1 replica behind 2 HAProxies
                replicasPerShard: 1,
                maxmemory: "64mb",
            });
            return { endpoint: redis.endpoint, readEndpoint: redis.readEndpoint, password: redis.password };
        },
    }, {
        workDir: path.join(stateDir, "workspace"),   // Pulumi.yaml / Pulumi.dev.yaml are written here
        pulumiCommand: command,
        projectSettings: { name: "my-app", runtime: "nodejs", main: process.cwd() },
        envVars: {
            PULUMI_BACKEND_URL: `file://${path.join(stateDir, "state")}`,
            // Secrets in state are encrypted with PULUMI_CONFIG_PASSPHRASE if set, else a generated one (0600).
            ...(process.env.PULUMI_CONFIG_PASSPHRASE === undefined ? { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile } : {}),
            PULUMI_HOME: path.join(stateDir, "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            ...(dir ? { PATH: `${dir}:${process.env.PATH}` } : {}),
        },
    });
    const progress = { onOutput: (text: string) => process.stderr.write(text) };

    if (action === "destroy") {
        await stack.destroy(progress);
        return;
    }
    const { outputs, summary } = await stack.up(progress);
    console.log(`\nup: ${JSON.stringify(summary.resourceChanges)}; writes go to ${outputs.endpoint.value}, reads to ${outputs.readEndpoint.value}`);

    const [host, port] = String(outputs.endpoint.value).split(":");
    const client = new Redis({ host, port: Number(port), password: outputs.password.value });
    await client.set("greeting", `hello from ${stack.name}`);
    console.log(`GET greeting -> ${await client.get("greeting")}`);
    client.disconnect();

    if (action !== "up") {
        await stack.destroy(progress);
        console.log("destroyed");
    }
}

main(process.argv[2] ?? "demo").catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
