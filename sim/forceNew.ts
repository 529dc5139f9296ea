/**
 * Which input changes **replace** a resource instead of updating it in place, per type, for every
 * type ack-mesh creates. The facts come from the providers' source, cited per entry:
 *
 * - **alicloud** (`@pulumi/alicloud` 3.108.0, bridged from `aliyun/terraform-provider-alicloud`
 *   v1.289.0): the inputs whose Terraform schema says `ForceNew: true`, from the resource files
 *   `alicloud/resource_alicloud_*.go` named in each entry. The Pulumi bridge turns a change of a
 *   ForceNew input (or an unknown value for one) into a replacement.
 * - **kubernetes** (`@pulumi/kubernetes` 4.34.x, `pulumi/pulumi-kubernetes`):
 *   `provider/pkg/provider/diff.go` (`forceNewProperties`: `.metadata.name` and `.metadata.namespace`
 *   for every kind, plus a per-kind list), `provider/pkg/provider/helm_release.go` (`Diff`:
 *   `forceNewFields := {".name", ".namespace"}`; a `chart` or `version` change is an in-place
 *   `helm upgrade`), and `provider/pkg/provider/provider.go` (`DiffConfig`: the provider is replaced
 *   when its kubeconfig is unknown or points at another cluster, or when `renderYamlToDirectory`
 *   changes). A `CustomResource`'s `apiVersion` and `kind` are part of its type token
 *   (`kubernetes:<group>/<version>:<Kind>`), so changing them changes the URN: delete + create.
 * - **tls** (`@pulumi/tls`, bridged from `hashicorp/terraform-provider-tls`): every attribute of
 *   `tls_private_key`, `tls_cert_request`, `tls_self_signed_cert` and `tls_locally_signed_cert`
 *   has `RequiresReplace`, except `early_renewal_hours` (`internal/provider/resource_*.go`).
 * - **random** (`@pulumi/random`, bridged from `hashicorp/terraform-provider-random`): every input
 *   (including `keepers`) replaces.
 *
 * Paths are dotted input names as in TypeScript (`autoMode.enabled`); `[*]` matches any array
 * element (`spec.containers[*].image`). A change *inside* a ForceNew input (`autoMode.enabled` under
 * `autoMode`) and a change of the object that *holds* one (all of `metadata`) both count.
 *
 * @module
 */

/** What decides replacement for one resource type. */
export interface ForceNewRule {
  /** Input paths whose change replaces the resource. */
  readonly fields: readonly string[];
  /** When true, a change of any input replaces the resource, except those in {@link ForceNewRule.except}. */
  readonly allInputs?: boolean;
  /** With {@link ForceNewRule.allInputs}: the inputs that are updatable in place. */
  readonly except?: readonly string[];
  /** Where the fact comes from (a file in the upstream provider repository). */
  readonly source: string;
  /** Anything a reader should know (assumptions, caveats). */
  readonly note?: string;
  /** Further ForceNew paths that depend on the resource's own inputs or on its provider's inputs. */
  readonly dynamic?: (ctx: ForceNewContext) => readonly string[];
}

/** What a dynamic rule may look at. */
export interface ForceNewContext {
  /** The resource's (new) inputs, canonical form. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The inputs of the resource's explicit provider, if known. */
  readonly providerInputs?: Readonly<Record<string, unknown>>;
}

const TF = "aliyun/terraform-provider-alicloud v1.289.0";
const tf = (file: string) => `${TF} alicloud/${file}`;

/**
 * alicloud: the TF `ForceNew` inputs of each resource type the project creates (TS input names).
 * Deprecated inputs that are ForceNew are listed too, so a program still using them is diffed right.
 */
