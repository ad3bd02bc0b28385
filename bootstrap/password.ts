import * as pulumi from "@pulumi/pulumi";

export interface PasswordInputs {
    /** The application password a user gave; generated when absent. */
    given?: string;
    /** Minimum length of a given password (checked at preview, when a secret Output's value is known). */
    minLength: number;
    /**
     * How the deployment's links run: "tls" or "plain" (absent in state written before TLS
     * existed: plain). Switching a running deployment is refused here, the first resource a
     * deployment registers, so a preview fails before anything changes.
     */
    transport?: "tls" | "plain";
    /**
     * Candidates the program generated for this run: used by `create` only, ignored by `diff`
     * and `update` (the passwords in state stay). Sent as inputs so that the program never needs
     * the engine to have run `create` to know a password: under Pulumi's generic mocks, whose
     * resources echo their inputs, every credential is defined.
     */
    password?: string;
    adminPassword?: string;
    monitorPassword?: string;
}

export interface PasswordOutputs extends PasswordInputs {
    password: string;
    adminPassword: string;
    monitorPassword: string;
}

/** 24 random bytes as hex: safe in every config file, URL and shell without quoting. */
function generatePassword(): string {
    const { randomBytes } = require("crypto") as typeof import("crypto");
    return randomBytes(24).toString("hex");
}

/** Why TLS is not switched on (or off) in place, and how to migrate. */
export function transportChangeRefusal(to: "tls" | "plain"): string {
    return to === "tls"
        ? "tls.enabled: turning TLS on for a running deployment is not done in place (its clients, replicas, sentinels and proxies would lose each other while members restart one by one with TLS only). Migrate: deploy a second RedisDeployment with tls: { enabled: true } (another name), copy the data (replicate with REPLICAOF from the old master, or restore an RDB), move the clients to its rediss:// connectionUrl with its caCertificate, then remove the old one. Or remove tls to keep this deployment as it is."
        : "tls.enabled: turning TLS off for a running deployment is not done in place (its clients would be cut off). Deploy a second RedisDeployment without TLS, move the data and the clients, then remove this one; or keep tls: { enabled: true }.";
}

/**
 * The deployment's credentials: the application password (given or generated) and the
 * internal admin and monitor passwords (always generated). Generated once, kept in state as
 * secrets, and changed only when the given password changes.
 */
export const passwordProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: PasswordInputs, news: PasswordInputs) {
        const before = olds.minLength === undefined ? undefined : olds.transport ?? "plain";
        if (before !== undefined && news.transport !== undefined && before !== news.transport) {
            return { inputs: news, failures: [{ property: "transport", reason: transportChangeRefusal(news.transport) }] };
        }
        const given = news.given;
        if (given !== undefined && (given.length < news.minLength || /[\s"'\\]/.test(given))) {
            return {
                inputs: news,
                failures: [{ property: "given", reason: `auth.password must be at least ${news.minLength} characters without whitespace, quotes or backslashes; leave it out to have one generated` }],
            };
        }
        return { inputs: news };
    },
    async diff(_id: string, olds: PasswordOutputs, news: PasswordInputs) {
        return { changes: olds.given !== news.given || olds.minLength !== news.minLength || (olds.transport ?? "plain") !== (news.transport ?? "plain") };
    },
    async create(inputs: PasswordInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        const outs: PasswordOutputs = {
            ...inputs,
            password: inputs.given ?? inputs.password ?? generatePassword(),
            adminPassword: inputs.adminPassword ?? generatePassword(),
            monitorPassword: inputs.monitorPassword ?? generatePassword(),
        };
        return { id: randomBytes(8).toString("hex"), outs };
    },
    async update(_id: string, olds: PasswordOutputs, news: PasswordInputs) {
        // A removed given password is replaced by a generated one; the internal ones never change here.
        const password = news.given ?? (olds.given === undefined ? olds.password : news.password ?? generatePassword());
        return { outs: { ...olds, given: news.given, minLength: news.minLength, transport: news.transport, password } };
    },
};

export interface DeploymentPasswordArgs {
    given?: pulumi.Input<string>;
    minLength?: number;
    transport?: "tls" | "plain";
}

export class DeploymentPassword extends pulumi.dynamic.Resource {
    declare readonly password: pulumi.Output<string>;
    declare readonly adminPassword: pulumi.Output<string>;
    declare readonly monitorPassword: pulumi.Output<string>;
    constructor(name: string, args: DeploymentPasswordArgs, opts?: pulumi.CustomResourceOptions) {
        const given = args.given === undefined ? undefined : pulumi.secret(args.given);
        super(passwordProvider, name, {
            given,
            minLength: args.minLength ?? 16,
            ...(args.transport ? { transport: args.transport } : {}),
            password: given ?? pulumi.secret(generatePassword()),
            adminPassword: pulumi.secret(generatePassword()),
            monitorPassword: pulumi.secret(generatePassword()),
        }, { ...opts, additionalSecretOutputs: ["given", "password", "adminPassword", "monitorPassword"] }, "redis-deployment", "DeploymentPassword");
    }
}
