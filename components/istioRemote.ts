/**
 * `IstioRemote`: attaches one remote cluster X to its primary P in a
 * primary-remote mesh, with the official Helm charts (Istio 1.30,
 * istio.io "Install Primary-Remote [on different networks]", Helm tab):
 *
 * 1. `istio-system` in X, annotated `topology.istio.io/controlPlaneClusters: P`
 *    (so P's istiod, running with `externalIstiod`, takes X's leader lock) and,
 *    on a multi-network mesh, labelled `topology.istio.io/network: <X's network>`;
 * 2. `base` with `profile: remote`, then the reader token Secret, then
 *    `istiod` with `profile: remote` whose webhook and xDS address
 *    (`global.remotePilotAddress`) is P's east-west gateway;
 * 3. the remote secret of X in P ({@link RemoteSecret}), authenticated as X's
 *    read-only `istio-reader-service-account`;
 * 4. on a multi-network mesh, X's east-west gateway, installed only after the
 *    remote secret exists and P's `istiod-gateway` / `istiod-vs` exist: its
 *    pods are injected through X's webhook, which P's istiod serves (reached
 *    through those objects on P's east-west gateway) and patches only once
 *    it watches X. X's other workloads wait for the same ({@link IstioRemote.meshReady}).
 *
 * With `revisions` (canary upgrades, docs/upgrade.md), step 2 installs one
 * remote `istiod` release per revision (`<name>-istiod` for `default`,
 * `<name>-istiod-<rev>` otherwise) and one tag webhook per tag
 * (`<name>-tag-<tag>`), and the east-west gateway follows the default tag.
 *
 * Old-guide mapping: the Istio 1.0/1.1 `istio-remote` chart with
 * `remotePilotAddress=<pilot pod IP>` is now the `istiod` chart with
 * `profile=remote` and the east-west gateway's address; `istioctl
 * create-remote-secret | kubectl apply` is now the {@link RemoteSecret}
 * resource.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import {
    CONTROL_PLANE_CLUSTERS_ANNOTATION,
    HelmValues,
    ISTIO_CHARTS,
    deepMerge,
    withGatewayRevision,
    NETWORK_LABEL,
    RELEASE_NAMES,
    baseValues,
    eastWestGatewayValues,
    istioChartSource,
    istioHubProblem,
    remoteInjectionPath,
    remoteIstiodValues,
} from "./istioValues";
import { RemoteSecret, RemoteSecretPair, readerTokenFromSecret, readerTokenSecretArgs } from "./remoteSecret";
import { DEFAULT_REVISION, IstioRevisionSet, ResolvedRevisionSet, istiodNameOf, rendersInjector, resolveRevisionSet, revisionSetProblems, versionBesideRevisionsProblem } from "../config/revisions";
import { installRevisions, revisionTagWebhook } from "./istioRevisions";
import type { ClusterHandle, MeshIdentity } from "./types";

/** Type token of {@link IstioRemote}. Public contract: renaming it needs an alias. */
export const ISTIO_REMOTE_TYPE = "ack-mesh:mesh:IstioRemote";

/** An Istio release version the charts are published under: `1.30.3`, `1.31.0-rc.0`. */
const ISTIO_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The control plane a remote is attached to. */
export interface IstioRemoteControlPlane {
    /** Handle of the primary P that controls this remote; must be the remote's `controlledBy` in the identity. */
    cluster: ClusterHandle;
    /**
     * Address (an IP on Alibaba SLB, or a hostname) of P's east-west gateway,
     * which exposes istiod on 15012/15017 (`expose-istiod.yaml`). It becomes
     * the remote's `global.remotePilotAddress`; pass the control plane's
     * output so the dependency is recorded. Changing it updates the remote
     * istiod release.
     */
    eastWestAddress: pulumi.Input<string>;
    /**
     * Resources in P that the remote secret (a Secret in P's `istio-system`)
     * must wait for: P's `istio-system` Namespace or the release that creates it.
     * @default [] (nothing besides this remote's own istiod)
     */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * P's objects that expose its istiod on its east-west gateway
     * (`istiod-gateway`, `istiod-vs`; `IstioControlPlane.istiodExposure`). X's
     * injection webhook and proxies reach P's istiod only through them, so
     * X's east-west gateway and everything that waits on
     * {@link IstioRemote.meshReady} waits for them.
     * @default [] (e.g. P exposes istiod by other means that already exist)
     */
    istiodExposure?: ReadonlyArray<pulumi.Resource>;
}

