/**
 * `IstioControlPlane`: Istio on one control-plane (primary) cluster, from
 * the official Helm charts, in the order the charts need
 * (istio@1.30.3 `manifests/charts`; reference notes §1–§5):
 *
 * 1. the `istio-system` Namespace, labelled `topology.istio.io/network` on
 *    multi-network meshes (how istiod picks the network of the cluster's
 *    endpoints);
 * 2. the plug-in CA Secret `cacerts` (intermediate CA of this cluster under
 *    the mesh's shared root), before istiod starts: istiod mounts it
 *    optionally and would otherwise self-sign;
 * 3. the `base` chart (CRDs, the `istio-reader-service-account`), then the
 *    `istiod` chart;
 * 4. the gateways (`gateway` chart, injected by istiod): an ingress gateway
 *    on an internet SLB and an east-west gateway on an intranet SLB;
 * 5. the east-west Istio objects: `cross-network-gateway` (15443
 *    AUTO_PASSTHROUGH) on multi-network meshes, and `istiod-gateway` /
 *    `istiod-vs` (15012, 15017) when the cluster serves remote clusters;
 * 6. the mesh-wide `PeerAuthentication` (STRICT by default);
 * 7. when another control plane reads this cluster (multi-primary), the
 *    reader token its remote secret uses; none otherwise.
 *
 * Old-guide mapping: the 1.0/1.1 "replicated control planes" with a
 * `.global` suffix, `istiocoredns` and hand-written ServiceEntries on the
 * ingress gateway's 15443 are replaced here by one istiod per primary with a
 * shared root (`cacerts`), remote secrets for endpoint discovery and a
 * dedicated east-west gateway discovered from its network label.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import { K8sObject, crossNetworkGateway, istiodGateway, istiodVirtualService, meshPeerAuthentication } from "./istioObjects";
import {
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
    ingressGatewayValues,
    istiodValues,
    servesRemotes,
} from "./istioValues";
import { ReaderToken, readerTokenFromSecret, readerTokenSecretArgs, readersOf } from "./remoteSecret";
import { DEFAULT_REVISION, IstioRevisionSet, ResolvedRevisionSet, istiodNameOf, rendersInjector, resolveRevisionSet, revisionSetProblems, versionBesideRevisionsProblem } from "../config/revisions";
import { installRevisions, istiodRevisionVirtualService, revisionTagWebhook } from "./istioRevisions";
import type { ClusterHandle, MeshIdentity } from "./types";

/** Type token of {@link IstioControlPlane}. Public contract: renaming it needs an alias. */
export const ISTIO_CONTROL_PLANE_TYPE = "ack-mesh:mesh:IstioControlPlane";

