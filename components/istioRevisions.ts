/**
 * Objects of a revisioned Istio install (istio.io "Canary Upgrades", "Upgrade
 * with Helm"), built by pure functions:
 *
 * - the **revision tag webhook** `istio-revision-tag-<tag>`: the
 *   MutatingWebhookConfiguration that istio@1.30.3
 *   `manifests/charts/istio-control/istio-discovery/templates/revision-tags-mwc.yaml`
 *   renders for a tag (its `rev.namespace.` and `rev.object.` webhooks). The
 *   Helm canary guide renders it with `helm template … -s
 *   templates/revision-tags-mwc.yaml | kubectl apply` rather than inside an
 *   istiod release; ack-mesh creates it as its own object for the same
 *   reason: moving a tag then updates one object in place, where moving
 *   `revisionTags` between two releases would make the second release fail
 *   on an object the first still owns. Its label `istio.io/rev=<rev>` makes
 *   that revision's istiod patch the `caBundle` in (pkg/webhooks/webhookpatch.go
 *   watches webhooks by that label), as it does for `istioctl tag set`.
 * - the **per-revision VirtualService** `istiod-vs-<rev>` on the east-west
 *   gateway, routing SNI `istiod-<rev>.istio-system.svc` to that revision's
 *   istiod: istio@1.30.3 `samples/multicluster/expose-istiod-rev.yaml.tmpl`.
 *   A remote's `istiod-<rev>` Service (remote-istiod-service.yaml) points at
 *   the primary's east-west gateway, and the SNI of its webhook calls and
 *   proxies' xDS picks the revision.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REVISION, DEFAULT_TAG, ResolvedRevisionSet, injectorTakenOver, istiodNameOf } from "../config/revisions";
import type { K8sObject } from "./istioObjects";
import { ISTIO_CHARTS } from "./istioValues";

export { DEFAULT_REVISION, DEFAULT_TAG, compareIstioVersions, injectorTakenOver, rendersInjector, istiodNameOf, resolveRevisionSet, revisionNameOf, revisionSetProblems } from "../config/revisions";
export type { IstioRevisionSet, ResolvedRevisionSet } from "../config/revisions";

/** Name of a tag's webhook (release namespace `istio-system`). */
export function revisionTagWebhookName(tag: string): string {
    return `istio-revision-tag-${tag}`;
}

/** Options of {@link revisionTagWebhook}. */
export interface RevisionTagWebhookOptions {
    /**
     * Path of the injection endpoint: `/inject` on a primary; on a remote the
     * `istiodRemote.injectionPath` of its istiod release
     * (`/inject/cluster/<cluster>/net/<network>`).
     * @default "/inject"
     */
    injectionPath?: string;
}

/**
 * The MutatingWebhookConfiguration of revision tag `tag` pointing at
 * `revision` (the chart's template with `revisionTags: [tag]`,
 * `revision: <revision>`, in `istio-system`). Moving the tag changes
 * `metadata.labels["istio.io/rev"]` and the webhooks' service name: an
 * in-place update. No `caBundle`: the revision's istiod patches it in.
 */
export function revisionTagWebhook(tag: string, revision: string, options: RevisionTagWebhookOptions = {}): k8s.admissionregistration.v1.MutatingWebhookConfigurationArgs {
    const core = (prefix: string) => ({
        name: `${prefix}sidecar-injector.istio.io`,
        clientConfig: { service: { name: istiodNameOf(revision), namespace: ISTIO_CHARTS.namespace, path: options.injectionPath ?? "/inject", port: 443 } },
        sideEffects: "None",
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        admissionReviewVersions: ["v1"],
    });
    const notDisabled = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
    // Tag default also serves the revision-less selectors (the chart's `if (eq $tagName "default")`; no
    // `auto.` webhook: ack-mesh leaves sidecarInjectorWebhook.enableNamespacesByDefault at false).
    const takeover =
        tag === DEFAULT_TAG
            ? [
                  {
                      ...core("namespace."),
                      namespaceSelector: { matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }] },
                      objectSelector: { matchExpressions: [notDisabled] },
                  },
                  {
                      ...core("object."),
                      namespaceSelector: {
                          matchExpressions: [
                              { key: "istio-injection", operator: "DoesNotExist" },
                              { key: "istio.io/rev", operator: "DoesNotExist" },
                          ],
                      },
                      objectSelector: {
                          matchExpressions: [
                              { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
                              { key: "istio.io/rev", operator: "DoesNotExist" },
                          ],
                      },
                  },
              ]
            : [];
    return {
        metadata: {
            name: revisionTagWebhookName(tag),
            labels: { "istio.io/tag": tag, "istio.io/rev": revision, app: "sidecar-injector", "app.kubernetes.io/managed-by": "ack-mesh" },
        },
        webhooks: [
            {
                ...core("rev.namespace."),
                namespaceSelector: {
                    matchExpressions: [
                        { key: "istio.io/rev", operator: "In", values: [tag] },
                        { key: "istio-injection", operator: "DoesNotExist" },
                    ],
                },
                objectSelector: { matchExpressions: [notDisabled] },
            },
            {
                ...core("rev.object."),
                namespaceSelector: {
                    matchExpressions: [
                        { key: "istio.io/rev", operator: "DoesNotExist" },
                        { key: "istio-injection", operator: "DoesNotExist" },
                    ],
                },
                objectSelector: { matchExpressions: [notDisabled, { key: "istio.io/rev", operator: "In", values: [tag] }] },
            },
            ...takeover,
        ],
    };
}

