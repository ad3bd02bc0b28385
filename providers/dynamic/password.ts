import * as pulumi from "@pulumi/pulumi";

export interface PasswordInputs {
    /** The application password a user gave; generated when absent. */
    given?: string;
    /** Minimum length of a given password (checked at preview, when a secret Output's value is known). */
    minLength: number;
}

export interface PasswordOutputs extends PasswordInputs {
    password: string;
    adminPassword: string;
    monitorPassword: string;
}

/**
 * The deployment's credentials: the application password (given or generated) and the
 * internal admin and monitor passwords (always generated). Generated once, kept in state as
 * secrets, and changed only when the given password changes.
 */
export const passwordProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: PasswordInputs, news: PasswordInputs) {
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
        return { changes: olds.given !== news.given || olds.minLength !== news.minLength };
    },
    async create(inputs: PasswordInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        // Hex: safe in every config file, URL and shell without quoting.
        const generate = () => randomBytes(24).toString("hex");
        const outs: PasswordOutputs = { ...inputs, password: inputs.given ?? generate(), adminPassword: generate(), monitorPassword: generate() };
        return { id: randomBytes(8).toString("hex"), outs };
    },
    async update(_id: string, olds: PasswordOutputs, news: PasswordInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        const password = news.given ?? (olds.given === undefined ? olds.password : randomBytes(24).toString("hex"));
        return { outs: { ...olds, ...news, password } };
    },
};

export interface DeploymentPasswordArgs {
    given?: pulumi.Input<string>;
    minLength?: number;
}

export class DeploymentPassword extends pulumi.dynamic.Resource {
    declare readonly password: pulumi.Output<string>;
    declare readonly adminPassword: pulumi.Output<string>;
    declare readonly monitorPassword: pulumi.Output<string>;
    constructor(name: string, args: DeploymentPasswordArgs, opts?: pulumi.CustomResourceOptions) {
        super(passwordProvider, name, {
            given: args.given === undefined ? undefined : pulumi.secret(args.given),
            minLength: args.minLength ?? 16,
            password: undefined,
            adminPassword: undefined,
            monitorPassword: undefined,
        }, { ...opts, additionalSecretOutputs: ["given", "password", "adminPassword", "monitorPassword"] }, "redis-deployment", "DeploymentPassword");
    }
}