/** An Istio release version the charts are published under: `1.30.3`, `1.31.0-rc.0`. */
const ISTIO_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Mesh-wide mTLS: a `PeerAuthentication` in `STRICT` or `PERMISSIVE` mode, or `OFF` for none (Istio's default, permissive). */
export type MeshMtlsMode = "STRICT" | "PERMISSIVE" | "OFF";

/** Accepted values of {@link IstioControlPlaneArgs.mtls}. */
export const MESH_MTLS_MODES: readonly MeshMtlsMode[] = ["STRICT", "PERMISSIVE", "OFF"];

/** Keys of the plug-in CA Secret `cacerts` (istio@1.30.3 security/pkg/pki/ca/ca.go). */
export const CACERTS_KEYS = {
    caCertPem: "ca-cert.pem",
    caKeyPem: "ca-key.pem",
    rootCertPem: "root-cert.pem",
    certChainPem: "cert-chain.pem",
} as const;

/** Name of the plug-in CA Secret istiod mounts at `/etc/cacerts`. */
export const CACERTS_SECRET_NAME = "cacerts";

/** The plug-in CA of one cluster: its intermediate CA under the mesh's shared root (from `MeshCertificateAuthority`). */
export interface IstioCaCerts {
    /** Intermediate CA certificate, PEM (`ca-cert.pem`). */
    caCertPem: pulumi.Input<string>;
    /** Intermediate CA private key, PEM (`ca-key.pem`). Stored as a secret. */
    caKeyPem: pulumi.Input<string>;
    /** Shared root certificate, PEM (`root-cert.pem`). Must be the same in every cluster of the mesh. */
    rootCertPem: pulumi.Input<string>;
    /** Intermediate followed by the root, PEM (`cert-chain.pem`). */
    certChainPem: pulumi.Input<string>;
}

/** Helm values deep-merged last onto what ack-mesh computes, per release (plain values only). */
export interface IstioControlPlaneValuesOverride {
    /** Values of the `base` release. `global.enableReaderRBAC` must stay true (the reader token needs its ServiceAccount). */
    base?: HelmValues;
    /** Values of the `istiod` release. */
    istiod?: HelmValues;
    /** Values of the ingress `gateway` release, e.g. `service.annotations` for the SLB spec. */
    ingressGateway?: HelmValues;
    /** Values of the east-west `gateway` release. Its `name` is fixed: the east-west Istio Gateways select `istio: eastwestgateway`. */
    eastWestGateway?: HelmValues;
}

/** Arguments of {@link IstioControlPlane}. */
export interface IstioControlPlaneArgs {
    /** The mesh identity; `cluster` must be one of its control planes. */
    identity: MeshIdentity;
    /**
     * The control-plane cluster. Its `provider` is used for every child;
     * its `name` and `network` must match the identity.
     */
    cluster: ClusterHandle;
    /**
     * Istio release: the pinned `version` of the three charts. Chart values
     * keys differ between minors; the values are written for 1.30.
     * Raising it upgrades Istio in place (base, then istiod, then gateways).
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
     * This cluster's plug-in CA (from `MeshCertificateAuthority`), written
     * to the Secret `cacerts` before istiod starts. Required when the mesh
     * has more than one control plane (their workloads must share one root
     * of trust for cross-cluster mTLS) or when `sharedRoot` is true.
     * Changing the root re-keys the mesh: every workload certificate changes.
     * @default none (istiod self-signs; fine for a single primary)
     */
    cacerts?: IstioCaCerts;
    /**
     * Require a shared root (`cacerts`). Must not be false when the mesh has
     * more than one control plane.
     * @default true when the mesh has more than one control plane, else false
     */
    sharedRoot?: boolean;
    /**
     * Mesh-wide mTLS: `STRICT` or `PERMISSIVE` create the `PeerAuthentication`
     * `istio-system/default` in that mode; `OFF` creates none (Istio's
     * built-in default: permissive).
     * @default "STRICT"
     */
    mtls?: MeshMtlsMode;
    /**
     * Sidecar DNS capture (`ISTIO_META_DNS_CAPTURE`): sidecars answer DNS for
     * services that exist only in other clusters.
     * @default false
     */
    dnsCapture?: boolean;
    /**
     * Install the ingress gateway `istio-ingressgateway` on an internet SLB.
     * @default true
     */
    ingressGateway?: boolean;
    /**
     * Install the east-west gateway `istio-eastwestgateway` on an intranet
     * SLB (reached over the VPC or CEN, never the internet). Must not be
     * false on a multi-network mesh (cross-network traffic goes through it)
     * or when the cluster serves remotes (they reach istiod through it).
     * @default true on a multi-network mesh or when the cluster serves remote clusters, else false
     */
    eastWestGateway?: boolean;
    /**
     * Registry path of the Istio images, set as `global.hub` of the `istiod`
     * release, e.g. a mirror in Alibaba Container Registry
     * (`registry.cn-hangzhou.aliyuncs.com/my-ns`): a registry and a namespace,
     * without a scheme, a tag or a trailing `/`. Of the three charts only
     * `istiod` has `global.hub` (istio@1.30.3 values-keys.json): it names
     * istiod's image and, through the injector, the proxy image of every
     * injected pod, the gateways included (the `gateway` chart's pods say
     * `image: auto`); `base` has no image. `valuesOverride.istiod` still
     * merges last. Changing it rolls istiod and, on their next restart, the
     * proxies.
     * @default unset: the charts' own hub (`docker.io/istio`)
     */
    hub?: string;
    /** Helm values deep-merged last, per release. @default {} */
    valuesOverride?: IstioControlPlaneValuesOverride;
    /**
     * Canary upgrades: the control-plane revisions to run side by side, the
     * revision tags pointing at them, and the `base` (CRD) version
     * (config/revisions.ts, docs/upgrade.md). Each revision is its own
     * `istiod` release (`istiod-<rev>`; `default` is the revision-less
     * `istiod`, the child a stack without revisions has), each tag its own
     * webhook `istio-revision-tag-<tag>`; the gateways follow the default
     * tag. Mutually exclusive with `istioVersion`. Adding a revision creates
     * its release; moving a tag updates its webhook; removing a revision
     * deletes its release. Checked and resolved here (config/revisions.ts).
     * A tag named `default` pointing at a named revision also takes over
     * `istio-injection=enabled`; the revision-less istiod then renders no
     * injector and is updated only after that tag's webhook exists
     * (`installRevisions`).
     * @default unset: one revision-less control plane at `istioVersion` (upgraded in place)
     */
    revisions?: IstioRevisionSet;
}

/** Everything {@link IstioControlPlane} creates, decided before any resource exists. Pure data. */
export interface IstioControlPlanePlan {
    /** Mesh cluster name. */
    readonly clusterName: string;
    /** Pinned chart version. */
    readonly istioVersion: string;
    /** Labels of `istio-system`: the network label on multi-network meshes, else none. */
    readonly namespaceLabels: Readonly<Record<string, string>>;
    /** Whether the `cacerts` Secret is created. */
    readonly cacerts: boolean;
    /** Mode of the mesh-wide PeerAuthentication; undefined when mTLS is `OFF`. */
    readonly peerAuthentication?: "STRICT" | "PERMISSIVE";
    /** Values of each release; `ingressGateway`/`eastWestGateway` only when installed. */
    readonly values: {
        readonly base: HelmValues;
        readonly istiod: HelmValues;
        readonly ingressGateway?: HelmValues;
        readonly eastWestGateway?: HelmValues;
    };
    /** Name of the ingress gateway Service (the chart's `name`), when installed. */
    readonly ingressServiceName?: string;
    /** Whether the `cross-network-gateway` is created (multi-network meshes). */
    readonly crossNetworkGateway: boolean;
    /** Whether istiod is exposed on the east-west gateway (`istiod-gateway`, `istiod-vs`): the cluster serves remotes. */
    readonly exposeIstiod: boolean;
    /** Whether the reader token Secret is created: another control plane of the mesh reads this cluster (`readersOf`). */
    readonly readerToken: boolean;
    /** The revision set, when revisions are used; then `values.istiod` is the default tag's revision's and `revisionValues` holds each. */
    readonly revisions?: ResolvedRevisionSet;
    /** `istiod` values per revision (only with `revisions`). */
    readonly revisionValues?: Readonly<Record<string, HelmValues>>;
}

/** Paths (below `at`) of the Pulumi Outputs and Resources inside plain-looking values. */
function outputsIn(v: unknown, at: string): string[] {
    if (pulumi.Output.isInstance(v) || pulumi.Resource.isInstance(v)) return [at];
    if (Array.isArray(v)) return v.flatMap((x, i) => outputsIn(x, `${at}[${i}]`));
    if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => outputsIn(x, `${at}.${k}`));
    return [];
}

