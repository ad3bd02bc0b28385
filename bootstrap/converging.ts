import type * as pulumi from "@pulumi/pulumi";
import type { BootstrapAccess } from "../components/types";
import { withAccessSession } from "./access";

/** Keys of a bootstrap resource's state that are results, not inputs. */
const RESULT_KEYS = ["__provider", "result"];

/** Names of the inputs that differ between the stored state and the new inputs. */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>, ignore: string[] = RESULT_KEYS): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => !ignore.includes(k) && JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

/**
 * A bootstrap provider: create and update both mean "make the live system match the plan"
 * (`converge`), so they are the same call; delete leaves the processes to their own resources.
 * The converge result is stored under `result`. Each run reaches members through one access
 * session (one SSH connection for access.ssh), closed when the run ends.
 */
export function convergingProvider<I extends { access: BootstrapAccess }, R>(
    convergeOnce: (inputs: I) => Promise<R>,
    /** For `pulumi refresh`: the live state (roles after a failover), changing nothing. */
    observeOnce?: (inputs: I) => Promise<R>,
): pulumi.dynamic.ResourceProvider {
    const inSession = (fn: (inputs: I) => Promise<R>) => (inputs: I) => withAccessSession(inputs.access, (access) => fn({ ...inputs, access }));
    const converge = inSession(convergeOnce);
    const observe = observeOnce ? inSession(observeOnce) : undefined;
    return {
        async read(id: string, props: I & { result?: R }) {
            if (!observe) return { id, props };
            try {
                return { id, props: { ...props, result: await observe(props) } };
            } catch {
                // Members unreachable: keep what is known; the next `up` reports why.
                return { id, props };
            }
        },
        async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
            return { changes: changedInputs(olds, news).length > 0 };
        },
        async create(inputs: I) {
            const { randomBytes } = require("crypto") as typeof import("crypto");
            const result = await converge(inputs);
            return { id: randomBytes(8).toString("hex"), outs: { ...inputs, result } };
        },
        async update(_id: string, _olds: unknown, news: I) {
            const result = await converge(news);
            return { outs: { ...news, result } };
        },
        async delete() {
            // Nothing to undo: the members' own resources stop and remove them.
        },
    };
}