/** Extra Helm values, deep-merged last over the generated ones. */
export interface IstioRemoteValuesOverride {
    /** Values of the `base` release. */
    base?: HelmValues;
    /** Values of the remote `istiod` release. */
    istiod?: HelmValues;
    /** Values of the east-west `gateway` release. */
    eastWestGateway?: HelmValues;
}

/** Arguments of {@link IstioRemote}. */
export interface IstioRemoteArgs {
    /** The mesh identity (plain). The remote must be in it, must not be a control plane, and must be controlled by `controlPlane.cluster`. */
    identity: MeshIdentity;
    /**
     * Handle of the remote cluster X. Its name and network must match the
     * identity; its provider creates every in-cluster child except the
     * remote secret, and its `apiServerUrl` is what P's istiod reads.
     */
    cluster: ClusterHandle;
    /** The primary P and its east-west gateway address. */
    controlPlane: IstioRemoteControlPlane;
    /**
     * Istio chart version of every release (`1.30.3`). Chart values keys
     * differ between minors; keep it equal to the control plane's.
     * @default "1.30.3" (`DEFAULTS.istioVersion`)
     */
    istioVersion?: string;
    /**
     * Helm chart repository: an HTTP repository URL or an OCI registry
     * (`oci://…`), e.g. a mirror reachable from mainland China.
     * @default "https://istio-release.storage.googleapis.com/charts"
     */
    chartRepository?: string;
    /**
     * Whether to install an east-west gateway in X (needed when X's network
     * is reached from other networks).
     * @default identity.multiNetwork
     */
    eastWestGateway?: boolean;
    /**
     * Registry path of the Istio images, set as `global.hub` of the remote
     * `istiod` release (a registry and a namespace, e.g.
     * `registry.cn-hangzhou.aliyuncs.com/my-ns`; no scheme, tag or trailing
     * `/`). Only the `istiod` chart has `global.hub` (istio@1.30.3
     * values-keys.json); with `profile: remote` it renders no image itself:
     * X's pods, its east-west gateway included (`image: auto`), are injected
     * by P's istiod, so P's hub decides their proxy image. Keep it equal to
     * the control plane's. `valuesOverride.istiod` still merges last.
     * @default unset: the charts' own hub (`docker.io/istio`)
     */
    hub?: string;
    /** Helm values deep-merged last, per release. @default {} */
    valuesOverride?: IstioRemoteValuesOverride;
    /**
     * The mesh's revisions and tags (the same set as the primary's). Each
     * revision gets a remote `istiod` release (`istiod-<rev>`, `profile:
     * remote`, chart value `revision`): its `istiod-<rev>` Service points at
     * the primary's east-west gateway, whose `istiod-vs-<rev>` routes the
     * SNI `istiod-<rev>.istio-system.svc` to that revision, and its injection
     * webhook uses the cluster's injection path. Each tag gets its webhook
     * here too (same path, `istiod-<rev>` Service). The east-west gateway
     * follows the default tag. Mutually exclusive with `istioVersion`.
     * Checked and resolved here (config/revisions.ts).
     * A tag named `default` pointing at a named revision also takes over
     * `istio-injection=enabled`; the revision-less istiod then renders no
     * injector and is updated only after that tag's webhook exists
     * (`installRevisions`).
     * @default unset: one revision-less remote install at `istioVersion`
     */
    revisions?: IstioRevisionSet;
}

/** Arguments of {@link IstioRemote} with every default applied. */
export interface ResolvedIstioRemoteArgs extends IstioRemoteArgs {
    istioVersion: string;
    /** `revisions` with its defaults applied; unset without revisions or when they have problems. */
    revisionSet?: ResolvedRevisionSet;
    eastWestGateway: boolean;
    valuesOverride: IstioRemoteValuesOverride;
}