function pick(values: HelmValues | undefined, ...keys: string[]): unknown {
    let v: unknown = values;
    for (const k of keys) v = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as HelmValues)[k] : undefined;
    return v;
}

/**
 * Checks {@link IstioControlPlaneArgs} and resolves every default. Pure.
 * @throws ConfigError naming every problem, before anything is registered
 */
export function planIstioControlPlane(name: string, args: IstioControlPlaneArgs): IstioControlPlanePlan {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    const { identity, cluster } = args;
    const self = identity.clusters[cluster.name];
    const controlPlanes = identity.controlPlanes;

    if (!self) {
        add("cluster.name", `is not a cluster of mesh "${identity.meshId}"`, `use one of: ${Object.keys(identity.clusters).join(", ")}`, cluster.name);
    } else {
        if (!self.controlPlane) {
            add(
                "cluster.name",
                `is a remote in the mesh identity (controlled by "${self.controlledBy}"), not a control plane`,
                "install it with IstioRemote, or mark it as a control plane",
                cluster.name,
            );
        }
        if (cluster.network !== self.network) {
            add("cluster.network", `differs from the network of "${self.clusterName}" in the mesh identity ("${self.network}")`, "build the handle and the identity from the same config", cluster.network);
        }
    }

    const revisionProblems = args.revisions ? revisionSetProblems(args.revisions, "revisions") : [];
    problems.push(...revisionProblems);
    if (args.revisions !== undefined && args.istioVersion !== undefined) problems.push(versionBesideRevisionsProblem("istioVersion", args.istioVersion, "revisions"));
    // Resolved only when consistent: every tag's revision installed, the default tag present.
    const revisions = args.revisions && revisionProblems.length === 0 ? resolveRevisionSet(args.revisions) : undefined;
    const istioVersion = revisions ? revisions.installed[revisions.defaultRevision] : (args.istioVersion ?? DEFAULTS.istioVersion);
    if (!args.revisions && (typeof istioVersion !== "string" || !ISTIO_VERSION.test(istioVersion))) {
        add("istioVersion", "is not an Istio release version", `use a published chart version such as "${DEFAULTS.istioVersion}"`, istioVersion);
    }

    const several = controlPlanes.length > 1;
    if (args.sharedRoot === false && several) {
        add(
            "sharedRoot",
            `is false, but the mesh has ${controlPlanes.length} control planes (${controlPlanes.join(", ")}), which must share one root of trust for cross-cluster mTLS`,
            "remove sharedRoot or set it to true",
            false,
        );
    } else if (args.sharedRoot === false && args.cacerts !== undefined) {
        add("cacerts", "is given, but sharedRoot is false", "remove cacerts, or remove sharedRoot");
    }
    const sharedRoot = args.sharedRoot ?? several;
    if (sharedRoot && args.cacerts === undefined) {
        const why = several
            ? `the mesh has ${controlPlanes.length} control planes (${controlPlanes.join(", ")}), which must share one root of trust for cross-cluster mTLS`
            : "sharedRoot is true";
        add("cacerts", `is required: ${why}`, "pass this cluster's cacerts from MeshCertificateAuthority");
    }

    if (args.hub !== undefined) {
        const bad = istioHubProblem(args.hub);
        if (bad) add("hub", bad.message, bad.fix, args.hub);
    }

    const mtls = args.mtls ?? "STRICT";
    if (!MESH_MTLS_MODES.includes(mtls)) {
        add("mtls", "is not a mesh mTLS mode", `use one of ${MESH_MTLS_MODES.join(", ")}`, mtls);
    }

    const remotes = self ? servesRemotes(identity, self.clusterName) : false;
    const eastWest = args.eastWestGateway ?? (identity.multiNetwork || remotes);
    if (!eastWest && identity.multiNetwork) {
        add("eastWestGateway", "is false on a multi-network mesh: traffic from other networks enters through the east-west gateway", "remove eastWestGateway or set it to true", false);
    }
    if (!eastWest && remotes) {
        add("eastWestGateway", "is false, but remote clusters reach this cluster's istiod through the east-west gateway (15012, 15017)", "remove eastWestGateway or set it to true", false);
    }

    const override = args.valuesOverride ?? {};
    for (const path of outputsIn(override, "valuesOverride")) {
        // Overrides are merged and checked when the component is planned, before any resource exists, so they must be plain.
        add(path, "is a Pulumi Output; values overrides must be plain values", "resolve it before the component, or set it through the chart's own inputs");
    }
    const ewName = pick(override.eastWestGateway, "name");
    if (ewName !== undefined && ewName !== RELEASE_NAMES.eastwest) {
        add(
            "valuesOverride.eastWestGateway.name",
            `is fixed to "${RELEASE_NAMES.eastwest}": the east-west Istio Gateways select istio=${RELEASE_NAMES.eastwest.replace(/^istio-/, "")}`,
            "remove name from the override",
            ewName,
        );
    }
    const ingressName = pick(override.ingressGateway, "name");
    if (ingressName !== undefined && ingressName !== RELEASE_NAMES.ingress) {
        add(
            "valuesOverride.ingressGateway.name",
            `is fixed to "${RELEASE_NAMES.ingress}": Bookinfo's and users' Gateways select istio=${RELEASE_NAMES.ingress.replace(/^istio-/, "")}`,
            "remove name from the override",
            ingressName,
        );
    }
    if (pick(override.base, "global", "enableReaderRBAC") === false) {
        add(
            "valuesOverride.base.global.enableReaderRBAC",
            "is false, but the reader token (for other clusters' remote secrets) needs the istio-reader-service-account it renders",
            "remove it from the override",
            false,
        );
    }

    if (problems.length > 0 || !self) throw new ConfigError(problems, `Invalid IstioControlPlane "${name}"`);

    const ingress = args.ingressGateway ?? true;
    const gatewayRevision = (v: HelmValues) => (revisions ? withGatewayRevision(v, revisions.defaultTag) : v);
    const ingressValues = ingress ? gatewayRevision(ingressGatewayValues(override.ingressGateway, args.cluster.cni)) : undefined;
    const istiodOptions = { dnsCapture: args.dnsCapture ?? false, ...(args.hub !== undefined ? { hub: args.hub } : {}), valuesOverride: override.istiod };
    const revisionValues = revisions
        ? Object.fromEntries(Object.keys(revisions.installed).map((rev) => [rev, istiodValues(identity, self.clusterName, { ...istiodOptions, revision: rev, injector: rendersInjector(revisions, rev) })]))
        : undefined;
    // The default tag's revision validates Istio config cluster-wide (base chart defaultRevision; "default" is the chart's own value).
    const baseDefaults = revisions && revisions.defaultRevision !== DEFAULT_REVISION ? { defaultRevision: revisions.defaultRevision } : undefined;
    return {
        clusterName: self.clusterName,
        istioVersion,
        namespaceLabels: identity.multiNetwork ? { [NETWORK_LABEL]: self.network } : {},
        cacerts: args.cacerts !== undefined,
        peerAuthentication: mtls === "OFF" ? undefined : mtls,
        values: {
            base: baseValues(identity, self.clusterName, baseDefaults ? deepMerge(baseDefaults, override.base) : override.base),
            istiod: revisionValues && revisions ? revisionValues[revisions.defaultRevision] : istiodValues(identity, self.clusterName, istiodOptions),
            ...(ingressValues ? { ingressGateway: ingressValues } : {}),
            ...(eastWest ? { eastWestGateway: gatewayRevision(eastWestGatewayValues(identity, self.clusterName, override.eastWestGateway, args.cluster.cni)) } : {}),
        },
        ...(ingressValues ? { ingressServiceName: typeof ingressValues.name === "string" ? ingressValues.name : RELEASE_NAMES.ingress } : {}),
        crossNetworkGateway: eastWest && identity.multiNetwork,
        exposeIstiod: eastWest && remotes,
        readerToken: readersOf(identity, self.clusterName).length > 0,
        ...(revisions && revisionValues ? { revisions, revisionValues } : {}),
    };
}