/**
 * The VirtualService `istiod-vs-<rev>` on the east-west gateway's
 * `istiod-gateway`: SNI `istiod-<rev>.istio-system.svc[.cluster.local]` on
 * 15012 (xDS) and 15017 (webhook) to that revision's istiod Service. Not for
 * the `default` revision, which the catch-all `istiod-vs` serves.
 */
export function istiodRevisionVirtualService(revision: string): K8sObject {
    if (revision === DEFAULT_REVISION) throw new Error(`istiodRevisionVirtualService: the "${DEFAULT_REVISION}" revision is served by istiod-vs`);
    const svc = `${istiodNameOf(revision)}.${ISTIO_CHARTS.namespace}.svc`;
    const route = (port: number, target: number) => ({ match: [{ port, sniHosts: [svc, `${svc}.cluster.local`] }], route: [{ destination: { host: `${svc}.cluster.local`, port: { number: target } } }] });
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: `istiod-vs-${revision}`, namespace: ISTIO_CHARTS.namespace },
        spec: { hosts: ["*"], gateways: ["istiod-gateway"], tls: [route(15012, 15012), route(15017, 443)] },
    };
}

/** What {@link installRevisions} created. */
export interface InstalledRevisions {
    /** Each revision's istiod release, by revision. */
    readonly istiods: Readonly<Record<string, k8s.helm.v3.Release>>;
    /** Each tag's webhook, by tag. */
    readonly tags: Readonly<Record<string, pulumi.Resource>>;
}

/**
 * Creates the istiod release of each revision and the webhook of each tag (through the
 * callbacks, which name them and give them their provider), in the order a canary upgrade
 * needs: a tag's webhook after its revision's istiod (it calls that istiod's Service); and,
 * when tag `default` points at another revision, the revision-less istiod, which then drops
 * its `istio-sidecar-injector` ({@link injectorTakenOver}), only after that tag's webhook
 * injects `istio-injection=enabled`: no window in which those namespaces get no sidecar.
 *
 * @param istiod creates the release of `rev` at `version` (its values per `rendersInjector`), after
 *   `dependsOn` besides its own.
 * @param tag creates the webhook of `tag` pointing at `rev`, after `dependsOn`.
 */
export function installRevisions(
    revs: ResolvedRevisionSet,
    istiod: (rev: string, version: string, dependsOn: pulumi.Resource[]) => k8s.helm.v3.Release,
    tag: (tag: string, rev: string, dependsOn: pulumi.Resource[]) => pulumi.Resource,
): InstalledRevisions {
    const takenOver = injectorTakenOver(revs);
    const istiods: Record<string, k8s.helm.v3.Release> = {};
    const tags: Record<string, pulumi.Resource> = {};
    const later = (rev: string) => takenOver && rev === DEFAULT_REVISION;
    const tagsOf = (first: boolean) => Object.entries(revs.tags).filter(([, rev]) => later(rev) !== first);
    for (const [rev, version] of Object.entries(revs.installed).filter(([r]) => !later(r))) istiods[rev] = istiod(rev, version, []);
    for (const [t, rev] of tagsOf(true)) tags[t] = tag(t, rev, [istiods[rev]]);
    if (takenOver && Object.hasOwn(revs.installed, DEFAULT_REVISION)) {
        istiods[DEFAULT_REVISION] = istiod(DEFAULT_REVISION, revs.installed[DEFAULT_REVISION], [tags[DEFAULT_TAG]]);
    }
    for (const [t, rev] of tagsOf(false)) tags[t] = tag(t, rev, [istiods[rev]]);
    return { istiods, tags };
}