export const ALICLOUD_FORCE_NEW: Readonly<Record<string, ForceNewRule>> = Object.freeze({
  "alicloud:vpc/network:Network": {
    fields: ["isDefault", "userCidrs", "ipv6CidrBlock"],
    source: tf("resource_alicloud_vpc.go"),
    note: "cidrBlock is updatable in place (ModifyVpcAttribute); ipv4CidrMask and ipv4IpamPoolId are create-only (edits are ignored)",
  },
  "alicloud:vpc/switch:Switch": {
    fields: ["cidrBlock", "vpcId", "zoneId", "availabilityZone", "isDefault"],
    source: tf("resource_alicloud_vswitch.go"),
  },
  "alicloud:ecs/securityGroup:SecurityGroup": {
    fields: ["vpcId", "securityGroupType"],
    source: tf("resource_alicloud_security_group.go"),
  },
  "alicloud:ecs/securityGroupRule:SecurityGroupRule": {
    fields: [],
    allInputs: true,
    except: ["description"],
    source: tf("resource_alicloud_security_group_rule.go"),
    note: "every input except description is ForceNew",
  },
  "alicloud:cen/instance:Instance": {
    fields: [],
    source: tf("resource_alicloud_cen_instance.go"),
    note: "no ForceNew input; moving it to another provider (region) still replaces it",
  },
  "alicloud:cen/transitRouter:TransitRouter": {
    fields: ["cenId", "supportMulticast"],
    source: tf("resource_alicloud_cen_transit_router.go"),
  },
  "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable": {
    fields: ["transitRouterId"],
    source: tf("resource_alicloud_cen_transit_router_route_table.go"),
  },
  "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment": {
    fields: ["paymentType", "resourceType", "transitRouterId", "vpcId", "vpcOwnerId"],
    source: tf("resource_alicloud_cen_transit_router_vpc_attachment.go"),
    note: "zoneMappings is updatable; cenId is create-only (edits are ignored)",
  },
  "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment": {
    fields: ["cenId", "peerTransitRouterId", "peerTransitRouterRegionId", "resourceType", "transitRouterId"],
    source: tf("resource_alicloud_cen_transit_router_peer_attachment.go"),
  },
  "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation": {
    fields: ["transitRouterAttachmentId", "transitRouterRouteTableId"],
    source: tf("resource_alicloud_cen_transit_router_route_table_association.go"),
  },
  "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation": {
    fields: ["transitRouterAttachmentId", "transitRouterRouteTableId"],
    source: tf("resource_alicloud_cen_transit_router_route_table_propagation.go"),
  },
  "alicloud:cs/managedKubernetes:ManagedKubernetes": {
    fields: ["podCidr", "serviceCidr", "nodeCidrMask", "proxyMode", "ipStack", "clusterDomain", "serviceAccountIssuer", "apiAudiences", "profile", "autoMode"],
    source: tf("resource_alicloud_cs_managed_kubernetes.go"),
    note: "addons, podVswitchIds, zoneIds, slbInternetEnabled, newNatGateway, userCa are create-only (edits are ignored, not replaced)",
  },
  "alicloud:cs/nodePool:NodePool": {
    fields: [
      "clusterId",
      "securityGroupIds",
      "securityGroupId",
      "type",
      "deploymentSetId",
      "ramRoleName",
      "nodeNameMode",
      "loginAsNonRoot",
      "socEnabled",
      "securityHardeningOs",
      "cisEnabled",
      "teeConfig",
      "instanceMetadataOptions",
      "autoMode",
    ],
    source: tf("resource_alicloud_cs_kubernetes_node_pool.go"),
    note: "desiredSize, instanceTypes, vswitchIds, systemDisk*, labels, taints are updatable in place",
  },
  "alicloud:cs/kubernetesAddon:KubernetesAddon": {
    fields: ["clusterId", "name"],
    source: tf("resource_alicloud_cs_kubernetes_addon.go"),
  },
  "alicloud:vpc/natGateway:NatGateway": {
    fields: ["accessMode", "availabilityMode", "instanceChargeType", "internetChargeType", "paymentType", "privateLinkEnabled", "vpcId"],
    source: tf("resource_alicloud_nat_gateway.go"),
    note:
      "vswitchId, natType and networkType are not ForceNew upstream, but the 3.108 d.ts calls them immutable after creation: a vswitchId edit goes to UpdateNatGatewayNatType (meant for Normal to Enhanced), networkType is never updated",
  },
  "alicloud:ecs/eipAddress:EipAddress": {
    fields: [
      "allocationId",
      "highDefinitionMonitorLogStatus",
      "instanceChargeType",
      "internetChargeType",
      "ipAddress",
      "isp",
      "netmode",
      "paymentType",
      "publicIpAddressPoolId",
      "securityProtectionTypes",
      "zone",
    ],
    source: tf("resource_alicloud_eip_address.go"),
    note: "bandwidth, addressName, description, tags are updatable in place; a replacement changes the public address",
  },
  "alicloud:ecs/eipAssociation:EipAssociation": {
    fields: ["allocationId", "instanceId", "instanceType", "privateIpAddress", "vpcId"],
    source: tf("resource_alicloud_eip_association.go"),
    note: "only mode is updatable",
  },
  "alicloud:vpc/snatEntry:SnatEntry": {
    fields: ["snatTableId", "sourceCidr", "sourceVswitchId"],
    source: tf("resource_alicloud_snat_entry.go"),
    note: "snatIp (since 1.241.0), snatEntryName and eipAffinity are updatable in place",
  },
  "alicloud:cen/instanceAttachment:InstanceAttachment": {
    fields: ["childInstanceId", "childInstanceRegionId", "childInstanceType", "instanceId"],
    source: tf("resource_alicloud_cen_instance_attachment.go"),
  },
  "alicloud:cen/transitRouterRouteEntry:TransitRouterRouteEntry": {
    fields: ["transitRouterRouteEntryDestinationCidrBlock", "transitRouterRouteEntryNextHopId", "transitRouterRouteEntryNextHopType", "transitRouterRouteTableId"],
    source: tf("resource_alicloud_cen_transit_router_route_entry.go"),
  },
});

