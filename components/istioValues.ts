/**
 * Helm values of Istio's official charts (`base`, `istiod`, `gateway`),
 * produced by pure functions of the {@link MeshIdentity}. The components only
 * hand these objects to `kubernetes.helm.v3.Release`, so every value that
 * reaches the cluster is table-tested here.
 *
 * Keys follow Istio 1.30's charts (`manifests/charts/{base,istio-control/istio-discovery,gateway}`):
 * users set plain paths (`global.meshID`), never `_internal_defaults_do_not_set`
 * and never a top-level `defaults` key (the charts fail on it on purpose).
 *
 * Old-guide mapping (Istio 1.0/1.1 → now): the `istio-remote` chart with
 * `global.remotePilotAddress=<pilot pod IP>` became the `istiod` chart with
 * `profile=remote` and `global.remotePilotAddress=<east-west gateway LB IP>`;
 * the `.global` DNS suffix, `istiocoredns` and hand-written ServiceEntries
 * became remote secrets plus east-west gateways (`networkGateway`) and,
 * optionally, DNS capture (`ISTIO_META_DNS_CAPTURE`).
 */
import { DEFAULTS } from "../config/defaults";
import { registryPathProblem } from "../config/registry";
import { DEFAULT_REVISION } from "../config/revisions";
import type { MeshIdentity } from "./types";

/** Helm values: a JSON-like object. */
export type HelmValues = { [key: string]: unknown };

/** Where the charts come from and where they go. */
export const ISTIO_CHARTS = {
    /** Official Istio Helm repository. */
    repository: DEFAULTS.istioHelmRepository,
    base: "base",
    istiod: "istiod",
    gateway: "gateway",
    /** Namespace of the control plane and gateways. */
    namespace: "istio-system",
} as const;

/**
 * Where a release's chart comes from: the official HTTP repository by
 * default, or a mirror — an HTTP repository URL, or an OCI registry
 * (`oci://<registry>/<path>`, e.g. an ACR mirror for regions that cannot reach
 * storage.googleapis.com). For OCI, the chart reference is `<repo>/<chart>`.
 */
export function istioChartSource(chartName: string, version: string, repository: string = ISTIO_CHARTS.repository): { chart: string; version: string; repositoryOpts?: { repo: string } } {
    if (repository.startsWith("oci://")) return { chart: `${repository.replace(/\/+$/, "")}/${chartName}`, version };
    return { chart: chartName, version, repositoryOpts: { repo: repository } };
}

/** Helm release names (also the gateway Service/Deployment names). */
export const RELEASE_NAMES = {
    base: "istio-base",
    istiod: "istiod",
    ingress: "istio-ingressgateway",
    eastwest: "istio-eastwestgateway",
} as const;

/** Alibaba CCM annotation choosing an internet or intranet SLB for a LoadBalancer Service. */
export const SLB_ADDRESS_TYPE_ANNOTATION = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type";

/**
 * Alibaba CCM annotation choosing the SLB backends. `eni` sends traffic straight
 * to pod ENIs (Terway only), so security group rules see the gateway's real
 * ports; without it the SLB forwards to node NodePorts. Flannel cannot use `eni`.
 */
export const SLB_BACKEND_TYPE_ANNOTATION = "service.beta.kubernetes.io/backend-type";

/**
 * Alibaba CCM annotation choosing listener protocols. The ingress gateway's
 * port 80 gets a Layer-7 HTTP listener: its traffic then reaches the gateway
 * from the SLB's own range (100.64.0.0/10), which the cluster's security
 * group admits, instead of from every internet client address.
 */
export const SLB_PROTOCOL_PORT_ANNOTATION = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-protocol-port";

/** Container network plugin of a cluster, as far as gateway Services care. */
export type GatewayCni = "terway" | "flannel";

function gatewayAnnotations(addressType: "internet" | "intranet", cni?: GatewayCni): Record<string, string> {
    return cni === "terway" ? { [SLB_ADDRESS_TYPE_ANNOTATION]: addressType, [SLB_BACKEND_TYPE_ANNOTATION]: "eni" } : { [SLB_ADDRESS_TYPE_ANNOTATION]: addressType };
}

/** Label that tells Istio which network a namespace, pod or gateway Service belongs to. */
export const NETWORK_LABEL = "topology.istio.io/network";

/** Annotation on a remote's `istio-system` naming the clusters whose istiod controls it. */
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = "topology.istio.io/controlPlaneClusters";

function isPlainObject(v: unknown): v is HelmValues {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Copies plain objects and arrays; anything else (a Pulumi Output, a secret) is kept by reference. */
function clonePlain(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(clonePlain);
    if (isPlainObject(v) && Object.getPrototypeOf(v) === Object.prototype) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clonePlain(x)]));
    }
    return v;
}

/**
 * Deep-merges `override` onto `base` (plain objects merge key by key; arrays,
 * scalars and Outputs replace). Neither input is modified; Pulumi Outputs
 * inside either are carried over as they are.
 */
