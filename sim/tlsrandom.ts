/**
 * Simulated `@pulumi/tls` and `@pulumi/random` resources. Keys and certificates are PEM-shaped and
 * deterministic per URN (and per `keepers` for random resources), but they are NOT real key material:
 * nothing here can be parsed by an X.509/PKCS library.
 *
 * @module
 */
import { HandlerContext, ResourceCall, ResourceHandler, defineResources, withRead } from "./cloud";
import { IdGen, b64url, epochPlusHours, fakePem, SIM_EPOCH } from "./ids";
import { Rec, Secret, arr, asSecret, bool, num, plain, str } from "./values";

/** Type tokens handled here. */
export const TLS_RANDOM = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  randomPassword: "random:index/randomPassword:RandomPassword",
  randomString: "random:index/randomString:RandomString",
  randomId: "random:index/randomId:RandomId",
  randomUuid: "random:index/randomUuid:RandomUuid",
  randomInteger: "random:index/randomInteger:RandomInteger",
  randomBytes: "random:index/randomBytes:RandomBytes",
  randomPet: "random:index/randomPet:RandomPet",
  randomShuffle: "random:index/randomShuffle:RandomShuffle",
} as const;

function required(ctx: HandlerContext, call: ResourceCall, ...fields: string[]): void {
  for (const f of fields) if (call.inputs[f] === undefined) ctx.fail(`${f} is required`);
}

// ---------------------------------------------------------------------------------------------------
// TLS

interface KeyShape {
  pkcs1Label: string;
  pkcs1Len: number;
  pkcs8Len: number;
  publicLen: number;
  sshType: string;
  sshLen: number;
}

function keyShape(algorithm: string, rsaBits: number, curve: string): KeyShape {
  if (algorithm === "RSA") {
    const k = rsaBits / 8;
    return {
      pkcs1Label: "RSA PRIVATE KEY",
      pkcs1Len: Math.round(k * 4.64),
      pkcs8Len: Math.round(k * 4.64) + 26,
      publicLen: k + 38,
      sshType: "ssh-rsa",
      sshLen: k + 23,
    };
  }
  if (algorithm === "ECDSA") {
    const size: Record<string, number> = { P224: 28, P256: 32, P384: 48, P521: 66 };
    const b = size[curve] ?? 32;
    const nist = curve.replace("P", "nistp");
    return { pkcs1Label: "EC PRIVATE KEY", pkcs1Len: 3 * b + 25, pkcs8Len: 3 * b + 42, publicLen: 2 * b + 27, sshType: `ecdsa-sha2-${nist}`, sshLen: 2 * b + 40 };
  }
  return { pkcs1Label: "PRIVATE KEY", pkcs1Len: 48, pkcs8Len: 48, publicLen: 44, sshType: "ssh-ed25519", sshLen: 51 };
}

const privateKey: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "algorithm");
  const algorithm = str(call.inputs["algorithm"]) ?? "RSA";
  if (!["RSA", "ECDSA", "ED25519"].includes(algorithm)) ctx.fail(`algorithm '${algorithm}' must be RSA, ECDSA or ED25519`);
  const rsaBits = num(call.inputs["rsaBits"]) ?? 2048;
  const ecdsaCurve = str(call.inputs["ecdsaCurve"]) ?? "P224";
  const s = keyShape(algorithm, rsaBits, ecdsaCurve);
  const seed = call.urn;
  const sshBlob = ctx.gen.bytes(s.sshLen, "ssh-pub");
  const fpSha = ctx.gen.bytes(32, "fp-sha256");
  const fpMd5 = ctx.gen.bytes(16, "fp-md5");
  return {
    id: ctx.gen.hex(40, "id"),
    outputs: {
      ...call.inputs,
      algorithm,
      rsaBits,
      ecdsaCurve,
      privateKeyPem: new Secret(fakePem(s.pkcs1Label, s.pkcs1Len, seed, "key")),
      privateKeyPemPkcs8: new Secret(fakePem("PRIVATE KEY", s.pkcs8Len, seed, "key-pkcs8")),
      privateKeyOpenssh: new Secret(fakePem("OPENSSH PRIVATE KEY", s.pkcs8Len + 200, seed, "key-openssh")),
      publicKeyPem: fakePem("PUBLIC KEY", s.publicLen, seed, "pub"),
      publicKeyOpenssh: `${s.sshType} ${sshBlob.toString("base64")}\n`,
      publicKeyFingerprintSha256: `SHA256:${fpSha.toString("base64").replace(/=+$/, "")}`,
      publicKeyFingerprintMd5: [...fpMd5].map((b) => b.toString(16).padStart(2, "0")).join(":"),
    },
  };
};

