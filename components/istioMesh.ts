/**
 * `IstioMesh`: Istio across a set of clusters, from a mesh identity and one
 * handle per cluster. It composes the mesh components: a shared root CA when
 * the mesh has several control planes (or `sharedRoot` asks for it), one
 * `IstioControlPlane` per control plane, one `IstioRemote` per remote (which
 * creates its own remote secret in its primary), and a `RemoteSecret` for
 * every other ordered pair (control plane, watched cluster). Works the same
 * on clusters created by `AckCluster` and on existing clusters
 * (`clusterHandleFromKubeconfig`).
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import { IstioControlPlane, IstioControlPlaneArgs, MeshMtlsMode } from "./istioControlPlane";
import { IstioRemote, IstioRemoteArgs, istioRemoteOwnsPair } from "./istioRemote";
import { HelmValues, istioHubProblem } from "./istioValues";
import { MeshCaAlgorithm, MeshCaRoot, MeshCertificateAuthority } from "./meshCertificateAuthority";
import { ReaderToken, readerTokenFromSecret, RemoteSecret, remoteSecretPairs } from "./remoteSecret";
import type { ClusterHandle, MeshIdentity } from "./types";
import { IstioRevisionSet, revisionSetProblems, versionBesideRevisionsProblem } from "../config/revisions";

/** Pulumi type token of {@link IstioMesh}. Public contract: renaming it needs an alias. */
export const ISTIO_MESH_TYPE = "ack-mesh:mesh:IstioMesh";

/** Helm values merged last, per chart, on every cluster. */
export interface IstioMeshValuesOverride {
    /** `base` chart values (control planes and remotes). @default {} */
    base?: HelmValues;
    /** `istiod` chart values (control planes and remotes); for an image mirror prefer {@link IstioMeshArgs.hub}. @default {} */
    istiod?: HelmValues;
    /** Ingress `gateway` chart values (control planes); its `name` is fixed. @default {} */
    ingressGateway?: HelmValues;
    /** East-west `gateway` chart values; its `name` is fixed. @default {} */
    eastWestGateway?: HelmValues;
}

/**
 * The network a cross-cluster step between two clusters waits for: the CEN
 * route and the security group rules between `watcher` (whose istiod reads)
 * and `target` (whose API server it reads; for a remote target, the remote's
 * istiod and sidecars also reach the watcher's east-west gateway). Called
 * once per ordered pair of {@link remoteSecretPairs}, before any child exists.
 */
export type NetworkReadyFor = (watcher: string, target: string) => ReadonlyArray<pulumi.Resource>;

/** Arguments of {@link IstioMesh}. */
export interface IstioMeshArgs {
    /** The mesh identity (plain). Every cluster in it needs a handle. */
    identity: MeshIdentity;
    /** One handle per mesh cluster, by cluster name. */
    clusters: Record<string, ClusterHandle>;
    /** Istio release (Helm chart version). @default DEFAULTS.istioVersion */
    istioVersion?: string;
    /** Helm chart repository (HTTP URL or `oci://…` mirror). @default the official Istio repository */
    chartRepository?: string;
    /**
     * What each cross-cluster step waits for, per (watcher, target) pair:
     * each remote secret, including a remote's own (hence the remote's
     * east-west gateway and its in-mesh workloads), depends on the resources
     * returned for its pair. Keep them to that pair's network: one list for
     * every pair makes the recorded dependencies pairs × network resources,
     * O(N⁴) with several control planes.
     * @default () => [] (nothing to wait for, e.g. existing clusters on a working network)
     */
    networkReady?: NetworkReadyFor;
    /** Install `cacerts` from a shared root. @default true when the mesh has more than one control plane */
    sharedRoot?: boolean;
    /**
     * Shared root settings: key algorithm (changing it replaces every key and
     * certificate), a bring-your-own root (no root key is generated), and extra
     * trusted roots for a root rotation (docs/mesh.md).
     * @default { algorithm: "RSA" } with a generated root
     */
    ca?: { algorithm?: MeshCaAlgorithm; root?: MeshCaRoot; additionalTrustedRootCertsPem?: ReadonlyArray<pulumi.Input<string>> };
    /** Mesh-wide mTLS. @default "STRICT" */
    mtls?: MeshMtlsMode;
    /** Sidecar DNS capture. @default false */
    dnsCapture?: boolean;
    /** Control planes that get an ingress gateway. @default every control plane */
    ingressGateways?: ReadonlyArray<string>;
    /**
     * Registry path of the Istio images, e.g. an Alibaba Container Registry
     * mirror `registry.cn-hangzhou.aliyuncs.com/my-ns`: a registry and a
     * namespace, without a scheme, a tag or a trailing `/`. It becomes
     * `global.hub` of every `istiod` release the mesh installs (control planes
     * and remotes). Of the three charts only `istiod` has `global.hub`
     * (istio@1.30.3 values-keys.json): it names istiod's image and, through
     * the injector, the proxy image of every injected pod, the gateways
     * included (the `gateway` chart's pods say `image: auto`); `base` has no
     * image. `valuesOverride.istiod` still merges last.
     * @default unset: the charts' own hub (`docker.io/istio`)
     */
    hub?: string;
    /** Helm values merged last, per chart, on every cluster. @default {} */
    valuesOverride?: IstioMeshValuesOverride;
    /**
     * Canary upgrades: revisions installed side by side in every cluster
     * (every primary runs each revision's istiod; every remote gets each
     * revision's remote release and injection path), revision tags, and the
     * `base` version (config/revisions.ts, docs/upgrade.md). Mutually
     * exclusive with `istioVersion`.
     * @default unset: one revision-less install at `istioVersion`, upgraded in place
     */
    revisions?: IstioRevisionSet;
}