/** The first load-balancer address (IP, else hostname) of a Service status. */
function loadBalancerAddress(status: k8s.types.output.core.v1.ServiceStatus | undefined): string | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress?.ip || ingress?.hostname || undefined;
}

/**
 * Istio on one control-plane cluster. See the module documentation for what
 * it installs and in which order.
 *
 * Children (a public contract; renaming one needs an alias), all with
 * `parent: this` and `provider: cluster.provider`:
 * - `<name>-ns`: Namespace `istio-system`;
 * - `<name>-cacerts`: Secret `cacerts` (when `cacerts` is given);
 * - `<name>-base`, `<name>-istiod`: the `base` and `istiod` releases; with
 *   `revisions`, `<name>-istiod` for the `default` revision and
 *   `<name>-istiod-<rev>` (release `istiod-<rev>`) for each other one, and
 *   `<name>-tag-<tag>`: the webhook `istio-revision-tag-<tag>` of each tag;
 * - `<name>-ingress` + read `<name>-ingress-svc`: ingress gateway release and its Service;
 * - `<name>-eastwest` + read `<name>-eastwest-svc`: east-west gateway release and its Service;
 * - `<name>-cross-network-gw`, `<name>-istiod-gw`, `<name>-istiod-vs`: east-west Istio objects
 *   (`istiod-vs` only for the `default` revision; `<name>-istiod-vs-<rev>` for each other one);
 * - `<name>-peer-authn`: the mesh-wide PeerAuthentication;
 * - `<name>-reader-token`: the reader ServiceAccount token Secret
 *   `ack-mesh-istio-reader-token`, only when another control plane reads
 *   this cluster (multi-primary).
 *
 * Decisions:
 * - **Helm waits (`skipAwait: false`).** The provider then reports a
 *   release created only once its workloads are ready and its LoadBalancer
 *   Services have an address (release.d.ts: "By default, the provider waits
 *   until all resources are in a ready state"). The order base → istiod →
 *   gateways depends on it: gateway pods get their proxy from istiod's
 *   injection webhook, and the gateway Services are read back for their SLB
 *   address right after their release.
 * - **`createNamespace: false`.** The component owns `istio-system` (with
 *   its network label); every release depends on it.
 * - **Gateway Services are read with an ID built from the release's
 *   `status.namespace`**, as release.d.ts's "Query Kubernetes Resource
 *   Installed By Helm Chart" example does: the read waits for the release,
 *   and is skipped in a preview where the release does not exist yet.
 * - **The reader token Secret carries `pulumi.com/waitFor:
 *   jsonpath={.data.token}`** (see `readerTokenSecretArgs`), user-defined
 *   await logic of pulumi-kubernetes ≥ 4.18 (pulumi/pulumi-kubernetes#3134;
 *   annotations take precedence over built-in await logic since #3344): the
 *   token controller fills `data.token` asynchronously, and the built-in
 *   Secret awaiter gives up after 5 s (provider/pkg/await/awaiters.go
 *   `untilCoreV1SecretInitialized`).
 */
