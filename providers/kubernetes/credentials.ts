// Secrets never enter a ConfigMap or the pod spec. The configs are rendered twice by the shared
// renderers: once with placeholder credentials, from which every credential-bearing line is
// removed (that text goes into a ConfigMap, plus an `include` of the secret part), and once with
// the real credentials, of which only those lines are kept (that goes into the Secret, mounted
// as files). These are the helpers that split the two.
import { passwordHash } from "../../components/config/users";
import type { Credentials } from "../../components/types";

/** Stand-ins for the credentials while rendering the public part; every line that holds them is removed. */
export const PLACEHOLDER_CREDENTIALS: Credentials = {
    password: "@@APP_PASSWORD@@",
    adminPassword: "@@ADMIN_PASSWORD@@",
    monitorPassword: "@@MONITOR_PASSWORD@@",
};

/** Directives that carry a password or a password hash. */
export function isCredentialLine(line: string): boolean {
    return /^(masterauth|requirepass|user)\s/.test(line) || /^sentinel\s+(sentinel-pass|sentinel-user|auth-pass|auth-user)\s/.test(line);
}

function splitCredentials(text: string): { open: string[]; secret: string[] } {
    const lines = text.split("\n");
    return { open: lines.filter((l) => !isCredentialLine(l)), secret: lines.filter(isCredentialLine) };
}

/** Only the credential lines of a rendered config (for the Secret), ending in a newline. */
export function credentialLines(rendered: string): string {
    return [...splitCredentials(rendered).secret, ""].join("\n");
}

/** Throws if a rendered public text still holds anything derived from the placeholder credentials (a renderer changed). */
export function assertNoCredentials(text: string, what: string): string {
    for (const value of Object.values(PLACEHOLDER_CREDENTIALS)) {
        if (text.includes(value) || text.includes(passwordHash(value))) {
            throw new Error(`redis-deployment (kubernetes): the ${what} would hold a credential; a renderer emits a credential directive this provider does not know`);
        }
    }
    return text;
}

/** A rendered config without its credential lines, ending in `include` lines for the Secret's part; checked to hold no credential. */
export function withSecretInclude(rendered: string, includeLines: string[], what: string): string {
    const { open } = splitCredentials(rendered);
    while (open.length > 0 && open[open.length - 1] === "") open.pop();
    return assertNoCredentials([...open, ...includeLines, ""].join("\n"), what);
}
