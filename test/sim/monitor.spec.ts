/**
 * The simulated resource monitor against SDK versions: newer @pulumi/pulumi releases ask
 * GetDeploymentInfo first and fall back to SupportsFeature only on UNIMPLEMENTED.
 */
import * as assert from "node:assert/strict";
import { SimCloud } from "../../sim/cloud";
import { SimMonitor } from "../../sim/monitor";
import { CATALOG } from "../../sim/catalogData";

describe("sim: resource monitor", () => {
    it("answers GetDeploymentInfo with gRPC UNIMPLEMENTED (code 12), so every SDK falls back to SupportsFeature", () => {
        const monitor = new SimMonitor(new SimCloud({ defaultRegion: "cn-hangzhou", catalog: CATALOG }), "p", "s");
        let got: { err: (Error & { code?: number }) | null; resp: unknown } | undefined;
        monitor.getDeploymentInfo({}, (err, resp) => (got = { err: err as (Error & { code?: number }) | null, resp }));
        assert.ok(got, "answered synchronously");
        assert.equal(got.err?.code, 12);
        assert.equal(got.resp, undefined);
    });
});
