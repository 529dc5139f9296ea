/**
 * `RemoteSecret`: the Istio remote secret that lets the istiod of a
 * control-plane cluster (the *watcher*) read the API server of another
 * cluster of the mesh (the *target*), as a real, previewable resource.
 *
 * It replaces `istioctl create-remote-secret --name=<X> | kubectl apply`
 * (and the older `generate-kubeconfig.sh` / `create-secret.sh` scripts):
 * the Secret has exactly the shape istioctl 1.30 writes
 * (istio@1.30.3:istioctl/pkg/multicluster/remote_secret.go):
 *
 * - `istio-remote-secret-<X>` in `istio-system` of the watcher,
 * - label `istio/multiCluster: "true"`, annotation `networking.istio.io/cluster: <X>`,
 * - `stringData: { <X>: <kubeconfig> }`: istiod treats every data key as a
 *   cluster ID, so the key must be X's `global.multiCluster.clusterName`.
 *
 * The kubeconfig authenticates as X's `istio-reader-service-account`
 * (read-only, rendered by the `base` chart; its ClusterRole comes from the
 * `istiod` chart), never as an administrator. Its token is read from a
 * `kubernetes.io/service-account-token` Secret built by
 * {@link readerTokenSecretArgs}: the kind of Secret istioctl creates on
 * Kubernetes ≥ 1.24, under a name of ack-mesh's own
 * ({@link READER_TOKEN_SECRET_NAME}). Only clusters that another cluster
 * reads get one ({@link readersOf}).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ConfigError, ConfigProblem } from "../config/errors";
import { DNS_LABEL } from "../config/constants";
import { ISTIO_CHARTS } from "./istioValues";
import type { ClusterHandle, MeshIdentity } from "./types";

/** Type token of {@link RemoteSecret}. Public contract: renaming it needs an alias. */
export const REMOTE_SECRET_TYPE = "ack-mesh:mesh:RemoteSecret";

/** Label istiod's secret controller selects remote secrets by (`MultiClusterSecretLabel`). */
export const MULTI_CLUSTER_SECRET_LABEL = "istio/multiCluster";

/** Annotation istioctl puts on a remote secret: the cluster it gives access to. */
export const REMOTE_SECRET_CLUSTER_ANNOTATION = "networking.istio.io/cluster";

/** The read-only identity istiod uses in other clusters (`constants.DefaultServiceAccountName`). */
export const READER_SERVICE_ACCOUNT = "istio-reader-service-account";

/**
 * Name `istioctl create-remote-secret` gives the token Secret it creates for
 * {@link READER_SERVICE_ACCOUNT} (istio@1.30.3
 * istioctl/pkg/multicluster/remote_secret.go, `tokenSecretName`). ack-mesh
 * never creates a Secret of this name: see {@link READER_TOKEN_SECRET_NAME}.
 */
export const ISTIOCTL_READER_TOKEN_SECRET_NAME = `${READER_SERVICE_ACCOUNT}-istio-remote-secret-token`;

/**
 * Name of the reader token Secret ack-mesh creates in `istio-system` of each
 * cluster that another cluster reads: `ack-mesh-istio-reader-token`.
 *
 * Deliberately not {@link ISTIOCTL_READER_TOKEN_SECRET_NAME}: on a cluster
 * where `istioctl create-remote-secret` ever ran, that Secret already exists
 * and creating it again fails with "already exists". The two coexist; each is
 * a separate token of the same ServiceAccount, and deleting one does not
 * revoke the other. istioctl run later reuses this one (it first looks for
 * any token Secret of the ServiceAccount).
 *
 * Changing this name replaces the Secret (a new token; the remote secrets
 * that embed it are updated, and the old token is revoked when its Secret
 * is deleted).
 */
export const READER_TOKEN_SECRET_NAME = "ack-mesh-istio-reader-token";

/** Annotation binding a `kubernetes.io/service-account-token` Secret to its ServiceAccount. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

/** Secret type whose `data.token` / `data["ca.crt"]` the token controller fills. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";

/**
 * pulumi-kubernetes await annotation: the provider reports the resource as
 * created only once the condition holds. Supported since
 * @pulumi/kubernetes 4.18.0 (pulumi/pulumi-kubernetes#3134, "User-defined
 * await logic": `condition=…` or `jsonpath={…}[=value]`), and taking
 * precedence over built-in await logic since 4.18.4
 * (pulumi/pulumi-kubernetes#3344, fixing #3329). The package is pinned to 4.34.
 */