/** Validates the arguments. Pure. */
export function validateIstioMeshArgs(args: IstioMeshArgs): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const name of Object.keys(args.identity.clusters)) {
        if (!Object.hasOwn(args.clusters, name)) {
            problems.push({ path: `clusters.${name}`, message: "is a mesh cluster without a handle", fix: "pass a ClusterHandle for every cluster of the identity" });
        }
    }
    for (const name of Object.keys(args.clusters)) {
        if (!Object.hasOwn(args.identity.clusters, name)) {
            problems.push({ path: `clusters.${name}`, message: "is not a cluster of the mesh identity", fix: `use one of: ${Object.keys(args.identity.clusters).join(", ")}` });
        }
    }
    if (args.hub !== undefined) {
        const bad = istioHubProblem(args.hub);
        if (bad) problems.push({ path: "hub", value: args.hub, message: bad.message, fix: bad.fix });
    }
    if (args.revisions !== undefined) {
        problems.push(...revisionSetProblems(args.revisions, "revisions"));
        if (args.istioVersion !== undefined) problems.push(versionBesideRevisionsProblem("istioVersion", args.istioVersion, "revisions"));
    }
    for (const [i, name] of (args.ingressGateways ?? []).entries()) {
        if (!args.identity.controlPlanes.includes(name)) {
            problems.push({ path: `ingressGateways[${i}]`, value: name, message: "is not a control plane", fix: `use one of: ${args.identity.controlPlanes.join(", ")}` });
        }
    }
    return problems;
}

/**
 * Resolves `networkReady` once per ordered pair of {@link remoteSecretPairs}
 * (so a throwing callback fails before any child exists) and returns the
 * lookup.
 */
function networkReadiness(identity: MeshIdentity, given: NetworkReadyFor = () => []): (watcher: string, target: string) => pulumi.Resource[] {
    const byPair = new Map(remoteSecretPairs(identity).map((p) => [`${p.watcher}\u0000${p.target}`, [...given(p.watcher, p.target)]]));
    return (watcher, target) => {
        const found = byPair.get(`${watcher}\u0000${target}`);
        if (found === undefined) throw new Error(`IstioMesh: no remote-secret pair ${watcher} → ${target}`);
        return found;
    };
}

/**
 * The settings every Istio component of a mesh gets the same way: the
 * version (or revision set), chart source, image hub, mTLS, DNS capture and
 * values overrides. {@link IstioMesh} takes them from its args; the fleet's
 * per-cluster stacks (programs/fleet) from the stack config.
 */
export type IstioMeshSettings = Pick<IstioMeshArgs, "istioVersion" | "revisions" | "chartRepository" | "hub" | "mtls" | "dnsCapture" | "valuesOverride">;