const K8S_DIFF = "pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (forceNewProperties)";

function labelSelector(prefix: string): string[] {
  return [prefix, `${prefix}.matchExpressions`, `${prefix}.matchLabels`];
}

const CONTAINER_FIELDS = [
  "args",
  "command",
  "env",
  "image",
  "imagePullPolicy",
  "lifecycle",
  "livenessProbe",
  "ports",
  "readinessProbe",
  "resources",
  "securityContext",
  "stdin",
  "stdinOnce",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "tty",
  "volumeDevices",
  "volumeMounts",
  "workingDir",
];

/**
 * Kubernetes: per-kind ForceNew paths on top of `metadata.name` and `metadata.namespace`, keyed by
 * `<group>/<version>:<Kind>` as in the type token (`core` for the legacy group).
 */
export const KUBERNETES_KIND_FORCE_NEW: Readonly<Record<string, readonly string[]>> = Object.freeze({
  "apps/v1:Deployment": labelSelector("spec.selector"),
  "apps/v1:DaemonSet": labelSelector("spec.selector"),
  "apps/v1:StatefulSet": ["spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName", "spec.volumeClaimTemplates", ...labelSelector("spec.selector")],
  "batch/v1:Job": ["spec.completions", "spec.parallelism", "spec.template", ...labelSelector("spec.selector")],
  "core/v1:Service": ["spec.clusterIP"],
  "core/v1:ResourceQuota": ["spec.scopes"],
  "core/v1:PersistentVolumeClaim": ["spec.accessModes", "spec.storageClassName", "spec.volumeName", ...labelSelector("spec.selector")],
  "core/v1:Pod": [
    ...[
      "affinity",
      "automountServiceAccountToken",
      "dnsConfig",
      "dnsPolicy",
      "enableServiceLinks",
      "hostAliases",
      "hostIPC",
      "hostNetwork",
      "hostPID",
      "hostname",
      "imagePullSecrets",
      "nodeName",
      "nodeSelector",
      "overhead",
      "preemptionPolicy",
      "priority",
      "priorityClassName",
      "readinessGates",
      "restartPolicy",
      "runtimeClassName",
      "schedulerName",
      "securityContext",
      "serviceAccount",
      "serviceAccountName",
      "shareProcessNamespace",
      "subdomain",
      "terminationGracePeriodSeconds",
      "volumes",
    ].map((f) => `spec.${f}`),
    ...CONTAINER_FIELDS.flatMap((f) => [`spec.containers[*].${f}`, `spec.initContainers[*].${f}`]),
  ],
  "rbac.authorization.k8s.io/v1:RoleBinding": ["roleRef"],
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["roleRef"],
  "storage.k8s.io/v1:StorageClass": ["parameters", "provisioner"],
});