export const PULUMI_WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";

/** Name of the remote secret for cluster `clusterName`: `istio-remote-secret-<clusterName>`. */
export function remoteSecretName(clusterName: string): string {
    return `istio-remote-secret-${clusterName}`;
}

/** Input of {@link remoteSecretKubeconfig}: everything is plain (resolved). */
export interface RemoteSecretKubeconfigInput {
    /** Target cluster name: the cluster, context and user name of the kubeconfig. */
    clusterName: string;
    /** API server URL of the target, reachable from the watcher's istiod pods. */
    server: string;
    /** Base64 of the target's API server CA bundle (PEM): `certificate-authority-data`. */
    caData: string;
    /** Bearer token of the target's {@link READER_SERVICE_ACCOUNT}. */
    token: string;
}

/**
 * The kubeconfig inside a remote secret, as text, byte for byte what
 * `istioctl create-remote-secret` (bearer-token auth) writes: client-go's
 * `clientcmd.Write` of one cluster, one context and one user, all named after
 * the target cluster, with keys in alphabetical order, sequences not
 * indented, and `preferences: {}`. Pure and deterministic.
 */
export function remoteSecretKubeconfig(input: RemoteSecretKubeconfigInput): string {
    const name = input.clusterName;
    const config = {
        apiVersion: "v1",
        clusters: [{ cluster: { "certificate-authority-data": input.caData, server: input.server }, name }],
        contexts: [{ context: { cluster: name, user: name }, name }],
        "current-context": name,
        kind: "Config",
        preferences: {},
        users: [{ name, user: { token: input.token } }],
    };
    return YAML.stringify(config, { indentSeq: false, lineWidth: 0, sortMapEntries: true });
}

/** One remote secret of the mesh: `watcher`'s istiod reads `target`. */
export interface RemoteSecretPair {
    /** Control-plane cluster whose `istio-system` holds the secret. */
    readonly watcher: string;
    /** Cluster whose API server is read (the secret's data key). */
    readonly target: string;
}

/**
 * Every remote secret a mesh needs. The rule: **each control plane watches
 * every other cluster of the mesh** (the other control planes and all
 * remotes); remotes watch nothing.
 *
 * - multi-primary with N clusters: every ordered pair, N·(N−1) secrets;
 * - primary-remote with one primary P: (P, R) for each remote R (the remote's
 *   `controlledBy` is P);
 * - several primaries and remotes: each primary also watches the remotes of
 *   the other primaries, so that it discovers their endpoints.
 *
 * Sorted by watcher, then target. Pure.
 */
export function remoteSecretPairs(identity: MeshIdentity): RemoteSecretPair[] {
    const clusters = Object.keys(identity.clusters).sort();
    const pairs: RemoteSecretPair[] = [];
    for (const watcher of [...identity.controlPlanes].sort()) {
        for (const target of clusters) {
            if (target !== watcher) pairs.push({ watcher, target });
        }
    }
    return pairs;
}

/**
 * The control planes that read `cluster` (watch it through a remote
 * secret), sorted: the watchers of its pairs in {@link remoteSecretPairs}.
 * Empty when no other cluster reads it — a lone primary, or every primary
 * of a primary-remote mesh — and then the cluster needs no reader token:
 * minting one would leave a long-lived token that nothing uses but that can
 * read every Secret of the cluster (the reader ClusterRole grants get, list
 * and watch on `secrets`: istio@1.30.3
 * manifests/charts/istio-control/istio-discovery/templates/reader-clusterrole.yaml). Pure.
 */
export function readersOf(identity: MeshIdentity, cluster: string): string[] {
    return remoteSecretPairs(identity)
        .filter((p) => p.target === cluster)
        .map((p) => p.watcher);
}

