// TLS on Kubernetes: where each pod finds its certificate files, and the Secrets that hold them.
// Every node has a Secret `<pod>-tls` of type kubernetes.io/tls (tls.crt, tls.key, ca.crt): made
// by the deployment from its certificates, or by cert-manager from tls.certManagerIssuer, the
// same shape either way. A pod template mounts the Secrets of all pods it stands for, each under
// `<PATHS.tls>/<pod>/`; a pod reads its own directory (its name is $HOSTNAME / $(POD_NAME)).
import { TLS_FILES } from "../../components/tls";
import { PATHS } from "./layout";

/** The volume every TLS-speaking container mounts at PATHS.tls. */
export const TLS_VOLUME = "tls";

/** Keys of a kubernetes.io/tls Secret (cert-manager writes the same three). */
export const TLS_SECRET_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** The Secret with one pod's certificate (`pod`: a member or sentinel pod, or the HAProxy Deployment's name). */
export function tlsSecretName(pod: string): string {
    return `${pod}-tls`;
}

/** The directory of one pod's certificate files inside its containers. */
export function podTlsDir(pod: string): string {
    return `${PATHS.tls}/${pod}`;
}

/**
 * Secret key -> file name under a pod's directory. HAProxy's `crt` file holds the certificate;
 * it reads the key from the file of the same name plus `.key` (HAProxy's ssl-load-extra-files).
 */
export const TLS_SECRET_FILES: Record<keyof typeof TLS_SECRET_KEYS, string> = {
    cert: TLS_FILES.cert, key: TLS_FILES.key, ca: TLS_FILES.ca,
};
