// Configs for VMs are rendered by the shared renderers with placeholder credentials; the boot
// script puts the real secrets (read from the cloud's secret store at boot) in their place.
// Redis ACL lines carry SHA-256 hashes of the passwords, so each placeholder's hash is
// replaced by the hash of the real password too. User data therefore never holds a password.
//
// The templates accept the password being retired next to the current one (a placeholder of its
// own, read from its own secret, equal to the current one while no rotation runs): the user data
// stays the same when a password rotates, and a VM that boots during a rotation accepts what the
// running members accept.
import { passwordHash, storedSecretValue } from "../../components/config/users";
import { STORED_SECRETS, type Credentials, type StoredSecret } from "../../components/types";


/** Name (suffix) of each secret in a cloud's secret store: SSM parameter, Secret Manager secret id, Key Vault secret. */
export const SECRET_NAMES: Record<StoredSecret, string> = {
    password: "password",
    adminPassword: "admin-password",
    monitorPassword: "monitor-password",
    retiringPassword: "retiring-password",
    retiringAdminPassword: "retiring-admin-password",
    retiringMonitorPassword: "retiring-monitor-password",
};

/** Where each of `keys` lives in a secret store, from its name (SECRET_NAMES) by `ref`. */
export function secretRefs(keys: readonly StoredSecret[], ref: (secretName: string) => string): Record<StoredSecret, string> {
    return Object.fromEntries(keys.map((k) => [k, ref(SECRET_NAMES[k])])) as Record<StoredSecret, string>;
}

/** Marks the filesystem root in templates; the boot script substitutes it (empty on a real VM). */
export const ROOT_TOKEN = "@@RD_ROOT@@";

/** The placeholder of each stored secret; every one starts with "@@RD_" like ROOT_TOKEN. */
export const PLACEHOLDERS = Object.fromEntries(STORED_SECRETS.map((k) => [k, `@@RD_SECRET_${k}@@`])) as Record<StoredSecret, string>;

/** Credentials whose values are placeholders, the retiring ones included. */
export const PLACEHOLDER_CREDENTIALS: Credentials = {
    password: PLACEHOLDERS.password,
    adminPassword: PLACEHOLDERS.adminPassword,
    monitorPassword: PLACEHOLDERS.monitorPassword,
    retiring: { password: PLACEHOLDERS.retiringPassword, adminPassword: PLACEHOLDERS.retiringAdminPassword, monitorPassword: PLACEHOLDERS.retiringMonitorPassword },
};

/** Hex SHA-256 of each placeholder: how the placeholder appears in ACL `user` lines. */
export function placeholderHashes(): Record<StoredSecret, string> {
    return Object.fromEntries(STORED_SECRETS.map((k) => [k, passwordHash(PLACEHOLDERS[k])])) as Record<StoredSecret, string>;
}

/** The secrets a set of templates needs: those whose placeholder or placeholder hash they contain. */
export function secretsUsed(templates: string[]): StoredSecret[] {
    const hashes = placeholderHashes();
    return STORED_SECRETS.filter((k) => templates.some((t) => t.includes(PLACEHOLDERS[k]) || t.includes(hashes[k])));
}

/**
 * What the boot script does to a template, in TypeScript: used by tests to predict a config,
 * and documents the substitution. `root` is "" on a real VM.
 */
export function substituteSecrets(template: string, credentials: Credentials, root = ""): string {
    const hashes = placeholderHashes();
    let text = template.split(ROOT_TOKEN).join(root);
    for (const k of STORED_SECRETS) {
        const value = storedSecretValue(credentials, k);
        text = text.split(hashes[k]).join(passwordHash(value));
        text = text.split(PLACEHOLDERS[k]).join(value);
    }
    return text;
}