/** `kubernetes:core/v1:Secret` → `core/v1:Secret`; undefined for non-kubernetes or provider types. */
function kubernetesKindKey(type: string): string | undefined {
  const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

function truthy(v: unknown): boolean {
  return v === true || v === "true";
}

const K8S_HELM = "pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go (Diff: forceNewFields .name, .namespace)";
const K8S_PROVIDER = "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go (DiffConfig)";
const TLS = (file: string) => `hashicorp/terraform-provider-tls internal/provider/${file} (RequiresReplace on every attribute except early_renewal_hours)`;

/** Rules that are not per alicloud type. */
export const OTHER_FORCE_NEW: Readonly<Record<string, ForceNewRule>> = Object.freeze({
  "kubernetes:helm.sh/v3:Release": {
    fields: ["name", "namespace"],
    source: K8S_HELM,
    note: "chart, version and values changes are an in-place helm upgrade",
  },
  "kubernetes:core/v1:Secret": {
    fields: ["metadata.name", "metadata.namespace", "type"],
    source: K8S_DIFF,
    note: "data and stringData replace too unless the provider sets enableSecretMutable (and the Secret is not immutable); secret values are redacted in plans, so their changes are not visible",
    dynamic: ({ inputs, providerInputs }) => (truthy(providerInputs?.["enableSecretMutable"]) && !truthy(inputs["immutable"]) ? [] : ["data", "stringData"]),
  },
  "kubernetes:core/v1:ConfigMap": {
    fields: ["metadata.name", "metadata.namespace"],
    source: K8S_DIFF,
    note: "data and binaryData replace unless the provider sets enableConfigMapMutable (and the ConfigMap is not immutable)",
    dynamic: ({ inputs, providerInputs }) => (truthy(providerInputs?.["enableConfigMapMutable"]) && !truthy(inputs["immutable"]) ? [] : ["data", "binaryData"]),
  },
  "pulumi:providers:kubernetes": {
    fields: ["kubeconfig", "clusterIdentifier", "renderYamlToDirectory", "cluster", "context"],
    source: K8S_PROVIDER,
    note: "a kubeconfig change replaces the provider (and everything it manages) when its active cluster changes or its value is unknown; a secret kubeconfig is redacted, so only a replaced cluster it comes from is visible",
  },
  "pulumi:providers:alicloud": {
    fields: ["region"],
    source: "assumption (pulumi/pulumi-terraform-bridge pkg/tfbridge DiffConfig replaces only ForcesProviderReplace fields; not verified for pulumi-alicloud)",
    note: "every resource under the provider lives in its region, so a region change is treated as a replacement of the provider and of everything it manages",
  },
  "tls:index/privateKey:PrivateKey": { fields: [], allInputs: true, source: TLS("resource_private_key.go") },
  "tls:index/certRequest:CertRequest": { fields: [], allInputs: true, source: TLS("resource_cert_request.go") },
  "tls:index/selfSignedCert:SelfSignedCert": { fields: [], allInputs: true, except: ["earlyRenewalHours"], source: TLS("resource_self_signed_cert.go") },
  "tls:index/locallySignedCert:LocallySignedCert": { fields: [], allInputs: true, except: ["earlyRenewalHours"], source: TLS("resource_locally_signed_cert.go") },
});

/**
 * The replacement rule of a type: the alicloud table, the special cases, then patterns:
 * any `kubernetes:` resource (`metadata.name`, `metadata.namespace` + {@link KUBERNETES_KIND_FORCE_NEW}),
 * any other `tls:` or `random:` resource (all inputs). `undefined` when nothing is known (the diff
 * then reports changes as updates) and for components.
 */
export function forceNewRule(type: string): ForceNewRule | undefined {
  const exact = ALICLOUD_FORCE_NEW[type] ?? OTHER_FORCE_NEW[type];
  if (exact) return exact;
  const kind = kubernetesKindKey(type);
  if (kind !== undefined) {
    return { fields: ["metadata.name", "metadata.namespace", ...(KUBERNETES_KIND_FORCE_NEW[kind] ?? [])], source: K8S_DIFF };
  }
  if (type.startsWith("tls:")) return { fields: [], allInputs: true, except: ["earlyRenewalHours"], source: "hashicorp/terraform-provider-tls (RequiresReplace on every attribute)" };
  if (type.startsWith("random:")) return { fields: [], allInputs: true, source: "hashicorp/terraform-provider-random internal/provider/resource_*.go (RequiresReplace on every attribute)" };
  return undefined;
}

/** A property path: object keys and array indices. */
export type PropertyPath = readonly (string | number)[];

/** A parsed ForceNew / ignoreChanges pattern: keys, and `"*"`-wildcards for `[*]`. */
type Pattern = readonly (string | { any: true } | number)[];

/** Parsed patterns by text (the same few patterns are parsed for every resource). */
const parsed = new Map<string, readonly (string | number | { any: true })[]>();

/**
 * Parses `a.b[0].c`, `a["x.y"]`, `spec.containers[*].image` into segments; `[*]` (and a bare `*`
 * segment) become wildcards.
 */
export function parsePath(path: string): (string | number | { any: true })[] {
  const cached = parsed.get(path);
  if (cached) return [...cached];
  const out: (string | number | { any: true })[] = [];
  const re = /\[(\d+)\]|\[\*\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, "$1"));
    else if (m[3] !== undefined) out.push(m[3] === "*" ? { any: true } : m[3]);
    else out.push({ any: true });
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(path, out);
  return [...out];
}