/** One in-place version, or the revision set that carries its versions. */
function versionOf(s: IstioMeshSettings): Pick<IstioControlPlaneArgs, "istioVersion" | "revisions"> {
    return s.revisions ? { revisions: s.revisions } : { istioVersion: s.istioVersion ?? DEFAULTS.istioVersion };
}

/**
 * The `IstioControlPlane` args of one control plane of a mesh: the mesh's
 * {@link IstioMeshSettings} plus what is the cluster's own. Pure. Used by
 * {@link IstioMesh} and by the fleet's cluster stacks, so both install a
 * control plane the same way.
 */
export function controlPlaneArgs(
    settings: IstioMeshSettings,
    own: Pick<IstioControlPlaneArgs, "identity" | "cluster" | "cacerts" | "sharedRoot" | "ingressGateway">,
): IstioControlPlaneArgs {
    return {
        identity: own.identity,
        cluster: own.cluster,
        ...versionOf(settings),
        ...(own.cacerts !== undefined ? { cacerts: own.cacerts } : {}),
        sharedRoot: own.sharedRoot,
        mtls: settings.mtls,
        dnsCapture: settings.dnsCapture,
        ingressGateway: own.ingressGateway,
        valuesOverride: settings.valuesOverride ?? {},
        chartRepository: settings.chartRepository,
        hub: settings.hub,
    };
}

/**
 * The `IstioRemote` args of one remote of a mesh: the mesh's
 * {@link IstioMeshSettings} (the overrides of the charts a remote installs)
 * plus its cluster and its control plane. Pure. Used by {@link IstioMesh}
 * and by the fleet's cluster stacks.
 */
export function remoteArgs(settings: IstioMeshSettings, own: Pick<IstioRemoteArgs, "identity" | "cluster" | "controlPlane">): IstioRemoteArgs {
    const overrides = settings.valuesOverride ?? {};
    return {
        identity: own.identity,
        cluster: own.cluster,
        controlPlane: own.controlPlane,
        ...versionOf(settings),
        chartRepository: settings.chartRepository,
        hub: settings.hub,
        valuesOverride: { base: overrides.base, istiod: overrides.istiod, eastWestGateway: overrides.eastWestGateway },
    };
}

/** Istio installed across the mesh's clusters. */
export class IstioMesh extends pulumi.ComponentResource {
    /** Control planes by cluster name. */
    public readonly controlPlanes: Readonly<Record<string, IstioControlPlane>>;
    /** Remotes by cluster name. */
    public readonly remotes: Readonly<Record<string, IstioRemote>>;
    /** The shared root CA, when installed. */
    public readonly ca?: MeshCertificateAuthority;
    /** Ingress gateway LB address per control plane that has one. */
    public readonly ingressAddresses: Readonly<Record<string, pulumi.Output<string>>>;
    /** East-west gateway LB address per cluster that has one (intranet). */
    public readonly eastWestAddresses: Readonly<Record<string, pulumi.Output<string>>>;
    /** Remote secrets: `<watcher>/<target>` → the Secret's name in the watcher. */
    public readonly remoteSecrets: Readonly<Record<string, string>>;
    /**
     * Per cluster, what in-mesh workloads must wait for: a control plane's
     * istiod (with revisions: every revision's istiod and every tag webhook,
     * `IstioControlPlane.injectionReady`); for a remote, `IstioRemote.meshReady` (its istiod, its remote
     * secret, and its primary's `istiod-gateway` / `istiod-vs`, through which
     * its pods are injected).
     */
    public readonly meshReady: Readonly<Record<string, pulumi.Resource[]>>;

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateIstioMeshArgs(args);
        if (problems.length) throw new ConfigError(problems, `Invalid IstioMesh "${name}" arguments`);
        const networkReady = networkReadiness(args.identity, args.networkReady);
        super(ISTIO_MESH_TYPE, name, {}, opts);
        const { identity, clusters: handles } = args;
        // One or the other: a revision set carries its versions (each component checks and resolves it).
        const sharedRoot = args.sharedRoot ?? identity.controlPlanes.length > 1;
        const ingress = new Set(args.ingressGateways ?? identity.controlPlanes);