export class IstioControlPlane extends pulumi.ComponentResource {
    /** Name of the control-plane namespace (`istio-system`). */
    public readonly namespace: pulumi.Output<string>;
    /** The `base` release (CRDs, reader ServiceAccount). */
    public readonly base: k8s.helm.v3.Release;
    /** The `istiod` release of the default tag's revision (the only one without revisions); depend on it for anything that needs the control plane. */
    public readonly istiod: k8s.helm.v3.Release;
    /** The `istiod` release of each revision, by revision name (`default` without revisions). */
    public readonly istiods: Readonly<Record<string, k8s.helm.v3.Release>>;
    /**
     * What injected pods wait for: the `istiod` release without revisions;
     * with revisions every revision's release and every tag webhook.
     */
    public readonly injectionReady: ReadonlyArray<pulumi.Resource>;
    /** The east-west gateway release, when installed. */
    public readonly eastWestGateway?: k8s.helm.v3.Release;
    /** SLB address (internet) of the ingress gateway, when installed. */
    public readonly ingressAddress?: pulumi.Output<string>;
    /**
     * SLB address (intranet) of the east-west gateway, when installed: the
     * `remotePilotAddress` of this cluster's remotes and the cross-network
     * entry point of its network.
     */
    public readonly eastWestAddress?: pulumi.Output<string>;
    /**
     * Token (decoded JWT) and CA (`certificate-authority-data`) of this
     * cluster's `istio-reader-service-account`, for other control planes'
     * remote secrets. Both secret. Undefined when no other cluster of the
     * mesh reads this one (a primary-remote primary, a lone primary): no
     * long-lived token is minted that nothing uses.
     */
    public readonly readerToken?: ReaderToken;
    /**
     * The objects that expose istiod on the east-west gateway
     * (`istiod-gateway`, then `istiod-vs`), when this cluster serves remotes;
     * empty otherwise. A remote's injection webhook and proxies reach this
     * istiod through them, so the remote's workloads wait for them (pass them
     * as `IstioRemote`'s `controlPlane.istiodExposure`).
     */
    public readonly istiodExposure: ReadonlyArray<pulumi.Resource>;