/** Renders a path: `a.b[0]["x.y"]`. */
export function formatPath(path: PropertyPath): string {
  let s = "";
  for (const seg of path) {
    if (typeof seg === "number") s += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) s += s === "" ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function segMatch(p: Pattern[number], s: string | number): boolean {
  if (typeof p === "object") return true;
  return p === s || String(p) === String(s);
}

/** True when `pattern` covers `path` or `path` covers `pattern` (one is a prefix of the other). */
export function pathsOverlap(pattern: string, path: PropertyPath): boolean {
  const p = parsePath(pattern);
  const n = Math.min(p.length, path.length);
  for (let i = 0; i < n; i++) if (!segMatch(p[i], path[i])) return false;
  return true;
}

/** True when `pattern` is a prefix of (or equal to) `path`: the change is under the pattern. */
export function pathUnder(pattern: string, path: PropertyPath): boolean {
  const p = parsePath(pattern);
  if (p.length > path.length) return false;
  for (let i = 0; i < p.length; i++) if (!segMatch(p[i], path[i])) return false;
  return true;
}

/**
 * The ForceNew patterns (or, for all-inputs rules, the changed top-level inputs) that the given
 * changed input paths hit, sorted and de-duplicated. Empty when the changes are updates.
 *
 * @example replacementFields("alicloud:cs/managedKubernetes:ManagedKubernetes", [["podCidr"], ["tags", "env"]]) // ["podCidr"]
 */
export function replacementFields(type: string, changed: readonly PropertyPath[], ctx: ForceNewContext = { inputs: {} }, rule = forceNewRule(type)): string[] {
  if (!rule) return [];
  const hits = new Set<string>();
  if (rule.allInputs) {
    for (const c of changed) {
      if (c.length === 0) continue;
      const top = String(c[0]);
      if (!(rule.except ?? []).includes(top)) hits.add(top);
    }
  }
  const fields = [...rule.fields, ...(rule.dynamic ? rule.dynamic(ctx) : [])];
  for (const f of fields) if (changed.some((c) => pathsOverlap(f, c))) hits.add(f);
  return [...hits].sort();
}