        this.ca = sharedRoot
            ? new MeshCertificateAuthority(`${name}-ca`, { identity, algorithm: args.ca?.algorithm, root: args.ca?.root, additionalTrustedRootCertsPem: args.ca?.additionalTrustedRootCertsPem }, { parent: this })
            : undefined;

        const controlPlanes: Record<string, IstioControlPlane> = {};
        for (const cluster of identity.controlPlanes) {
            controlPlanes[cluster] = new IstioControlPlane(
                `${name}-${cluster}`,
                controlPlaneArgs(args, { identity, cluster: handles[cluster], cacerts: this.ca?.cacerts[cluster], sharedRoot, ingressGateway: ingress.has(cluster) }),
                { parent: this },
            );
        }

        const remotes: Record<string, IstioRemote> = {};
        for (const c of Object.values(identity.clusters).filter((x) => !x.controlPlane)) {
            const primary = controlPlanes[c.controlledBy];
            remotes[c.clusterName] = new IstioRemote(
                `${name}-${c.clusterName}`,
                remoteArgs(args, {
                    identity,
                    cluster: handles[c.clusterName],
                    controlPlane: {
                        cluster: handles[c.controlledBy],
                        eastWestAddress: primary.eastWestAddress!,
                        // Every revision's istiod: the remote's istiod-<rev> Services and tag webhooks lead to them.
                        dependsOn: [...Object.values(primary.istiods), ...networkReady(c.controlledBy, c.clusterName)],
                        istiodExposure: primary.istiodExposure,
                    },
                }),
                { parent: this },
            );
        }

        // Pairs with a remote target belong to that IstioRemote; the others are control planes reading each other.
        const remoteSecrets: Record<string, string> = {};
        for (const pair of remoteSecretPairs(identity)) {
            const key = `${pair.watcher}/${pair.target}`;
            if (istioRemoteOwnsPair(identity, pair)) {
                remoteSecrets[key] = remotes[pair.target].remoteSecret.secretName;
                continue;
            }
            // The target is another control plane, or (with several primaries) another primary's remote.
            const targetPlane = controlPlanes[pair.target];
            const token: ReaderToken | undefined = targetPlane ? targetPlane.readerToken : readerTokenFromSecret(remotes[pair.target].readerToken);
            if (!token) throw new Error(`IstioMesh: control plane "${pair.target}" is read by "${pair.watcher}" but minted no reader token`);
            // The reader ClusterRole and its binding come from the target's istiod chart, not its base:
            // until that release exists, the watcher's istiod gets 403 from the target.
            const targetIstiod = targetPlane ? targetPlane.istiod : remotes[pair.target].istiod;
            const secret = new RemoteSecret(
                `${name}-${pair.watcher}-reads-${pair.target}`,
                {
                    watcher: handles[pair.watcher],
                    target: { clusterName: pair.target, apiServerUrl: handles[pair.target].apiServerUrl, token: token.token, caData: token.caData },
                },
                { parent: this, dependsOn: [controlPlanes[pair.watcher].istiod, targetIstiod, ...networkReady(pair.watcher, pair.target)] },
            );
            remoteSecrets[key] = secret.secretName;
        }

        const ingressAddresses: Record<string, pulumi.Output<string>> = {};
        const eastWestAddresses: Record<string, pulumi.Output<string>> = {};
        const meshReady: Record<string, pulumi.Resource[]> = {};
        for (const [cluster, cp] of Object.entries(controlPlanes)) {
            if (cp.ingressAddress) ingressAddresses[cluster] = cp.ingressAddress;
            if (cp.eastWestAddress) eastWestAddresses[cluster] = cp.eastWestAddress;
            meshReady[cluster] = [...cp.injectionReady];
        }
        for (const [cluster, r] of Object.entries(remotes)) {
            if (r.eastWestAddress) eastWestAddresses[cluster] = r.eastWestAddress;
            meshReady[cluster] = [...r.meshReady];
        }
        this.controlPlanes = controlPlanes;
        this.remotes = remotes;
        this.ingressAddresses = ingressAddresses;
        this.eastWestAddresses = eastWestAddresses;
        this.remoteSecrets = remoteSecrets;
        this.meshReady = meshReady;

        this.registerOutputs({ ingressAddresses, eastWestAddresses, remoteSecrets });
    }
}