/**
 * Arguments of the `kubernetes.io/service-account-token` Secret for
 * {@link READER_SERVICE_ACCOUNT}, the kind of Secret `istioctl
 * create-remote-secret` creates on Kubernetes ≥ 1.24 but under ack-mesh's
 * own name {@link READER_TOKEN_SECRET_NAME} (not istioctl's), the
 * `kubernetes.io/service-account.name` annotation, and
 * `pulumi.com/waitFor: jsonpath={.data.token}` so that the provider returns
 * only after the token controller filled `data.token` and `data["ca.crt"]`
 * (see {@link PULUMI_WAIT_FOR_ANNOTATION}). Used by `IstioRemote` and
 * `IstioControlPlane` alike. Pure.
 *
 * The ServiceAccount itself is rendered by the `base` chart, so create the
 * Secret with `dependsOn` the base release.
 *
 * @param namespace the Istio system namespace; pass the Namespace resource's
 *   `metadata.name` to record the dependency. @default "istio-system"
 */
export function readerTokenSecretArgs(namespace: pulumi.Input<string> = ISTIO_CHARTS.namespace): k8s.core.v1.SecretArgs {
    return {
        metadata: {
            name: READER_TOKEN_SECRET_NAME,
            namespace,
            annotations: {
                [SERVICE_ACCOUNT_NAME_ANNOTATION]: READER_SERVICE_ACCOUNT,
                [PULUMI_WAIT_FOR_ANNOTATION]: "jsonpath={.data.token}",
            },
        },
        type: SERVICE_ACCOUNT_TOKEN_TYPE,
    };
}

/** What a remote secret needs from a reader token Secret. Both are secret. */
export interface ReaderToken {
    /** The bearer token, decoded (plain JWT text). Secret. */
    readonly token: pulumi.Output<string>;
    /** `data["ca.crt"]` as stored: base64 of the cluster CA PEM, i.e. `certificate-authority-data`. Secret. */
    readonly caData: pulumi.Output<string>;
}

/**
 * The token and CA of a reader token Secret created from
 * {@link readerTokenSecretArgs}: `data.token` base64-decoded, `data["ca.crt"]`
 * kept as base64. Both are wrapped in `pulumi.secret`. Fails (a
 * `ResourceError` on `secret`) when the token controller left a field empty.
 */
export function readerTokenFromSecret(secret: k8s.core.v1.Secret): ReaderToken {
    const field = (key: "token" | "ca.crt") =>
        secret.data.apply((data) => {
            const value = data?.[key];
            if (!value) {
                throw new pulumi.ResourceError(
                    `reader token Secret has no data["${key}"]: the token controller did not fill it; ` +
                        `check that ServiceAccount ${READER_SERVICE_ACCOUNT} exists (rendered by the base chart)`,
                    secret,
                );
            }
            return value;
        });
    return {
        token: pulumi.secret(field("token").apply((b64) => Buffer.from(b64, "base64").toString("utf8"))),
        caData: pulumi.secret(field("ca.crt")),
    };
}

/** The cluster a remote secret gives access to. */
export interface RemoteSecretTarget {
    /**
     * Mesh cluster name of the target (`global.multiCluster.clusterName`): a
     * DNS-1123 label, unique across the mesh. It becomes the Secret name and
     * its only data key; changing it replaces the Secret.
     */
    clusterName: string;
    /** API server URL of the target reachable from the watcher's istiod pods (on ACK: the intranet endpoint). */
    apiServerUrl: pulumi.Input<string>;
    /** Bearer token of the target's {@link READER_SERVICE_ACCOUNT} (see {@link readerTokenFromSecret}). Wrapped as a secret. */
    token: pulumi.Input<string>;
    /** Base64 of the target's API server CA PEM (`certificate-authority-data`). Wrapped as a secret. */
    caData: pulumi.Input<string>;
}

/** Arguments of {@link RemoteSecret}. */
export interface RemoteSecretArgs {
    /**
     * The control-plane cluster whose istiod reads the target. The Secret is
     * created in its `istio-system` with its provider; that namespace must
     * exist first: pass its creator (the Namespace, or the control plane) in
     * `opts.dependsOn`, which the Secret inherits.
     */
    watcher: ClusterHandle;
    /** The cluster being read. Must differ from the watcher. */
    target: RemoteSecretTarget;
}

/**
 * Every problem of the arguments: the target name must be a DNS-1123 label
 * (≤ 63 characters) and differ from the watcher. Pure.
 */
