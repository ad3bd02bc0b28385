import * as pulumi from "@pulumi/pulumi";
import type { RotationPhase } from "../components/types";

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
     * resources echo their inputs, every credential is defined. A rotation of the internal
     * passwords takes the run's candidates as the new ones.
     */
    password?: string;
    adminPassword?: string;
    monitorPassword?: string;
    /** auth.rotation: "rotate" (phase 1, default) or "set" (phase 2). */
    rotation?: RotationPhase;
    /** auth.rotateInternal: a new value rotates the internal passwords. */
    rotateInternal?: number;
    /**
     * Whether phase 1 of a rotation is in progress after this run. Derived by `check` from the
     * previous inputs, so that a `set` with nothing to retire fails at preview.
     */
    rotationInProgress?: boolean;
}

export interface PasswordOutputs extends PasswordInputs {
    password: string;
    adminPassword: string;
    monitorPassword: string;
    /** During phase 1: the passwords being retired (still accepted). */
    retiringPassword?: string;
    retiringAdminPassword?: string;
    retiringMonitorPassword?: string;
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
 * Why a run's rotation arguments can not be applied, given the previous run's inputs (undefined
 * when they can); and whether phase 1 is in progress after it. Pure, so it is tested alone.
 */
export function rotationProblem(olds: Partial<PasswordInputs>, news: PasswordInputs): { problem?: string; inProgress: boolean } {
    const created = olds.minLength === undefined;
    const phase = news.rotation ?? "rotate";
    const appChanging = !created && news.given !== olds.given;
    const internalChanging = !created && (news.rotateInternal ?? 0) !== (olds.rotateInternal ?? 0);
    const changing = appChanging || internalChanging;
    const inProgress = !!olds.rotationInProgress;
    const what = appChanging ? "auth.password" : "auth.rotateInternal";
    if (phase === "set") {
        if (changing) {
            return { inProgress, problem: `auth.rotation is "set" while ${what} changes: the old password would be refused before the new one was ever valid next to it. Run up with auth.rotation "rotate" (the default) first, then "set" in a later up` };
        }
        if (!created && !inProgress && (olds.rotation ?? "rotate") !== "set") {
            return { inProgress, problem: `auth.rotation is "set" but no rotation is in progress, so there is no old password to retire. Start one by changing auth.password (or raising auth.rotateInternal) with auth.rotation "rotate"` };
        }
        return { inProgress: false };
    }
    if (inProgress && changing) {
        return { inProgress, problem: `a rotation is in progress (the old and the new password are both valid): finish it with auth.rotation "set" before ${appChanging ? "changing auth.password" : "raising auth.rotateInternal"} again` };
    }
    return { inProgress: inProgress || changing };
}

/**
 * The deployment's credentials: the application password (given or generated) and the
 * internal admin and monitor passwords (always generated). Generated once, kept in state as
 * secrets, and changed only by a rotation: phase 1 (`rotation: "rotate"`) keeps the old
 * password as `retiring…` next to the new one, phase 2 (`"set"`) drops it.
 */
export const passwordProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<PasswordInputs>, news: PasswordInputs) {
        const before = olds?.minLength === undefined ? undefined : olds.transport ?? "plain";
        if (before !== undefined && news.transport !== undefined && before !== news.transport) {
            return { inputs: news, failures: [{ property: "transport", reason: transportChangeRefusal(news.transport) }] };
        }
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const given = news.given;
        if (given !== undefined && (given.length < news.minLength || /[\s"'\\]/.test(given))) {
            failures.push({ property: "given", reason: `auth.password must be at least ${news.minLength} characters without whitespace, quotes or backslashes; leave it out to have one generated` });
        }
        const { problem, inProgress } = rotationProblem(olds ?? {}, news);
        if (problem) failures.push({ property: "rotation", reason: problem });
        return { inputs: { ...news, rotationInProgress: inProgress }, failures };
    },
    async diff(_id: string, olds: PasswordOutputs, news: PasswordInputs) {
        return {
            changes: olds.given !== news.given || olds.minLength !== news.minLength
                || (olds.rotation ?? "rotate") !== (news.rotation ?? "rotate")
                || (olds.rotateInternal ?? 0) !== (news.rotateInternal ?? 0)
                || !!olds.rotationInProgress !== !!news.rotationInProgress
                || (olds.transport ?? "plain") !== (news.transport ?? "plain"),
        };
    },
    async create(inputs: PasswordInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        const outs: PasswordOutputs = {
            ...inputs,
            rotationInProgress: false,
            password: inputs.given ?? inputs.password ?? generatePassword(),
            adminPassword: inputs.adminPassword ?? generatePassword(),
            monitorPassword: inputs.monitorPassword ?? generatePassword(),
        };
        return { id: randomBytes(8).toString("hex"), outs };
    },
    async update(_id: string, olds: PasswordOutputs, news: PasswordInputs) {
        // A removed given password is replaced by a generated one.
        const password = news.given ?? (olds.given === undefined ? olds.password : news.password ?? generatePassword());
        const outs: PasswordOutputs = {
            ...olds,
            given: news.given, minLength: news.minLength, transport: news.transport, rotation: news.rotation, rotateInternal: news.rotateInternal,
            rotationInProgress: !!news.rotationInProgress, password,
        };
        if ((news.rotation ?? "rotate") === "set") {
            delete outs.retiringPassword;
            delete outs.retiringAdminPassword;
            delete outs.retiringMonitorPassword;
            return { outs };
        }
        if (password !== olds.password) outs.retiringPassword = olds.password;
        if ((news.rotateInternal ?? 0) !== (olds.rotateInternal ?? 0)) {
            outs.retiringAdminPassword = olds.adminPassword;
            outs.retiringMonitorPassword = olds.monitorPassword;
            outs.adminPassword = news.adminPassword ?? generatePassword();
            outs.monitorPassword = news.monitorPassword ?? generatePassword();
        }
        return { outs };
    },
};

export interface DeploymentPasswordArgs {
    given?: pulumi.Input<string>;
    minLength?: number;
    transport?: "tls" | "plain";
    rotation?: RotationPhase;
    rotateInternal?: number;
}

export class DeploymentPassword extends pulumi.dynamic.Resource {
    declare readonly password: pulumi.Output<string>;
    declare readonly adminPassword: pulumi.Output<string>;
    declare readonly monitorPassword: pulumi.Output<string>;
    declare readonly retiringPassword: pulumi.Output<string | undefined>;
    declare readonly retiringAdminPassword: pulumi.Output<string | undefined>;
    declare readonly retiringMonitorPassword: pulumi.Output<string | undefined>;
    declare readonly rotationInProgress: pulumi.Output<boolean>;
    constructor(name: string, args: DeploymentPasswordArgs, opts?: pulumi.CustomResourceOptions) {
        const given = args.given === undefined ? undefined : pulumi.secret(args.given);
        super(passwordProvider, name, {
            given,
            minLength: args.minLength ?? 16,
            ...(args.transport ? { transport: args.transport } : {}),
            password: given ?? pulumi.secret(generatePassword()),
            adminPassword: pulumi.secret(generatePassword()),
            monitorPassword: pulumi.secret(generatePassword()),
            rotation: args.rotation ?? "rotate",
            rotateInternal: args.rotateInternal ?? 0,
            rotationInProgress: undefined,
            retiringPassword: undefined,
            retiringAdminPassword: undefined,
            retiringMonitorPassword: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: ["given", "password", "adminPassword", "monitorPassword", "retiringPassword", "retiringAdminPassword", "retiringMonitorPassword"],
        }, "redis-deployment", "DeploymentPassword");
    }
}