/**
 * Applies the defaults and collects every problem of the arguments: the
 * remote must be a non-control-plane cluster of the identity controlled by
 * `controlPlane.cluster`, both handles' names and networks must match the
 * identity, and the Istio version must be a release version. Pure.
 */
export function resolveIstioRemoteArgs(args: IstioRemoteArgs): { resolved: ResolvedIstioRemoteArgs; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    const { identity } = args;
    const names = Object.keys(identity.clusters);
    const remote = identity.clusters[args.cluster.name];
    const primaryName = args.controlPlane.cluster.name;
    const primary = identity.clusters[primaryName];

    if (!remote) {
        add("cluster.name", `is not a cluster of mesh "${identity.meshId}"`, `use one of: ${names.join(", ")}`, args.cluster.name);
    } else {
        if (remote.controlPlane) {
            add("cluster.name", "is a control plane in the mesh identity, not a remote", "install it with IstioControlPlane, or mark it as a remote", args.cluster.name);
        } else if (remote.controlledBy !== primaryName) {
            add(
                "controlPlane.cluster.name",
                `is not the control plane of remote "${remote.clusterName}" (the identity says it is controlled by "${remote.controlledBy}")`,
                `pass the handle of "${remote.controlledBy}"`,
                primaryName,
            );
        }
        if (args.cluster.network !== remote.network) {
            add("cluster.network", `differs from the network of "${remote.clusterName}" in the mesh identity ("${remote.network}")`, "build the handle and the identity from the same config", args.cluster.network);
        }
    }
    if (!primary) {
        add("controlPlane.cluster.name", `is not a cluster of mesh "${identity.meshId}"`, `use one of: ${identity.controlPlanes.join(", ")}`, primaryName);
    } else {
        if (!primary.controlPlane) {
            add("controlPlane.cluster.name", "is a remote in the mesh identity, not a control plane", `use one of: ${identity.controlPlanes.join(", ")}`, primaryName);
        }
        if (args.controlPlane.cluster.network !== primary.network) {
            add(
                "controlPlane.cluster.network",
                `differs from the network of "${primary.clusterName}" in the mesh identity ("${primary.network}")`,
                "build the handle and the identity from the same config",
                args.controlPlane.cluster.network,
            );
        }
    }
    const revisionProblems = args.revisions ? revisionSetProblems(args.revisions, "revisions") : [];
    problems.push(...revisionProblems);
    if (args.revisions !== undefined && args.istioVersion !== undefined) problems.push(versionBesideRevisionsProblem("istioVersion", args.istioVersion, "revisions"));
    // Resolved only when consistent: every tag's revision installed, the default tag present.
    const revisionSet = args.revisions && revisionProblems.length === 0 ? resolveRevisionSet(args.revisions) : undefined;
    const istioVersion = revisionSet ? revisionSet.installed[revisionSet.defaultRevision] : (args.istioVersion ?? DEFAULTS.istioVersion);
    if (!args.revisions && !ISTIO_VERSION.test(istioVersion)) {
        add("istioVersion", "is not an Istio release version", `use a published chart version such as "${DEFAULTS.istioVersion}"`, istioVersion);
    }
    if (args.hub !== undefined) {
        const bad = istioHubProblem(args.hub);
        if (bad) add("hub", bad.message, bad.fix, args.hub);
    }
    return {
        resolved: {
            ...args,
            istioVersion,
            ...(revisionSet ? { revisionSet } : {}),
            eastWestGateway: args.eastWestGateway ?? identity.multiNetwork,
            valuesOverride: args.valuesOverride ?? {},
        },
        problems,
    };
}

/**
 * True when an {@link IstioRemote} creates this remote secret: the target is
 * a remote and the watcher is its `controlledBy`. A program that installs
 * the mesh creates the other pairs of `remoteSecretPairs(identity)` itself.
 * Pure.
 */
export function istioRemoteOwnsPair(identity: MeshIdentity, pair: RemoteSecretPair): boolean {
    const target = identity.clusters[pair.target];
    return target !== undefined && !target.controlPlane && target.controlledBy === pair.watcher;
}

