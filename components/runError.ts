// Argument errors reach the user as a RunError: the engine prints its message alone, without a
// stack trace. One place for the conversion, used by the component and every provider.
import * as pulumi from "@pulumi/pulumi";
import { RedisDeploymentArgumentError } from "./fieldChecks";

/** `check()`, with its argument error turned into a RunError; other errors pass unchanged. */
export function argumentErrorsAsRunError<T>(check: () => T): T {
    try {
        return check();
    } catch (err) {
        if (err instanceof RedisDeploymentArgumentError) throw new pulumi.RunError(err.message);
        throw err;
    }
}
