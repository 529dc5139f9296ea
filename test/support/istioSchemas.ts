/**
 * Strict validation of Istio objects for tests.
 *
 * `@kubernetes-models/istio` ships typed models whose `validate()` runs an
 * ajv validator compiled from Istio's CRD schemas (types, enums, required
 * fields, `oneOf`). Those schemas do not set `additionalProperties: false`,
 * so `validate()` ACCEPTS misspelt fields (`tls.mod` instead of `tls.mode`):
 * exactly what a Kubernetes API server with strict field validation rejects.
 * The package ships only the compiled validators, not the JSON schemas, so
 * the unknown-field check here walks the object against the model's
 * TypeScript interface (`IGateway`, … generated from the same CRD schema),
 * read with the TypeScript compiler API. No extra dependency is needed:
 * `typescript` and `@kubernetes-models/istio` are already devDependencies.
 *
 * The models are ES modules whose `exports` only offer the `import`
 * condition, so they are loaded with a real dynamic `import()` (TypeScript
 * would compile `import()` to `require` under `module: commonjs`).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const PACKAGE = "@kubernetes-models/istio";

/** A real dynamic `import()`, not compiled to `require`. */
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

/** What {@link validateIstio} accepts: any object with `apiVersion` and `kind`. */
export interface IstioObjectLike {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: unknown;
}

/** A model's `I<Kind>` interface and the checker that resolves it. */
interface ModelType {
    checker: ts.TypeChecker;
    type: ts.Type;
}

const RESOLUTION: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    // The model declarations need nothing beyond ES5 (Array, Record); a small lib keeps loading fast.
    lib: ["lib.es5.d.ts"],
};

/** Directory of the installed `@kubernetes-models/istio` (resolved like `import` would). */
function packageDir(): string {
    const resolved = ts.resolveModuleName(PACKAGE, __filename, RESOLUTION, ts.sys).resolvedModule;
    if (!resolved) throw new Error(`cannot resolve ${PACKAGE}; is it installed (devDependency)?`);
    return path.dirname(resolved.resolvedFileName);
}

let kinds: Map<string, string> | undefined;

/** `<apiVersion>/<Kind>` → module path of the model, for every model of the package. */
function modelModules(): Map<string, string> {
    if (kinds) return kinds;
    const dir = packageDir();
    const isDir = (p: string) => fs.statSync(p).isDirectory();
    kinds = new Map();
    for (const group of fs.readdirSync(dir).filter((g) => g.includes(".") && isDir(path.join(dir, g))).sort()) {
        for (const version of fs.readdirSync(path.join(dir, group)).filter((v) => isDir(path.join(dir, group, v))).sort()) {
            for (const file of fs.readdirSync(path.join(dir, group, version)).sort()) {
                const m = /^([A-Z][A-Za-z0-9]*)\.d\.ts$/.exec(file);
                if (m) kinds.set(`${group}/${version}/${m[1]}`, `${PACKAGE}/${group}/${version}/${m[1]}`);
            }
        }
    }
    return kinds;
}

/** Parsed declaration files, shared by the per-kind programs (lib and apimachinery are parsed once). */
const sourceFiles = new Map<string, ts.SourceFile>();
const modelTypes = new Map<string, ModelType>();

/** The model interface of one kind, through a small TypeScript program (cached). */
function modelType(key: string): ModelType | undefined {
    const cachedType = modelTypes.get(key);
    if (cachedType) return cachedType;
    const specifier = modelModules().get(key);
    if (!specifier) return undefined;
    const kind = key.split("/").pop() as string;
    const virtual = path.join(__dirname, `__istio_model_${key.replace(/[^A-Za-z0-9]/g, "_")}__.ts`);
    const source = `import type { I${kind} as M } from "${specifier}";\nexport type T = M;\n`;
    const host = ts.createCompilerHost(RESOLUTION, true);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.getSourceFile = (file, language, ...rest) => {
        if (file === virtual) return ts.createSourceFile(file, source, language, true);
        let sf = sourceFiles.get(file);
        if (!sf) {
            sf = getSourceFile(file, language, ...rest);
            if (sf) sourceFiles.set(file, sf);
        }
        return sf;
    };
    host.fileExists = (file) => file === virtual || fileExists(file);
    const program = ts.createProgram([virtual], RESOLUTION, host);
    const sourceFile = program.getSourceFile(virtual);
    const problems = sourceFile ? ts.getPreEmitDiagnostics(program, sourceFile) : [];
    if (!sourceFile || problems.length > 0) {
        throw new Error(`cannot load the ${PACKAGE} model type of ${key}: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")}`);
    }
    const checker = program.getTypeChecker();
    const alias = sourceFile.statements.find(ts.isTypeAliasDeclaration) as ts.TypeAliasDeclaration;
    const entry = { checker, type: checker.getTypeAtLocation(alias.name) };
    modelTypes.set(key, entry);
    return entry;
}

/** `apiVersion`/`kind` pairs that have a model, e.g. `networking.istio.io/v1/Gateway`. */
export function istioModelKinds(): string[] {
    return [...modelModules().keys()];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function child(at: string, key: string | number): string {
    if (typeof key === "number") return `${at}[${key}]`;
    const seg = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
    if (seg !== key) return `${at}[${seg}]`;
    return at === "" ? key : `${at}.${key}`;
}

/** Union members without `undefined`/`null`. */
function members(types: readonly ts.Type[]): ts.Type[] {
    const out: ts.Type[] = [];
    for (const t of types) {
        if (t.isUnion()) out.push(...members(t.types));
        else if (!(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void))) out.push(t);
    }
    return out;
}