/** Key algorithm of a PEM private key: from the PrivateKey that produced it, else from its header. */
function keyAlgorithmOf(ctx: HandlerContext, pemValue: unknown): string | undefined {
  const p = str(pemValue);
  if (p === undefined) return undefined;
  for (const k of ctx.cloud.ofType(TLS_RANDOM.privateKey)) {
    if (str(k.outputs["privateKeyPem"]) === p || str(k.outputs["privateKeyPemPkcs8"]) === p) return str(k.outputs["algorithm"]);
  }
  if (p.includes("BEGIN RSA PRIVATE KEY")) return "RSA";
  if (p.includes("BEGIN EC PRIVATE KEY")) return "ECDSA";
  return undefined;
}

function serialNumber(gen: IdGen): string {
  return BigInt(`0x${gen.hex(32, "serial")}`).toString(10);
}

function certOutputs(call: ResourceCall, ctx: HandlerContext): Rec {
  const hours = num(call.inputs["validityPeriodHours"]) ?? 0;
  if (hours <= 0) ctx.fail(`validityPeriodHours must be positive (got ${plain(call.inputs["validityPeriodHours"])})`);
  const isCa = bool(call.inputs["isCaCertificate"]) ?? false;
  return {
    ...call.inputs,
    certPem: fakePem("CERTIFICATE", isCa ? 1300 : 1150, call.urn, "cert"),
    validityStartTime: SIM_EPOCH,
    validityEndTime: epochPlusHours(hours),
    readyForRenewal: false,
    isCaCertificate: isCa,
    earlyRenewalHours: call.inputs["earlyRenewalHours"] ?? 0,
  };
}

const selfSignedCert: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "privateKeyPem", "validityPeriodHours", "allowedUses");
  return {
    id: serialNumber(ctx.gen),
    outputs: { ...certOutputs(call, ctx), keyAlgorithm: keyAlgorithmOf(ctx, call.inputs["privateKeyPem"]) ?? "RSA" },
  };
};

const locallySignedCert: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "certRequestPem", "caCertPem", "caPrivateKeyPem", "validityPeriodHours", "allowedUses");
  return {
    id: serialNumber(ctx.gen),
    outputs: { ...certOutputs(call, ctx), caKeyAlgorithm: keyAlgorithmOf(ctx, call.inputs["caPrivateKeyPem"]) ?? "RSA" },
  };
};

const certRequest: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "privateKeyPem");
  return {
    id: ctx.gen.hex(40, "id"),
    outputs: {
      ...call.inputs,
      certRequestPem: fakePem("CERTIFICATE REQUEST", 700, call.urn, "csr"),
      keyAlgorithm: keyAlgorithmOf(ctx, call.inputs["privateKeyPem"]) ?? "RSA",
    },
  };
};

// ---------------------------------------------------------------------------------------------------
// Random

/** Generator seeded with the URN and the `keepers` (changing keepers changes the value, like a replace). */
function randomGen(call: ResourceCall): IdGen {
  return new IdGen([call.type, call.urn, JSON.stringify(plain(call.inputs["keepers"]) ?? null)]);
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

function randomText(call: ResourceCall, ctx: HandlerContext, gen: IdGen): string {
  required(ctx, call, "length");
  const i = call.inputs;
  const length = num(i["length"]) ?? 0;
  if (!Number.isInteger(length) || length < 1) ctx.fail(`length must be a positive integer (got ${plain(i["length"])})`);
  const classes: Array<[string, number]> = [];
  if (bool(i["upper"]) ?? true) classes.push([UPPER, num(i["minUpper"]) ?? 0]);
  if (bool(i["lower"]) ?? true) classes.push([LOWER, num(i["minLower"]) ?? 0]);
  if (bool(i["numeric"]) ?? bool(i["number"]) ?? true) classes.push([DIGITS, num(i["minNumeric"]) ?? 0]);
  if (bool(i["special"]) ?? true) classes.push([str(i["overrideSpecial"]) ?? DEFAULT_SPECIAL, num(i["minSpecial"]) ?? 0]);
  const all = classes.map(([c]) => c).join("");
  if (all.length === 0) ctx.fail("at least one character class must be enabled");
  const chars: string[] = [];
  let n = 0;
  for (const [set, min] of classes) for (let k = 0; k < min; k++) chars.push(set[gen.int(set.length, `min-${n++}`)]);
  if (chars.length > length) ctx.fail(`the min* constraints need ${chars.length} characters but length is ${length}`);
  while (chars.length < length) chars.push(all[gen.int(all.length, `c-${n++}`)]);
  for (let k = chars.length - 1; k > 0; k--) {
    const j = gen.int(k + 1, `shuffle-${k}`);
    [chars[k], chars[j]] = [chars[j], chars[k]];
  }
  return chars.join("");
}

const BCRYPT = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const randomPassword: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const gen = randomGen(call);
  const result = randomText(call, ctx, gen);
  let hash = "$2a$10$";
  for (let k = 0; k < 53; k++) hash += BCRYPT[gen.int(BCRYPT.length, `bcrypt-${k}`)];
  return { id: "none", outputs: { ...call.inputs, result: new Secret(result), bcryptHash: new Secret(hash) } };
};

