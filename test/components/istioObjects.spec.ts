/**
 * Table tests of the Istio object builders (components/istioObjects.ts):
 * exact objects, strict validation of each (no unknown field, schema-valid),
 * and the failover helper's errors. Also proves that the strict validator
 * (test/support/istioSchemas.ts) rejects what `@kubernetes-models/istio`
 * alone accepts.
 */
import * as assert from "assert";
import {
    FAILOVER_OUTLIER_DETECTION,
    K8sObject,
    LocalityFailoverArgs,
    OUTLIER_DETECTION,
    crossNetworkGateway,
    istiodGateway,
    istiodVirtualService,
    localityFailoverDestinationRule,
    meshPeerAuthentication,
} from "../../components/istioObjects";
import { ISTIO_REFERENCE_DIR, istioModelKinds, referenceCrdSchema, unknownFieldsAgainstSchema, unknownIstioFields, validateIstio } from "../support/istioSchemas";

const failoverArgs: LocalityFailoverArgs = {
    name: "reviews-failover",
    namespace: "bookinfo",
    host: "reviews.bookinfo.svc.cluster.local",
    failover: [
        { from: "cn-hangzhou", to: "cn-shanghai" },
        { from: "cn-shanghai", to: "cn-hangzhou" },
    ],
};

/** Every builder with its exact expected object. */
const cases: [string, () => K8sObject, K8sObject][] = [
    [
        "crossNetworkGateway: 15443 AUTO_PASSTHROUGH for *.local on the east-west gateway",
        crossNetworkGateway,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "cross-network-gateway", namespace: "istio-system" },
            spec: {
                selector: { istio: "eastwestgateway" },
                servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
            },
        },
    ],
    [
        "istiodGateway: 15012 and 15017 PASSTHROUGH",
        istiodGateway,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "istiod-gateway", namespace: "istio-system" },
            spec: {
                selector: { istio: "eastwestgateway" },
                servers: [
                    { port: { name: "tls-istiod", number: 15012, protocol: "TLS" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
                    { port: { name: "tls-istiodwebhook", number: 15017, protocol: "TLS" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
                ],
            },
        },
    ],
    [
        "istiodVirtualService: 15012 → istiod:15012, 15017 → istiod:443",
        istiodVirtualService,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "istiod-vs", namespace: "istio-system" },
            spec: {
                hosts: ["*"],
                gateways: ["istiod-gateway"],
                tls: [
                    { match: [{ port: 15012, sniHosts: ["*"] }], route: [{ destination: { host: "istiod.istio-system.svc.cluster.local", port: { number: 15012 } } }] },
                    { match: [{ port: 15017, sniHosts: ["*"] }], route: [{ destination: { host: "istiod.istio-system.svc.cluster.local", port: { number: 443 } } }] },
                ],
            },
        },
    ],
    [
        "meshPeerAuthentication(STRICT): default in the root namespace",
        () => meshPeerAuthentication("STRICT"),
        { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } },
    ],
    [
        "meshPeerAuthentication(PERMISSIVE)",
        () => meshPeerAuthentication("PERMISSIVE"),
        { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "PERMISSIVE" } } },
    ],
    [
        "localityFailoverDestinationRule: failover pairs and the default outlier detection",
        () => localityFailoverDestinationRule(failoverArgs),
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "reviews-failover", namespace: "bookinfo" },
            spec: {
                host: "reviews.bookinfo.svc.cluster.local",
                trafficPolicy: {
                    loadBalancer: {
                        simple: "ROUND_ROBIN",
                        localityLbSetting: {
                            enabled: true,
                            failover: [
                                { from: "cn-hangzhou", to: "cn-shanghai" },
                                { from: "cn-shanghai", to: "cn-hangzhou" },
                            ],
                        },
                    },
                    outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m", maxEjectionPercent: 100 },
                },
            },
        },
    ],
    [
        "localityFailoverDestinationRule: custom outlier detection and subsets",
        () =>
            localityFailoverDestinationRule({
                ...failoverArgs,
                host: "reviews",
                failover: [{ from: "cn-hangzhou", to: "cn-shanghai" }],
                outlierDetection: { consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100 },
                subsets: [
                    { name: "v1", labels: { version: "v1" } },
                    { name: "v2", labels: { version: "v2" } },
                ],
            }),
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "reviews-failover", namespace: "bookinfo" },
            spec: {
                host: "reviews",
                trafficPolicy: {
                    loadBalancer: { simple: "ROUND_ROBIN", localityLbSetting: { enabled: true, failover: [{ from: "cn-hangzhou", to: "cn-shanghai" }] } },
                    outlierDetection: { consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100 },
                },
                subsets: [
                    { name: "v1", labels: { version: "v1" } },
                    { name: "v2", labels: { version: "v2" } },
                ],
            },
        },
    ],
];