/**
 * Paths of `value` that the model type does not declare. A key is known when
 * any member of a union declares it (the model's own `validate()` checks the
 * `oneOf` rules); maps (string index signatures) accept any key.
 */
function unknownFieldsOf(checker: ts.TypeChecker, value: unknown, types: readonly ts.Type[], at: string, out: string[]): void {
    const cands = members(types);
    if (cands.length === 0 || cands.some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) return;
    if (Array.isArray(value)) {
        const elements = cands.filter((t) => checker.isArrayType(t)).map((t) => checker.getTypeArguments(t as ts.TypeReference)[0]);
        if (elements.length > 0) value.forEach((v, i) => unknownFieldsOf(checker, v, elements, child(at, i), out));
        return;
    }
    if (!isPlainObject(value)) return;
    const objects = cands.filter((t) => t.flags & ts.TypeFlags.Object && !checker.isArrayType(t));
    if (objects.length === 0) return;
    for (const key of Object.keys(value)) {
        const fieldTypes: ts.Type[] = [];
        for (const t of objects) {
            const prop = t.getProperty(key);
            if (prop) fieldTypes.push(checker.getTypeOfSymbol(prop));
            else {
                const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
                if (index) fieldTypes.push(index.type);
            }
        }
        if (fieldTypes.length === 0) out.push(child(at, key));
        else unknownFieldsOf(checker, value[key], fieldTypes, child(at, key), out);
    }
}

/**
 * Fields of `obj` that its `@kubernetes-models/istio` model does not declare
 * (dotted paths such as `spec.servers[0].tls.mod`), sorted.
 * @throws Error when there is no model for the object's apiVersion and kind
 */
export function unknownIstioFields(obj: IstioObjectLike): string[] {
    const model = modelType(`${String(obj.apiVersion)}/${String(obj.kind)}`);
    if (!model) throw new Error(`no ${PACKAGE} model for apiVersion ${JSON.stringify(obj.apiVersion)} kind ${JSON.stringify(obj.kind)}`);
    const out: string[] = [];
    unknownFieldsOf(model.checker, obj, [model.type], "", out);
    return out.sort();
}

function describe(obj: IstioObjectLike): string {
    const md = isPlainObject(obj.metadata) ? obj.metadata : {};
    const ns = typeof md.namespace === "string" ? `${md.namespace}/` : "";
    return `${String(obj.apiVersion)} ${String(obj.kind)} ${ns}${typeof md.name === "string" ? md.name : "(unnamed)"}`;
}

/**
 * Validates an Istio object strictly: the model's `validate()` (types,
 * enums, required fields, `oneOf`, ranges from the CRD schema) AND no
 * field the schema does not declare (what `kubectl --validate=strict`
 * rejects). Resolves when valid.
 * @throws Error naming the object and every problem
 */
export async function validateIstio(obj: IstioObjectLike): Promise<void> {
    if (!isPlainObject(obj) || typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
        throw new Error(`not a Kubernetes object (needs string apiVersion and kind): ${JSON.stringify(obj)}`);
    }
    const unknown = unknownIstioFields(obj);
    const mod = await importEsm(modelModules().get(`${obj.apiVersion}/${obj.kind}`) as string);
    const Model = mod[obj.kind] as new (data: unknown) => { validate(): void };
    const problems: string[] = [];
    try {
        new Model(obj).validate();
    } catch (e) {
        problems.push(`schema: ${(e as Error).message}`);
    }
    if (unknown.length > 0) problems.push(`unknown field(s): ${unknown.join(", ")}`);
    if (problems.length > 0) throw new Error(`invalid ${describe(obj)}: ${problems.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------------
// Optional cross-check against the Istio 1.30.3 reference CRD schemas (outside the repository).

/** Where the reference data of Istio 1.30.3 lives when the workspace has it. */
export const ISTIO_REFERENCE_DIR = "/work/shared/reference/data/istio-1.30.3";

type JsonSchema = { properties?: Record<string, JsonSchema>; additionalProperties?: boolean | JsonSchema; items?: JsonSchema; oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; allOf?: JsonSchema[]; "x-kubernetes-preserve-unknown-fields"?: boolean };

/** The strict 1.30.3 CRD schema of a kind, or undefined when the reference data is absent or has no such kind. */
export function referenceCrdSchema(apiVersion: string, kind: string): JsonSchema | undefined {
    const file = path.join(ISTIO_REFERENCE_DIR, "crd-schemas", "strict", `${apiVersion.replace("/", "_")}_${kind}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as JsonSchema) : undefined;
}

/**
 * Fields of `value` that a strict (additionalProperties:false) JSON schema
 * rejects. Only the structure is checked (properties, maps, items, the
 * properties of oneOf/anyOf/allOf branches); types and enums are left to
 * {@link validateIstio}.
 */
export function unknownFieldsAgainstSchema(value: unknown, schema: JsonSchema, at = ""): string[] {
    const out: string[] = [];
    const walk = (v: unknown, s: JsonSchema, p: string): void => {
        if (s["x-kubernetes-preserve-unknown-fields"]) return;
        const branches = [s, ...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])];
        if (Array.isArray(v)) {
            if (s.items) v.forEach((x, i) => walk(x, s.items as JsonSchema, child(p, i)));
            return;
        }
        if (!isPlainObject(v)) return;
        const props = Object.assign({}, ...branches.map((b) => b.properties ?? {})) as Record<string, JsonSchema>;
        for (const [k, x] of Object.entries(v)) {
            if (props[k]) walk(x, props[k], child(p, k));
            else if (isPlainObject(s.additionalProperties)) walk(x, s.additionalProperties, child(p, k));
            else if (s.additionalProperties === false || s.properties) out.push(child(p, k));
        }
    };
    walk(value, schema, at);
    return out.sort();
}