export function validateRemoteSecret(args: RemoteSecretArgs): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const target = args.target.clusterName;
    if (typeof target !== "string" || !DNS_LABEL.test(target) || target.length > 63) {
        problems.push({
            path: "target.clusterName",
            value: target,
            message: "must be a DNS-1123 label of at most 63 characters (it is the remote secret's data key and istiod's cluster ID)",
            fix: "use the cluster's mesh name: lowercase letters, digits and '-'",
        });
    }
    if (target === args.watcher.name) {
        problems.push({
            path: "target.clusterName",
            value: target,
            message: "is the watcher itself; a cluster's istiod already reads its own API server",
            fix: "use a remote secret only between two different clusters",
        });
    }
    return problems;
}

/** The kubeconfig Outputs already built, by the target's `token` input (see {@link targetKubeconfig}). */
const kubeconfigsByToken = new WeakMap<object, { readonly target: RemoteSecretTarget; readonly kubeconfig: pulumi.Output<string> }[]>();

/**
 * The kubeconfig of a remote secret of `target`, as a secret Output. Every
 * watcher of a target gets the same text, so one Output is built per target
 * and shared by its remote secrets (a multi-primary mesh of N clusters reads
 * each target from N − 1 watchers): the same inputs give the same text, the
 * same dependencies and the same secret-ness, for one YAML rendering instead
 * of N − 1. Shared only when the target's inputs are the same objects.
 */
function targetKubeconfig(target: RemoteSecretTarget): pulumi.Output<string> {
    const build = () =>
        pulumi.secret(
            pulumi
                .all([target.apiServerUrl, target.caData, target.token])
                .apply(([server, caData, token]) => remoteSecretKubeconfig({ clusterName: target.clusterName, server, caData, token })),
        );
    const key = target.token;
    if (typeof key !== "object" || key === null) return build();
    const built = kubeconfigsByToken.get(key) ?? [];
    const same = built.find((b) => b.target.clusterName === target.clusterName && b.target.apiServerUrl === target.apiServerUrl && b.target.caData === target.caData);
    if (same) return same.kubeconfig;
    const kubeconfig = build();
    built.push({ target, kubeconfig });
    kubeconfigsByToken.set(key, built);
    return kubeconfig;
}

/**
 * The remote secret of `target` in `watcher`: one `core/v1` Secret
 * (`${name}-secret`) created with the watcher's provider, whose whole
 * kubeconfig is a Pulumi secret. `opts.dependsOn` applies to the Secret, and
 * only to it (the component records none: depending on the component waits
 * for the Secret, and so for everything the Secret waits for).
 */
export class RemoteSecret extends pulumi.ComponentResource {
    /** The Secret in the watcher's `istio-system`. Its `stringData` is secret. */
    public readonly secret: k8s.core.v1.Secret;
    /** Kubernetes name of the Secret: `istio-remote-secret-<target>`. */
    public readonly secretName: string;
    /** Mesh name of the watcher. */
    public readonly watcherCluster: string;
    /** Mesh name of the target. */
    public readonly targetCluster: string;

    constructor(name: string, args: RemoteSecretArgs, opts: pulumi.ComponentResourceOptions = {}) {
        // `dependsOn` is recorded once, on the Secret that has to wait: the engine does not make a
        // child wait for its parent's dependencies, and a component has no operation of its own.
        // A multi-primary mesh of N clusters has N·(N − 1) remote secrets, each waiting for about 30
        // resources; recording the list on both doubled the dependency URNs of the stack.
        const { dependsOn, ...componentOpts } = opts;
        super(REMOTE_SECRET_TYPE, name, {}, componentOpts);
        const problems = validateRemoteSecret(args);
        if (problems.length) throw new ConfigError(problems, `Invalid RemoteSecret "${name}"`);

        const target = args.target.clusterName;
        this.watcherCluster = args.watcher.name;
        this.targetCluster = target;
        this.secretName = remoteSecretName(target);

        const kubeconfig = targetKubeconfig(args.target);

        this.secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: {
                    name: this.secretName,
                    namespace: ISTIO_CHARTS.namespace,
                    labels: { [MULTI_CLUSTER_SECRET_LABEL]: "true" },
                    annotations: { [REMOTE_SECRET_CLUSTER_ANNOTATION]: target },
                },
                type: "Opaque",
                stringData: { [target]: kubeconfig },
            },
            { parent: this, provider: args.watcher.provider, dependsOn },
        );

        this.registerOutputs({ secretName: this.secretName, secretId: this.secret.id });
    }
}
