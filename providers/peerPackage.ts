// A cloud SDK is an optional peer dependency: loaded only by the provider that uses it, and
// missing -> one error saying what to install.
import * as pulumi from "@pulumi/pulumi";

/** Runs `load` (the `require` calls of `pkg`'s modules), turning a missing package into a RunError with the install command. */
export function loadPeerPackage<T>(provider: string, pkg: string, major: number, load: () => T): T {
    try {
        return load();
    } catch (err) {
        throw new pulumi.RunError(`provider "${provider}" needs the ${pkg} package (an optional peer dependency of redis-deployment): npm install ${pkg}@${major} (${(err as Error).message.split("\n")[0]})`);
    }
}
