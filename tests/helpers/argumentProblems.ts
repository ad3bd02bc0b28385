// What validation says about a deployment's arguments, for tests that check one problem or none.
import { strict as assert } from "node:assert";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeploymentArgumentError, validateArgs, type ArgumentProblem } from "../../components/validate";

/** The problems validateArgs finds in `args` ([] when valid); any other error fails the test. */
export function argumentProblems(args: RedisDeploymentArgs, name = "cache"): ArgumentProblem[] {
    try {
        validateArgs(name, args);
        return [];
    } catch (err) {
        assert.ok(err instanceof RedisDeploymentArgumentError, String(err));
        return err.problems;
    }
}

/** The same problems as "field: message" lines. */
export function problemLines(args: RedisDeploymentArgs, name = "cache"): string[] {
    return argumentProblems(args, name).map((p) => `${p.field}: ${p.message}`);
}