    /**
     * @param name Pulumi name prefix of the children.
     * @param args See {@link IstioControlPlaneArgs}.
     * @param opts Component options.
     * @throws ConfigError listing every problem of `args`, before anything is registered.
     */
    constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before super: invalid arguments register nothing, not even the component.
        const plan = planIstioControlPlane(name, args);
        super(ISTIO_CONTROL_PLANE_TYPE, name, {}, opts);

        const provider = args.cluster.provider;
        const local: pulumi.CustomResourceOptions = { parent: this, provider };
        const chart = (chartName: string, releaseName: string, values: HelmValues, version = plan.istioVersion): k8s.helm.v3.ReleaseArgs => ({
            name: releaseName,
            ...istioChartSource(chartName, version, args.chartRepository),
            namespace: ISTIO_CHARTS.namespace,
            createNamespace: false,
            skipAwait: false,
            values,
        });

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: ISTIO_CHARTS.namespace, ...(Object.keys(plan.namespaceLabels).length > 0 ? { labels: { ...plan.namespaceLabels } } : {}) } },
            local,
        );
        this.namespace = ns.metadata.name;

        let cacerts: k8s.core.v1.Secret | undefined;
        if (plan.cacerts && args.cacerts) {
            const ca = args.cacerts;
            cacerts = new k8s.core.v1.Secret(
                `${name}-cacerts`,
                {
                    metadata: { name: CACERTS_SECRET_NAME, namespace: ns.metadata.name },
                    type: "Opaque",
                    stringData: pulumi.secret({
                        [CACERTS_KEYS.caCertPem]: ca.caCertPem,
                        [CACERTS_KEYS.caKeyPem]: ca.caKeyPem,
                        [CACERTS_KEYS.rootCertPem]: ca.rootCertPem,
                        [CACERTS_KEYS.certChainPem]: ca.certChainPem,
                    }),
                },
                // The SDK itself marks a Secret's data/stringData as secret outputs (core/v1/secret.js).
                local,
            );
        }

        const revs = plan.revisions;
        // base (the CRDs) first: every istiod waits for it, so a new revision's CRDs are in place before it starts.
        this.base = new k8s.helm.v3.Release(`${name}-base`, chart(ISTIO_CHARTS.base, RELEASE_NAMES.base, plan.values.base, revs?.base), { ...local, dependsOn: [ns] });
        // istiod mounts `cacerts` only if it exists when istiod starts; otherwise it self-signs.
        const istiodDeps = cacerts ? [this.base, cacerts] : [this.base];
        let istiods: Record<string, k8s.helm.v3.Release> = {};
        const tags: pulumi.Resource[] = [];
        if (!revs || !plan.revisionValues) {
            istiods[DEFAULT_REVISION] = new k8s.helm.v3.Release(`${name}-istiod`, chart(ISTIO_CHARTS.istiod, RELEASE_NAMES.istiod, plan.values.istiod), { ...local, dependsOn: istiodDeps });
        } else {
            const values = plan.revisionValues;
            const installed = installRevisions(
                revs,
                (rev, version, after) => {
                    const release = istiodNameOf(rev);
                    return new k8s.helm.v3.Release(`${name}-${release}`, chart(ISTIO_CHARTS.istiod, release, values[rev], version), { ...local, dependsOn: [...istiodDeps, ...after] });
                },
                (tag, rev, after) => new k8s.admissionregistration.v1.MutatingWebhookConfiguration(`${name}-tag-${tag}`, revisionTagWebhook(tag, rev), { ...local, dependsOn: after }),
            );
            istiods = { ...installed.istiods };
            tags.push(...Object.values(installed.tags));
        }
        this.istiods = istiods;
        this.istiod = istiods[revs ? revs.defaultRevision : DEFAULT_REVISION];
        this.injectionReady = revs ? [...Object.values(istiods), ...tags] : [this.istiod];

        const gatewayService = (role: string, release: k8s.helm.v3.Release, serviceName: string, what: string) => {
            const service = k8s.core.v1.Service.get(`${name}-${role}-svc`, pulumi.interpolate`${release.status.namespace}/${serviceName}`, { ...local, dependsOn: [release] });
            return service.status.apply((status) => {
                const address = loadBalancerAddress(status);
                if (!address) {
                    throw new pulumi.ResourceError(`${what} Service ${ISTIO_CHARTS.namespace}/${serviceName} of "${plan.clusterName}" has no load-balancer address`, service);
                }
                return address;
            });
        };

        if (plan.values.ingressGateway && plan.ingressServiceName) {
            const ingress = new k8s.helm.v3.Release(`${name}-ingress`, chart(ISTIO_CHARTS.gateway, RELEASE_NAMES.ingress, plan.values.ingressGateway), {
                ...local,
                dependsOn: [...this.injectionReady],
            });
            this.ingressAddress = gatewayService("ingress", ingress, plan.ingressServiceName, "ingress gateway");
        }

        const exposure: pulumi.Resource[] = [];
        if (plan.values.eastWestGateway) {
            const eastWest = new k8s.helm.v3.Release(`${name}-eastwest`, chart(ISTIO_CHARTS.gateway, RELEASE_NAMES.eastwest, plan.values.eastWestGateway), {
                ...local,
                dependsOn: [...this.injectionReady],
            });
            this.eastWestGateway = eastWest;
            this.eastWestAddress = gatewayService("eastwest", eastWest, RELEASE_NAMES.eastwest, "east-west gateway");

            // The CRDs come from base; the objects configure the east-west gateway's pods.
            const customResource = (role: string, obj: K8sObject) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${role}`,
                    { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec },
                    { ...local, dependsOn: [this.base, eastWest] },
                );
            if (plan.crossNetworkGateway) customResource("cross-network-gw", crossNetworkGateway());
            if (plan.exposeIstiod) {
                exposure.push(customResource("istiod-gw", istiodGateway()));
                // `istiod-vs` (any SNI) serves the revision-less istiod; each named revision gets its own SNI route.
                const revisions = revs ? Object.keys(revs.installed) : [DEFAULT_REVISION];
                if (revisions.includes(DEFAULT_REVISION)) exposure.push(customResource("istiod-vs", istiodVirtualService()));
                for (const rev of revisions.filter((r) => r !== DEFAULT_REVISION)) exposure.push(customResource(`istiod-vs-${rev}`, istiodRevisionVirtualService(rev)));
            }
        }
        this.istiodExposure = exposure;

        if (plan.peerAuthentication) {
            const pa = meshPeerAuthentication(plan.peerAuthentication);
            // istiod's validating webhook checks Istio config; create it once istiod is up.
            new k8s.apiextensions.CustomResource(
                `${name}-peer-authn`,
                { apiVersion: pa.apiVersion, kind: pa.kind, metadata: pa.metadata, spec: pa.spec },
                { ...local, dependsOn: [this.istiod] },
            );
        }

        if (plan.readerToken) {
            // The base chart renders istio-reader-service-account (global.enableReaderRBAC, on by
            // default); a token Secret whose ServiceAccount does not exist is deleted by the token controller.
            const readerToken = new k8s.core.v1.Secret(`${name}-reader-token`, readerTokenSecretArgs(ns.metadata.name), { ...local, dependsOn: [this.base] });
            this.readerToken = readerTokenFromSecret(readerToken);
        }

        this.registerOutputs({
            namespace: this.namespace,
            istiod: this.istiod.status,
            ingressAddress: this.ingressAddress,
            eastWestAddress: this.eastWestAddress,
            ...(this.readerToken ? { readerToken: { token: this.readerToken.token, caData: this.readerToken.caData } } : {}),
        });
    }
}