export function deepMerge(base: HelmValues, override: HelmValues | undefined): HelmValues {
    const out = clonePlain(base) as HelmValues;
    if (!override) return out;
    for (const [key, value] of Object.entries(override)) {
        const current = out[key];
        const mergeable = (x: unknown): x is HelmValues => isPlainObject(x) && Object.getPrototypeOf(x) === Object.prototype;
        out[key] = mergeable(current) && mergeable(value) ? deepMerge(current, value) : clonePlain(value);
    }
    return out;
}

function clusterOf(identity: MeshIdentity, clusterName: string) {
    const c = identity.clusters[clusterName];
    if (!c) throw new Error(`cluster "${clusterName}" is not part of mesh "${identity.meshId}" (clusters: ${Object.keys(identity.clusters).join(", ")})`);
    return c;
}

/** True when a control-plane cluster serves remote clusters (and so needs `externalIstiod` and an exposed istiod). */
export function servesRemotes(identity: MeshIdentity, clusterName: string): boolean {
    return Object.values(identity.clusters).some((c) => !c.controlPlane && c.controlledBy === clusterName);
}

/** Values of the `base` chart: nothing on a control plane; `profile: remote` on a remote. */
export function baseValues(identity: MeshIdentity, clusterName: string, valuesOverride?: HelmValues): HelmValues {
    const c = clusterOf(identity, clusterName);
    return deepMerge(c.controlPlane ? {} : { profile: "remote" }, valuesOverride);
}

/**
 * What is wrong with a `global.hub` value, or undefined when it is a registry
 * path: `<registry>[:port]/<namespace>[/…]`, without a URL scheme, a tag, a
 * digest or a trailing `/`. The charts build each image as
 * `<hub>/<image>:<tag>` (istio@1.30.3
 * manifests/charts/istio-control/istio-discovery/templates/deployment.yaml;
 * pkg/kube/inject/inject.go `ProxyImage`). The same rule checks
 * `ack-mesh:images` in the stack config ({@link registryPathProblem}). Pure.
 */
export const istioHubProblem = registryPathProblem;

/** Options of {@link istiodValues}. */
export interface IstiodValuesOptions {
    /** Sidecar DNS capture (`ISTIO_META_DNS_CAPTURE`, a string "true"). @default false */
    dnsCapture?: boolean;
    /**
     * `global.hub`: registry path of the Istio images (see {@link RemoteIstiodValuesOptions.hub}).
     * @default unset (the chart's own default hub)
     */
    hub?: string;
    /**
     * Chart value `revision`: installs the control plane as revision `<rev>`
     * (release, Service and webhook `istiod-<rev>`). Unset or `default`: the
     * revision-less install (`istiod`).
     * @default unset
     */
    revision?: string;
    /**
     * Render the revision's injector webhook `istio-sidecar-injector[-<rev>]`. False
     * (`global.operatorManageWebhooks: true`) for the revision-less install once tag
     * `default` has taken over its selectors (config/revisions.ts `injectorTakenOver`).
     * @default true
     */
    injector?: boolean;
    /** Extra values deep-merged last. */
    valuesOverride?: HelmValues;
}

/** Options of {@link remoteIstiodValues}. */
export interface RemoteIstiodValuesOptions {
    /**
     * `global.hub`, the registry path of the Istio images, e.g.
     * `registry.cn-hangzhou.aliyuncs.com/my-ns` (see {@link istioHubProblem}).
     * Only the `istiod` chart has it (istio@1.30.3 values-keys.json): it
     * names istiod's own image and, through the sidecar injector, the proxy
     * image of every injected pod, the gateways included (the `gateway`
     * chart's pods say `image: auto` and get it from the injector). The `base`
     * chart has no image. A remote's istiod release (`profile: remote`)
     * renders no image: its pods are injected by its primary's istiod, whose
     * hub applies. `valuesOverride` still merges last.
     * @default unset: the published chart's own hub, `docker.io/istio` for official releases
     *   (istio/release-builder pkg/build/helm.go `sanitizeChart` rewrites the source tree's
     *   placeholder, `registry.istio.io/testing` in 1.30.3's values.yaml)
     */
    hub?: string;
    /** Chart value `revision` (see {@link IstiodValuesOptions.revision}): the remote's `istiod-<rev>` Service and webhook. @default unset */
    revision?: string;
    /** See {@link IstiodValuesOptions.injector}. @default true */
    injector?: boolean;
}

/**
 * Path of a remote cluster's injection endpoint on its primary's istiod
 * (`istiodRemote.injectionPath`): `/inject/cluster/<cluster>/net/<network>`, so
 * the primary injects the remote's pods with their cluster and network.
 */
export function remoteInjectionPath(c: { readonly clusterName: string; readonly network: string }): string {
    return `/inject/cluster/${c.clusterName}/net/${c.network}`;
}

/** `global.operatorManageWebhooks: true` when the injector webhook is not rendered (the chart's templates/mutatingwebhook.yaml). */
function injectorValue(injector: boolean | undefined): HelmValues {
    return injector === false ? { operatorManageWebhooks: true } : {};
}

