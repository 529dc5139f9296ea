/**
 * Region ids the Alibaba provider accepts, and which of them are in
 * mainland China. Pure data; no Pulumi.
 *
 * The provider validates the region of every `alicloud.Provider` against a
 * list compiled into it (`skipRegionValidation`: "Skip static validation of
 * region ID", `@pulumi/alicloud` provider.d.ts), and fails with
 * `Invalid Alibaba Cloud region: <id>` for anything else, before it asks the
 * account a single question. So a misspelt region must be caught here,
 * before a provider exists: the live preflight (`components/preflight.ts`)
 * then asks the account (`getRegions`) whether the region is really open to it.
 *
 * Source: aliyun/terraform-provider-alicloud `alicloud/connectivity/regions.go`,
 * `ValidRegions` at tag v1.289.0, the upstream that `@pulumi/alicloud` 3.108
 * (this package's version) bundles: the public and the finance/government
 * regions, in its order. The list is the provider's, pinned with it: a
 * region Alibaba opens later needs a newer provider (or
 * `skipRegionValidation`). Raise it with the provider. 3.108 is the lowest
 * `@pulumi/alicloud` of the package's peer range; a newer provider in your
 * program accepts these regions and may accept more.
 */

/** Region ids the provider's static validation accepts. */
export const PROVIDER_REGIONS: readonly string[] = [
    "cn-hangzhou",
    "cn-qingdao",
    "cn-beijing",
    "cn-shenzhen",
    "cn-hongkong",
    "cn-shanghai",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-chengdu",
    "cn-heyuan",
    "cn-wulanchabu",
    "cn-guangzhou",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-zhongwei",
    "us-west-1",
    "us-east-1",
    "us-southeast-1",
    "na-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-southeast-8",
    "ap-south-1",
    "me-east-1",
    "me-central-1",
    "eu-central-1",
    "eu-west-1",
    "rus-west-1",
    "cn-north-2-gov-1",
    "cn-shenzhen-finance-1",
    "cn-szfinance",
    "cn-shenzhen-finance",
    "cn-shanghai-finance-1-pub",
    "cn-shanghai-finance-1",
    "cn-hangzhou-finance",
    "cn-hzfinance",
    "cn-hzjbp",
    "cn-beijing-finance-1",
    "cn-beijing-finance-1-pub",
];

/**
 * True for a region in mainland China: every `cn-*` region but Hong Kong.
 * From there, registries and chart repositories on the internet outside
 * China (`docker.io`, `registry.istio.io`, `storage.googleapis.com`) are
 * unreachable or unreliable, so images and charts need a mirror
 * (`ack-mesh:images`, docs/mirror.md).
 */
export function isMainlandChinaRegion(region: string): boolean {
    return region.startsWith("cn-") && region !== "cn-hongkong";
}

/**
 * The region a zone id belongs to: `cn-hangzhou-h` → `cn-hangzhou`,
 * `ap-southeast-1a` → `ap-southeast-1`; undefined when the id has no zone
 * suffix letter.
 */
export function regionOfZone(zone: string): string | undefined {
    if (/^[a-z]+(-[a-z0-9]+)+-[a-z]$/.test(zone)) return zone.slice(0, -2);
    if (/^[a-z]+(-[a-z0-9]+)*-[a-z0-9]*\d[a-z]$/.test(zone)) return zone.slice(0, -1);
    return undefined;
}