/** The first load-balancer address (IP, else hostname) of a Service status. */
function loadBalancerAddress(status: k8s.types.output.core.v1.ServiceStatus | undefined): string | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress?.ip || ingress?.hostname || undefined;
}

/** Istio on one remote cluster, attached to its primary. See the module documentation. */
export class IstioRemote extends pulumi.ComponentResource {
    /** `istio-system` in the remote. */
    public readonly namespace: k8s.core.v1.Namespace;
    /** The `base` release (`profile: remote`). */
    public readonly base: k8s.helm.v3.Release;
    /** The reader token Secret (`kubernetes.io/service-account-token`); its `data` is secret. */
    public readonly readerToken: k8s.core.v1.Secret;
    /** The remote `istiod` release (`profile: remote`) of the default tag's revision: webhook, istiod Service to the primary, reader RBAC. */
    public readonly istiod: k8s.helm.v3.Release;
    /** The remote `istiod` release of each revision, by revision name (`default` without revisions). */
    public readonly istiods: Readonly<Record<string, k8s.helm.v3.Release>>;
    /** The remote secret of this cluster, created in the primary. */
    public readonly remoteSecret: RemoteSecret;
    /** The east-west gateway release, when installed. */
    public readonly eastWestGateway?: k8s.helm.v3.Release;
    /** Load-balancer address of this cluster's east-west gateway, when installed. */
    public readonly eastWestAddress?: pulumi.Output<string>;
    /**
     * What X's in-mesh workloads must wait for, in this order: X's istiod
     * release (webhook, istiod Service), X's remote secret in P (P's istiod
     * watches X and patches the webhook), and `controlPlane.istiodExposure`
     * (P's istiod is reachable through P's east-west gateway). X's east-west
     * gateway waits for all of them.
     */
    public readonly meshReady: ReadonlyArray<pulumi.Resource>;

