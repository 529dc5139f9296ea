/**
 * Where the stack's images and charts come from, what it pulls, and which
 * of those sources a mainland-China cluster cannot rely on. Pure.
 *
 * The Istio images follow from the istiod chart of the pinned release:
 * istiod runs `<hub>/pilot:<version>`, and every sidecar and gateway
 * (gateway chart `image: auto`, filled in by the injector) runs
 * `<hub>/proxyv2:<version>` (istiod chart values `image: pilot`,
 * `global.proxy.image: proxyv2`). The base chart has no image. Istio CNI and
 * ztunnel are not installed, so their images are not pulled.
 */
import { VERIFY_CLIENT_IMAGE } from "./verify";
import { DEFAULTS } from "../config/defaults";
import type { StackConfig } from "../config/load";
import { isMainlandChinaRegion } from "../config/regions";
import { BOOKINFO_WORKLOADS } from "../config/schema";
import { compareIstioVersions, resolveRevisionSet } from "../config/revisions";

/** The resolved sources of a stack's images and charts. */
export interface ImageSources {
    /** Registry of the Istio images (`global.hub`). */
    readonly istioHub: string;
    /** Registry of the Bookinfo images. */
    readonly bookinfoRegistry: string;
    /** Helm chart repository (HTTP or `oci://`). */
    readonly chartRepository: string;
}

/** Registry and repository hosts on the internet outside China, unreachable or unreliable from mainland-China regions. */
export const INTERNET_SOURCE_HOSTS: readonly string[] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.istio.io",
    "gcr.io",
    "ghcr.io",
    "quay.io",
    "storage.googleapis.com",
    "istio-release.storage.googleapis.com",
];

/** The sources a stack uses, defaults applied. */
export function imageSources(config: Pick<StackConfig, "images">): ImageSources {
    return {
        istioHub: config.images.istioHub ?? DEFAULTS.istioHub,
        bookinfoRegistry: config.images.bookinfoRegistry,
        chartRepository: config.images.chartRepository,
    };
}