describe("istioObjects: exact objects", () => {
    for (const [what, build, expected] of cases) {
        it(what, () => assert.deepStrictEqual(build(), expected));
    }

    it("builders return fresh objects (callers may modify them)", () => {
        const a = crossNetworkGateway();
        (a.spec.servers as unknown[]).push({});
        assert.deepStrictEqual(crossNetworkGateway(), cases[0][2]);
        const args: LocalityFailoverArgs = { ...failoverArgs, subsets: [{ name: "v1", labels: { version: "v1" } }] };
        const rule = localityFailoverDestinationRule(args);
        ((rule.spec.trafficPolicy as { outlierDetection: Record<string, unknown> }).outlierDetection).interval = "5s";
        assert.deepStrictEqual(FAILOVER_OUTLIER_DETECTION, { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m", maxEjectionPercent: 100 });
        ((rule.spec.subsets as { labels: Record<string, string> }[])[0].labels).version = "v9";
        assert.deepStrictEqual(args.subsets, [{ name: "v1", labels: { version: "v1" } }]);
    });
});

describe("istioObjects: outlier detection defaults", () => {
    it("failover lets Envoy eject every endpoint of a locality (maxEjectionPercent 100); the plain defaults keep Istio's 10%", () => {
        assert.deepStrictEqual(FAILOVER_OUTLIER_DETECTION, { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m", maxEjectionPercent: 100 });
        assert.deepStrictEqual(OUTLIER_DETECTION, { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m" });
        assert.ok(!("maxEjectionPercent" in OUTLIER_DETECTION), "no maxEjectionPercent: a one-endpoint subset would go dark for baseEjectionTime");
    });

    it("a caller's own outlier detection replaces the default as a whole", () => {
        const rule = localityFailoverDestinationRule({ ...failoverArgs, outlierDetection: { consecutive5xxErrors: 5 } });
        assert.deepStrictEqual((rule.spec.trafficPolicy as { outlierDetection: unknown }).outlierDetection, { consecutive5xxErrors: 5 });
    });
});

describe("istioObjects: strict validation", function () {
    // The first call loads the model types with the TypeScript compiler (about 2 s).
    this.timeout(20_000);

    for (const [what, build] of cases) {
        it(`${what} validates strictly`, async () => {
            await validateIstio(build());
        });
    }

    it("the validator knows the kinds ack-mesh builds", () => {
        const kinds = istioModelKinds();
        for (const k of ["networking.istio.io/v1/Gateway", "networking.istio.io/v1/VirtualService", "networking.istio.io/v1/DestinationRule", "security.istio.io/v1/PeerAuthentication"]) {
            assert.ok(kinds.includes(k), `${k} in ${kinds.join(", ")}`);
        }
    });

    it("rejects a misspelt field that the models alone accept (spec.servers[0].tls.mod)", async () => {
        const bad = crossNetworkGateway();
        const server = (bad.spec.servers as Record<string, unknown>[])[0];
        server.tls = { mod: "AUTO_PASSTHROUGH" };
        // The model's own validate() accepts it: its CRD schema has no additionalProperties:false.
        assert.deepStrictEqual(unknownIstioFields(bad), ["spec.servers[0].tls.mod"]);
        await assert.rejects(validateIstio(bad), {
            message: "invalid networking.istio.io/v1 Gateway istio-system/cross-network-gateway: unknown field(s): spec.servers[0].tls.mod",
        });
    });

    it("rejects unknown fields anywhere: metadata, spec root, nested lists", async () => {
        const bad = istiodVirtualService() as K8sObject & { metadata: Record<string, unknown> };
        bad.metadata.lables = { a: "b" };
        bad.spec.host = "istiod";
        ((bad.spec.tls as { route: { destination: Record<string, unknown> }[] }[])[1].route[0].destination).prot = { number: 443 };
        assert.deepStrictEqual(unknownIstioFields(bad), ["metadata.lables", "spec.host", "spec.tls[1].route[0].destination.prot"]);
        await assert.rejects(validateIstio(bad), /unknown field\(s\): metadata\.lables, spec\.host, spec\.tls\[1\]\.route\[0\]\.destination\.prot$/);
    });

    it("accepts any key in a map (labels, selector)", () => {
        const gw = crossNetworkGateway();
        gw.metadata.labels = { "topology.istio.io/network": "network1" };
        (gw.spec.selector as Record<string, string>)["app.kubernetes.io/name"] = "x";
        assert.deepStrictEqual(unknownIstioFields(gw), []);
    });

    it("rejects schema violations: a bad enum and a wrong type", async () => {
        const bad = crossNetworkGateway();
        const server = (bad.spec.servers as Record<string, Record<string, unknown>>[])[0];
        server.tls.mode = "AUTO";
        server.port.number = "15443";
        await assert.rejects(validateIstio(bad), {
            message:
                "invalid networking.istio.io/v1 Gateway istio-system/cross-network-gateway: schema: data/spec/servers/0/port/number must be integer, data/spec/servers/0/tls/mode must be equal to one of the allowed values",
        });
        await assert.rejects(validateIstio(meshPeerAuthentication("OFF" as "STRICT")), /schema: data\/spec\/mtls\/mode must be equal to one of the allowed values/);
    });

    it("rejects objects without a model", async () => {
        await assert.rejects(validateIstio({ apiVersion: "networking.istio.io/v9", kind: "Gateway" }), { message: 'no @kubernetes-models/istio model for apiVersion "networking.istio.io/v9" kind "Gateway"' });
        await assert.rejects(validateIstio({ kind: "Gateway" }), /not a Kubernetes object/);
    });
});

describe("istioObjects: against the Istio 1.30.3 strict CRD schemas (reference data)", () => {
    before(function () {
        if (!referenceCrdSchema("networking.istio.io/v1", "Gateway")) {
            console.log(`      (skipped: the Istio 1.30.3 reference CRD schemas are not under ${ISTIO_REFERENCE_DIR})`);
            this.skip();
        }
    });

    for (const [what, build] of cases) {
        it(`${what}: no field unknown to 1.30.3`, () => {
            const obj = build();
            const schema = referenceCrdSchema(obj.apiVersion, obj.kind);
            assert.ok(schema, `no 1.30.3 schema for ${obj.apiVersion} ${obj.kind}`);
            assert.deepStrictEqual(unknownFieldsAgainstSchema(obj, schema), []);
        });
    }

    it("the schema walk rejects the misspelt field too", () => {
        const bad = crossNetworkGateway();
        (bad.spec.servers as Record<string, unknown>[])[0].tls = { mod: "AUTO_PASSTHROUGH" };
        assert.deepStrictEqual(unknownFieldsAgainstSchema(bad, referenceCrdSchema(bad.apiVersion, bad.kind)!), ["spec.servers[0].tls.mod"]);
    });
});

describe("istioObjects: localityFailoverDestinationRule errors", () => {
    it("needs at least one failover pair", () => {
        assert.throws(() => localityFailoverDestinationRule({ ...failoverArgs, failover: [] }), {
            message: "localityFailoverDestinationRule(reviews-failover): failover needs at least one {from, to} pair",
        });
    });
    it("rejects a failover from a locality to itself", () => {
        assert.throws(() => localityFailoverDestinationRule({ ...failoverArgs, failover: [{ from: "cn-hangzhou", to: "cn-shanghai" }, { from: "cn-beijing", to: "cn-beijing" }] }), {
            message: 'localityFailoverDestinationRule(reviews-failover): failover from "cn-beijing" to itself',
        });
    });
});