const randomString: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const result = randomText(call, ctx, randomGen(call));
  return { id: result, outputs: { ...call.inputs, result } };
};

const randomId: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "byteLength");
  const n = num(call.inputs["byteLength"]) ?? 0;
  if (!Number.isInteger(n) || n < 1) ctx.fail(`byteLength must be a positive integer (got ${plain(call.inputs["byteLength"])})`);
  const b = randomGen(call).bytes(n, "id");
  const prefix = str(call.inputs["prefix"]) ?? "";
  return {
    id: b64url(b),
    outputs: {
      ...call.inputs,
      hex: prefix + b.toString("hex"),
      b64Url: prefix + b64url(b),
      b64Std: prefix + b.toString("base64"),
      dec: prefix + BigInt(`0x${b.toString("hex")}`).toString(10),
    },
  };
};

const randomUuid: ResourceHandler = (call) => {
  const result = randomGen(call).uuid("uuid");
  return { id: result, outputs: { ...call.inputs, result } };
};

const randomInteger: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "min", "max");
  const min = num(call.inputs["min"]) ?? 0;
  const max = num(call.inputs["max"]) ?? 0;
  if (max < min) ctx.fail(`max (${max}) must be >= min (${min})`);
  const result = min + randomGen(call).int(max - min + 1, "int");
  return { id: String(result), outputs: { ...call.inputs, result } };
};

const randomBytes: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "length");
  const b = randomGen(call).bytes(num(call.inputs["length"]) ?? 0, "bytes");
  return { id: "none", outputs: { ...call.inputs, base64: asSecret(b.toString("base64")), hex: asSecret(b.toString("hex")) } };
};

const PET_WORDS = ["able", "brave", "calm", "eager", "fair", "gentle", "happy", "keen", "lively", "merry", "proud", "quick"];
const PET_NAMES = ["otter", "falcon", "badger", "lynx", "heron", "panda", "koala", "marten", "ibis", "gecko", "yak", "moose"];

const randomPet: ResourceHandler = (call) => {
  const gen = randomGen(call);
  const length = num(call.inputs["length"]) ?? 2;
  const sep = str(call.inputs["separator"]) ?? "-";
  const words: string[] = [];
  for (let k = 0; k < length - 1; k++) words.push(PET_WORDS[gen.int(PET_WORDS.length, `w-${k}`)]);
  words.push(PET_NAMES[gen.int(PET_NAMES.length, "name")]);
  const prefix = str(call.inputs["prefix"]);
  const result = (prefix ? [prefix, ...words] : words).join(sep);
  return { id: result, outputs: { ...call.inputs, length, separator: sep, result } };
};

const randomShuffle: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  required(ctx, call, "inputs");
  const gen = randomGen(call);
  const items = [...((arr(call.inputs["inputs"]) ?? []) as unknown[])];
  for (let k = items.length - 1; k > 0; k--) {
    const j = gen.int(k + 1, `shuffle-${k}`);
    [items[k], items[j]] = [items[j], items[k]];
  }
  const count = num(call.inputs["resultCount"]) ?? items.length;
  return { id: "-", outputs: { ...call.inputs, results: items.slice(0, count) } };
};

defineResources(
  Object.fromEntries(
    Object.entries({
      [TLS_RANDOM.privateKey]: privateKey,
      [TLS_RANDOM.selfSignedCert]: selfSignedCert,
      [TLS_RANDOM.locallySignedCert]: locallySignedCert,
      [TLS_RANDOM.certRequest]: certRequest,
      [TLS_RANDOM.randomPassword]: randomPassword,
      [TLS_RANDOM.randomString]: randomString,
      [TLS_RANDOM.randomId]: randomId,
      [TLS_RANDOM.randomUuid]: randomUuid,
      [TLS_RANDOM.randomInteger]: randomInteger,
      [TLS_RANDOM.randomBytes]: randomBytes,
      [TLS_RANDOM.randomPet]: randomPet,
      [TLS_RANDOM.randomShuffle]: randomShuffle,
    }).map(([type, handler]) => [type, withRead(handler)]),
  ),
);