/** `{ revision }` for a named revision; nothing for the revision-less `default` (no change for a stack without revisions). */
function revisionValue(revision: string | undefined): HelmValues {
    return revision !== undefined && revision !== DEFAULT_REVISION ? { revision } : {};
}

/**
 * Values of the `istiod` chart on a control-plane cluster:
 * `global.meshID`, `global.multiCluster.clusterName`, `global.network`,
 * `meshConfig.trustDomain`, and `global.externalIstiod: true` when the
 * cluster serves remotes.
 */
export function istiodValues(identity: MeshIdentity, clusterName: string, options: IstiodValuesOptions = {}): HelmValues {
    const c = clusterOf(identity, clusterName);
    if (!c.controlPlane) throw new Error(`istiodValues: "${clusterName}" is a remote cluster; use remoteIstiodValues`);
    const global: HelmValues = {
        meshID: identity.meshId,
        multiCluster: { clusterName: c.clusterName },
        network: c.network,
    };
    if (servesRemotes(identity, clusterName)) global.externalIstiod = true;
    if (options.hub !== undefined) global.hub = options.hub;
    Object.assign(global, injectorValue(options.injector));
    const meshConfig: HelmValues = { trustDomain: identity.trustDomain };
    if (options.dnsCapture) meshConfig.defaultConfig = { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" } };
    return deepMerge({ ...revisionValue(options.revision), global, meshConfig }, options.valuesOverride);
}

/**
 * Values of the `istiod` chart on a remote cluster (`profile: remote`):
 * the webhook points at the primary's istiod through `remotePilotAddress`
 * (the primary's east-west gateway address), with the injection path
 * carrying the cluster and network.
 */
export function remoteIstiodValues(identity: MeshIdentity, clusterName: string, remotePilotAddress: string, valuesOverride?: HelmValues, options: RemoteIstiodValuesOptions = {}): HelmValues {
    const c = clusterOf(identity, clusterName);
    if (c.controlPlane) throw new Error(`remoteIstiodValues: "${clusterName}" is a control plane; use istiodValues`);
    if (remotePilotAddress.trim() === "") throw new Error(`remoteIstiodValues: "${clusterName}" needs the control plane's east-west gateway address (remotePilotAddress is empty)`);
    return deepMerge(
        {
            profile: "remote",
            ...revisionValue(options.revision),
            global: {
                meshID: identity.meshId,
                multiCluster: { clusterName: c.clusterName },
                network: c.network,
                remotePilotAddress,
                configCluster: true,
                ...(options.hub !== undefined ? { hub: options.hub } : {}),
                ...injectorValue(options.injector),
            },
            istiodRemote: { injectionPath: remoteInjectionPath(c) },
        },
        valuesOverride,
    );
}

/**
 * Values of the `gateway` chart for the ingress gateway, on a public (internet)
 * SLB; on Terway its backends are the gateway pods' ENIs.
 */
export function ingressGatewayValues(valuesOverride?: HelmValues, cni?: GatewayCni): HelmValues {
    return deepMerge(
        {
            name: RELEASE_NAMES.ingress,
            service: { type: "LoadBalancer", annotations: { ...gatewayAnnotations("internet", cni), [SLB_PROTOCOL_PORT_ANNOTATION]: "http:80" } },
        },
        valuesOverride,
    );
}

/**
 * Values of the `gateway` chart for the east-west gateway of a cluster:
 * `networkGateway` labels it with the cluster's network and switches its
 * Service to the network-gateway ports (15021, 15443, 15012, 15017); the
 * intranet annotation puts it on a private SLB reached over the VPC or CEN,
 * never from the internet. On Terway the SLB's backends are the gateway pods'
 * ENIs (`backend-type: eni`), so the peers' security group rules on 15443,
 * 15012, 15017 and 15021 apply; on Flannel the SLB uses NodePorts.
 */
export function eastWestGatewayValues(identity: MeshIdentity, clusterName: string, valuesOverride?: HelmValues, cni?: GatewayCni): HelmValues {
    const c = clusterOf(identity, clusterName);
    return deepMerge(
        {
            name: RELEASE_NAMES.eastwest,
            networkGateway: c.network,
            service: { type: "LoadBalancer", annotations: gatewayAnnotations("intranet", cni) },
        },
        valuesOverride,
    );
}

/**
 * The `gateway` chart value `revision`: the gateway's pods carry
 * `istio.io/rev=<tag>` (templates/_helpers.tpl `gateway.sidecarInjectionLabels`),
 * so the tag's webhook injects them and they follow the tag's revision after
 * a restart. Merged under the gateway values; an override still wins.
 */
export function withGatewayRevision(values: HelmValues, tag: string): HelmValues {
    return deepMerge({ revision: tag }, values);
}

/** Gateway selector labels the `gateway` chart gives a release named `name`: `istio=<name minus "istio-">`. */
export function gatewaySelector(releaseName: string): { istio: string } {
    return { istio: releaseName.replace(/^istio-/, "") };
}