    constructor(name: string, args: IstioRemoteArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ISTIO_REMOTE_TYPE, name, {}, opts);
        const { resolved, problems } = resolveIstioRemoteArgs(args);
        if (problems.length) throw new ConfigError(problems, `Invalid IstioRemote "${name}"`);
        const { identity, cluster, controlPlane, istioVersion, valuesOverride } = resolved;
        const self = identity.clusters[cluster.name];
        const local: pulumi.CustomResourceOptions = { parent: this, provider: cluster.provider };
        const revs = resolved.revisionSet;
        const chart = (chartName: string, version = istioVersion) => istioChartSource(chartName, version, args.chartRepository);

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: ISTIO_CHARTS.namespace,
                    annotations: { [CONTROL_PLANE_CLUSTERS_ANNOTATION]: controlPlane.cluster.name },
                    ...(identity.multiNetwork ? { labels: { [NETWORK_LABEL]: self.network } } : {}),
                },
            },
            local,
        );
        const namespace = this.namespace.metadata.name;

        // The default tag's revision validates Istio config here too (base chart defaultRevision, as on the primary).
        const baseOverride = revs && revs.defaultRevision !== DEFAULT_REVISION ? deepMerge({ defaultRevision: revs.defaultRevision }, valuesOverride.base ?? {}) : valuesOverride.base;
        this.base = new k8s.helm.v3.Release(
            `${name}-base`,
            { ...chart(ISTIO_CHARTS.base, revs?.base), name: RELEASE_NAMES.base, namespace, values: baseValues(identity, cluster.name, baseOverride) },
            local,
        );

        // The token controller fills data.token / data["ca.crt"] asynchronously;
        // `pulumi.com/waitFor` (see readerTokenSecretArgs) makes the provider wait for it.
        this.readerToken = new k8s.core.v1.Secret(`${name}-reader-token`, readerTokenSecretArgs(namespace), { ...local, dependsOn: [this.base] });

        // An Output-valued `values`: the release records its dependency on whatever produced the address.
        const istiodValues = (revision?: string) =>
            pulumi.output(controlPlane.eastWestAddress).apply((address) => {
                if (!address) {
                    throw new pulumi.ResourceError(`the east-west address of control plane "${controlPlane.cluster.name}" is empty; its east-west gateway has no load-balancer address`, this);
                }
                return remoteIstiodValues(identity, cluster.name, address, valuesOverride.istiod, {
                    ...(args.hub !== undefined ? { hub: args.hub } : {}),
                    ...(revision !== undefined ? { revision } : {}),
                    ...(revs && revision !== undefined ? { injector: rendersInjector(revs, revision) } : {}),
                });
            });
        let istiods: Record<string, k8s.helm.v3.Release> = {};
        const tags: pulumi.Resource[] = [];
        if (!revs) {
            istiods[DEFAULT_REVISION] = new k8s.helm.v3.Release(
                `${name}-istiod`,
                { ...chart(ISTIO_CHARTS.istiod), name: RELEASE_NAMES.istiod, namespace, values: istiodValues() },
                { ...local, dependsOn: [this.base] },
            );
        } else {
            // Same injection path as the remote istiod releases' webhooks (remoteIstiodValues).
            const injectionPath = remoteInjectionPath(self);
            const installed = installRevisions(
                revs,
                (rev, version, after) => {
                    const release = istiodNameOf(rev);
                    return new k8s.helm.v3.Release(`${name}-${release}`, { ...chart(ISTIO_CHARTS.istiod, version), name: release, namespace, values: istiodValues(rev) }, { ...local, dependsOn: [this.base, ...after] });
                },
                (tag, rev, after) => new k8s.admissionregistration.v1.MutatingWebhookConfiguration(`${name}-tag-${tag}`, revisionTagWebhook(tag, rev, { injectionPath }), { ...local, dependsOn: after }),
            );
            istiods = { ...installed.istiods };
            tags.push(...Object.values(installed.tags));
        }
        this.istiods = istiods;
        this.istiod = istiods[revs ? revs.defaultRevision : DEFAULT_REVISION];

        // In P: the reader RBAC and the webhooks P's istiod patches come from this cluster's istiod release.
        const reader = readerTokenFromSecret(this.readerToken);
        this.remoteSecret = new RemoteSecret(
            `${name}-remote-secret`,
            {
                watcher: controlPlane.cluster,
                target: { clusterName: cluster.name, apiServerUrl: cluster.apiServerUrl, token: reader.token, caData: reader.caData },
            },
            { parent: this, dependsOn: [...Object.values(istiods), ...(controlPlane.dependsOn ?? [])] },
        );
        this.meshReady = revs
            ? [...Object.values(istiods), ...tags, this.remoteSecret, ...(controlPlane.istiodExposure ?? [])]
            : [this.istiod, this.remoteSecret, ...(controlPlane.istiodExposure ?? [])];

        if (resolved.eastWestGateway) {
            const ewValues = eastWestGatewayValues(identity, cluster.name, valuesOverride.eastWestGateway, cluster.cni);
            const gatewayValues = revs ? withGatewayRevision(ewValues, revs.defaultTag) : ewValues;
            const serviceName = typeof gatewayValues.name === "string" ? gatewayValues.name : RELEASE_NAMES.eastwest;
            const gateway = new k8s.helm.v3.Release(
                `${name}-eastwest`,
                { ...chart(ISTIO_CHARTS.gateway), name: RELEASE_NAMES.eastwest, namespace, values: gatewayValues },
                // Pods in X can be injected only once P's istiod watches X and is reachable through P's east-west gateway.
                { ...local, dependsOn: [...this.meshReady] },
            );
            const service = k8s.core.v1.Service.get(`${name}-eastwest-svc`, pulumi.interpolate`${gateway.status.namespace}/${serviceName}`, {
                ...local,
                dependsOn: [gateway],
            });
            this.eastWestGateway = gateway;
            this.eastWestAddress = service.status.apply((status) => {
                const address = loadBalancerAddress(status);
                if (!address) {
                    throw new pulumi.ResourceError(`east-west gateway Service ${ISTIO_CHARTS.namespace}/${serviceName} of "${cluster.name}" has no load-balancer address`, service);
                }
                return address;
            });
        }

        this.registerOutputs({
            namespace: this.namespace.metadata.name,
            istiod: this.istiod.status,
            remoteSecret: this.remoteSecret.secretName,
            eastWestAddress: this.eastWestAddress,
        });
    }
}