/** Host of a registry path or repository URL: `oci://a.b/c` → `a.b`, `docker.io/istio` → `docker.io`. */
export function sourceHost(source: string): string {
    return source.replace(/^[a-z]+:\/\//, "").split("/")[0].replace(/:\d+$/, "").toLowerCase();
}

/** True when a source is on the internet outside China ({@link INTERNET_SOURCE_HOSTS}). */
export function isInternetSource(source: string): boolean {
    return INTERNET_SOURCE_HOSTS.includes(sourceHost(source));
}

/**
 * One warning per source that a cluster in a mainland-China region would
 * pull from the internet outside China (images), or that the runner of a
 * mainland-China stack likely cannot reach (charts, which Helm downloads
 * where `pulumi up` runs), naming the clusters and the setting that fixes it. Empty when no cluster is in mainland China or every source
 * is a mirror. Bookinfo's registry counts only when Bookinfo is enabled, the
 * verification client image only with `verify.enabled` ({@link verifyImageWarning}).
 */
export function imageSourceWarnings(config: Pick<StackConfig, "images" | "clusters" | "bookinfo"> & { readonly verify?: StackConfig["verify"] }): string[] {
    const mainland = mainlandClusters(config);
    if (mainland.length === 0) return [];
    const sources = imageSources(config);
    const checks: [keyof ImageSources, string, boolean][] = [
        ["istioHub", "the Istio images", true],
        ["chartRepository", "the Istio Helm charts", true],
        ["bookinfoRegistry", "the Bookinfo images", config.bookinfo.enabled],
    ];
    const fix = (key: keyof ImageSources) => `Mirror them (npm run plan -- <stack> --images; docs/mirror.md) and set ack-mesh:images.${key}.`;
    return checks
        .filter(([key, , used]) => used && isInternetSource(sources[key]))
        .map(([key, what]) =>
            key === "chartRepository"
                ? // Charts are downloaded by Helm where `pulumi up` runs (helm.v3.Release), not in the clusters.
                  `${what} come from ${sources[key]}, on the internet outside China. Helm downloads them on the machine that runs pulumi up; ` +
                  `a runner in mainland China, next to this stack's clusters (${mainland.join(", ")}), cannot reliably reach it and Helm times out. ` +
                  `With a runner outside China this can be ignored; otherwise: ${fix(key)}`
                : `${what} come from ${sources[key]}, on the internet outside China, which clusters in mainland-China regions cannot reliably reach: ${mainland.join(", ")}. ` +
                  `Pods will stay in ErrImagePull. ${fix(key)}`,
        )
        .concat(config.verify?.enabled ? [verifyImageWarning(config)].filter((w): w is string => w !== undefined) : []);
}

/** `name (region)` of every cluster in a mainland-China region. */
function mainlandClusters(config: Pick<StackConfig, "clusters">): string[] {
    return Object.values(config.clusters)
        .filter((c) => isMainlandChinaRegion(c.region))
        .map((c) => `${c.name} (${c.region})`);
}

/** Registry host of an image reference; a reference without one (`curlimages/curl:…`) is Docker Hub's. */
function imageHost(image: string): string {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? sourceHost(image) : "docker.io";
}

/**
 * The warning for the verification Jobs' client image (`ack-mesh:verify.image`,
 * default {@link VERIFY_CLIENT_IMAGE} on Docker Hub) when mainland-China
 * clusters would pull it from the internet outside China; undefined when no
 * cluster is in mainland China or the image is mirrored. `pulumi up` warns
 * with `verify.enabled` (through {@link imageSourceWarnings}); `npm run
 * verify` warns whatever `verify.enabled` says.
 * @param image the image the Jobs run @default `verify.image`, else {@link VERIFY_CLIENT_IMAGE}
 */
export function verifyImageWarning(config: Pick<StackConfig, "clusters"> & { readonly verify?: StackConfig["verify"] }, image = config.verify?.image ?? VERIFY_CLIENT_IMAGE): string | undefined {
    const mainland = mainlandClusters(config);
    const host = imageHost(image);
    if (mainland.length === 0 || !INTERNET_SOURCE_HOSTS.includes(host)) return undefined;
    return (
        `the verification client image ${image} comes from ${host}, on the internet outside China, which clusters in mainland-China regions cannot reliably reach: ${mainland.join(", ")}. ` +
        "The verification Jobs will stay in ImagePullBackOff until they time out. " +
        "Mirror it (npm run plan -- <stack> --images; docs/mirror.md) and set ack-mesh:verify.image to the mirror's reference, with its digest."
    );
}

/** Image types Istio publishes as tag suffixes (istio@1.30.3 pkg/kube/inject/inject.go `KnownImageTypes`). */
const KNOWN_IMAGE_TYPES = ["distroless", "debug"];

/** A tag with an image type (variant): `1.30.3` + `distroless` → `1.30.3-distroless` (inject.go `updateImageTypeIfPresent`). */
function withImageType(tag: string, type: string | undefined): string {
    if (!type) return tag;
    const base = KNOWN_IMAGE_TYPES.reduce((t, k) => (t.endsWith(`-${k}`) ? t.slice(0, -(k.length + 1)) : t), tag);
    return type === "default" ? base : `${base}-${type}`;
}

/**
 * The two Istio images, as the istiod chart and its injector name them, with
 * the `valuesOverride.istiod` keys that change them (`image`, `tag`,
 * `variant`, `global.tag`, `global.variant`, `global.proxy.image`; the hub is
 * `ack-mesh:images.istioHub` only, the config check refuses it elsewhere):
 * - istiod: `{{ .Values.hub | default .Values.global.hub }}/{{ .Values.image | default "pilot" }}:{{ .Values.tag | default .Values.global.tag }}{{with (.Values.variant | default .Values.global.variant)}}-{{.}}{{end}}`,
 *   or `image` as is when it contains a `/` (istio@1.30.3
 *   manifests/charts/istio-control/istio-discovery/templates/deployment.yaml);
 * - sidecars and gateways: `<global.hub>/<global.proxy.image | proxyv2>:<global.tag>` with the
 *   `global.variant` image type (pkg/kube/inject/inject.go `ProxyImage`).
 * The released chart's `global.tag` is its version.
 */
export function istioImages(hub: string, version: string, istiodOverride: Record<string, unknown>): string[] {
    const str = (x: unknown) => (typeof x === "string" || typeof x === "number" ? String(x) : undefined);
    const global = (istiodOverride["global"] ?? {}) as Record<string, unknown>;
    const proxy = (global["proxy"] ?? {}) as Record<string, unknown>;
    const h = hub.replace(/\/+$/, "");
    const globalTag = str(global["tag"]) ?? version;
    const pilotName = str(istiodOverride["image"]) ?? "pilot";
    const pilotVariant = str(istiodOverride["variant"]) ?? str(global["variant"]);
    const pilot = pilotName.includes("/") ? pilotName : `${h}/${pilotName}:${str(istiodOverride["tag"]) ?? globalTag}${pilotVariant ? `-${pilotVariant}` : ""}`;
    const proxyv2 = `${h}/${str(proxy["image"]) ?? "proxyv2"}:${withImageType(globalTag, str(global["variant"]))}`;
    return [pilot, proxyv2];
}

/** What a stack pulls: exact images (with tags) and charts (with versions), sorted. */
export interface MirrorList {
    readonly images: string[];
    readonly charts: string[];
}

/**
 * The exact images and charts the stack pulls at its pinned versions, from
 * the sources it is configured with: mirror these, then point
 * `ack-mesh:images` at the mirror.
 *
 * @param gateways whether any gateway (ingress or east-west) is installed: only then is the `gateway` chart pulled
 */
export function mirrorList(config: Pick<StackConfig, "images" | "mesh" | "bookinfo"> & { readonly verify?: StackConfig["verify"] }, gateways: boolean): MirrorList {
    const s = imageSources(config);
    // With revisions (docs/upgrade.md) every installed version is pulled: mirror a new one before adding it.
    const revisions = config.mesh.revisions ? resolveRevisionSet(config.mesh.revisions) : undefined;
    const versions = revisions ? [...new Set(Object.values(revisions.installed))].sort(compareIstioVersions) : [config.mesh.istioVersion];
    const override = (config.mesh.valuesOverride.istiod ?? {}) as Record<string, unknown>;
    const images = [...new Set(versions.flatMap((v) => istioImages(s.istioHub, v, override)))];
    if (config.bookinfo.enabled) {
        const registry = s.bookinfoRegistry.replace(/\/+$/, "");
        for (const w of BOOKINFO_WORKLOADS) {
            if (config.bookinfo.placement[w].length > 0) images.push(`${registry}/examples-bookinfo-${w}:${config.bookinfo.tag}`);
        }
    }
    // The verification Jobs' client (`ack-mesh:verify.image`): pulled by `pulumi up` with verify.enabled, and by `npm run verify` either way.
    images.push(config.verify?.image ?? VERIFY_CLIENT_IMAGE);
    const repo = s.chartRepository.replace(/\/+$/, "");
    // base at its own version; istiod at each revision's; the gateways at the default tag's revision's.
    const chartVersions: [string, string][] = [
        ["base", revisions ? revisions.base : versions[0]],
        ...versions.map((v): [string, string] => ["istiod", v]),
        ...(gateways ? [["gateway", revisions ? revisions.installed[revisions.defaultRevision] : versions[0]] as [string, string]] : []),
    ];
    // An HTTP repository serves `<repo>/<chart>-<version>.tgz` (as the official one does); an OCI one `<repo>/<chart>:<version>`.
    const charts = chartVersions.map(([c, v]) => (repo.startsWith("oci://") ? `${repo}/${c}:${v}` : `${repo}/${c}-${v}.tgz`));
    return { images: images.sort(), charts };
}
