// Outputs a cloud computes and the program reads back (an interface's addresses, an identity's
// client id, ...). A real cloud always returns them; Pulumi's documented mocks return only what
// `newResource` puts in `state`, often just the inputs. Where the cloud's rule lets the value be
// derived from inputs, the providers derive it when it is missing; every other missing value
// stops the deployment here, with one error naming the resource and the output, instead of a
// TypeError (or a malformed config) far from its cause.
import * as pulumi from "@pulumi/pulumi";

/** Type token -> the outputs of that resource type a mock's `newResource` must return. */
export type ComputedOutputs = Readonly<Record<string, readonly string[]>>;

/** Type token -> output -> how it is derived from inputs when the cloud (or a mock) does not return it. */
export type DerivedOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The message of a missing computed output. */
export function missingComputedMessage(deployment: string, type: string, name: string, output: string): string {
    return `RedisDeployment "${deployment}": ${type} "${name}" has no output "${output}"; under Pulumi mocks, newResource must return it (see docs/testing.md)`;
}

/** `value`, or a RunError naming the resource and the output when it is missing (undefined, null or ""). */
export function requireComputed<T>(deployment: string, type: string, name: string, output: string, value: T | undefined | null): T {
    if (value === undefined || value === null || (value as unknown) === "") throw new pulumi.RunError(missingComputedMessage(deployment, type, name, output));
    return value;
}

/** A computed output as an Output that fails with requireComputed's error when it is missing. */
export function computedOutput<T>(deployment: string, type: string, name: string, output: string, value: pulumi.Input<T | undefined>): pulumi.Output<T> {
    return pulumi.output(value).apply((v) => requireComputed(deployment, type, name, output, v as T | undefined)) as pulumi.Output<T>;
}

/** The cloud's value when it returned one, else `derive()` (the cloud's rule applied to inputs). */
export function computedOr<T>(value: T | undefined | null, derive: () => T): T {
    return value === undefined || value === null || (value as unknown) === "" ? derive() : value;
}
