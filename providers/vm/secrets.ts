// Configs for VMs are rendered by the shared renderers with placeholder credentials; the boot
// script puts the real secrets (read from the cloud's secret store at boot) in their place.
// Redis ACL lines carry SHA-256 hashes of the passwords, so each placeholder's hash is
// replaced by the hash of the real password too. User data therefore never holds a password.
import { passwordHash } from "../../components/config/users";
import { CREDENTIAL_KEYS, type CredentialKey, type Credentials } from "../../components/types";


/** Name (suffix) of each secret in a cloud's secret store: SSM parameter, Secret Manager secret id, Key Vault secret. */
export const SECRET_NAMES: Record<CredentialKey, string> = {
    password: "password",
    adminPassword: "admin-password",
    monitorPassword: "monitor-password",
};

/** Marks the filesystem root in templates; the boot script substitutes it (empty on a real VM). */
export const ROOT_TOKEN = "@@RD_ROOT@@";

/** Credentials whose values are placeholders; every one starts with "@@RD_" like ROOT_TOKEN. */
export const PLACEHOLDER_CREDENTIALS: Credentials = {
    password: "@@RD_SECRET_password@@",
    adminPassword: "@@RD_SECRET_adminPassword@@",
    monitorPassword: "@@RD_SECRET_monitorPassword@@",
};

/** Hex SHA-256 of each placeholder: how the placeholder appears in ACL `user` lines. */
export function placeholderHashes(): Record<CredentialKey, string> {
    return Object.fromEntries(CREDENTIAL_KEYS.map((k) => [k, passwordHash(PLACEHOLDER_CREDENTIALS[k])])) as Record<CredentialKey, string>;
}

/** The secrets a set of templates needs: those whose placeholder or placeholder hash they contain. */
export function secretsUsed(templates: string[]): CredentialKey[] {
    const hashes = placeholderHashes();
    return CREDENTIAL_KEYS.filter((k) => templates.some((t) => t.includes(PLACEHOLDER_CREDENTIALS[k]) || t.includes(hashes[k])));
}

/**
 * What the boot script does to a template, in TypeScript: used by tests to predict a config,
 * and documents the substitution. `root` is "" on a real VM.
 */
export function substituteSecrets(template: string, credentials: Credentials, root = ""): string {
    const hashes = placeholderHashes();
    let text = template.split(ROOT_TOKEN).join(root);
    for (const k of CREDENTIAL_KEYS) {
        text = text.split(hashes[k]).join(passwordHash(credentials[k]));
        text = text.split(PLACEHOLDER_CREDENTIALS[k]).join(credentials[k]);
    }
    return text;
}
