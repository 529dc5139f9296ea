/**
 * Image registry paths (`<registry>/<namespace>`), as the stack config and
 * the mesh components accept them. Pure.
 */

/** Example hub used in messages and docs: an Alibaba Container Registry namespace. */
export const EXAMPLE_REGISTRY_PATH = "registry.cn-hangzhou.aliyuncs.com/my-ns";

/** A registry host (optionally with a port), then one or more lowercase path components (the Docker reference grammar). */
const REGISTRY_PATH_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;

/**
 * What is wrong with an image registry path, or undefined when it is one:
 * `<registry>[:port]/<namespace>[/…]`, e.g.
 * `registry.cn-hangzhou.aliyuncs.com/my-ns`, without a URL scheme, a tag, a
 * digest or a trailing `/` (images are named `<path>/<image>:<tag>`). Used for
 * `ack-mesh:images.istioHub` and `bookinfoRegistry`, and by IstioMesh for its
 * `hub`. Pure.
 */
export function registryPathProblem(hub: unknown): { message: string; fix: string } | undefined {
    if (typeof hub !== "string") return { message: "is not a string", fix: `set a registry path such as ${EXAMPLE_REGISTRY_PATH}` };
    if (hub === "") return { message: "is empty", fix: `remove it to use the default, or set a registry path such as ${EXAMPLE_REGISTRY_PATH}` };
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(hub);
    if (scheme) return { message: "has a URL scheme; a registry path is an image name prefix", fix: `remove "${scheme[0]}": ${hub.slice(scheme[0].length)}` };
    const firstSlash = hub.indexOf("/");
    const suffix = firstSlash < 0 ? -1 : hub.slice(firstSlash).search(/[:@]/);
    if (suffix >= 0) return { message: "has a tag or digest; the image name and tag are appended to the path", fix: `remove the tag: ${hub.slice(0, firstSlash + suffix)}` };
    if (hub.endsWith("/")) return { message: "ends with '/'", fix: `remove it: ${hub.replace(/\/+$/, "")}` };
    if (firstSlash < 0) return { message: "is not a registry path <registry>/<namespace>", fix: `add the namespace, e.g. ${hub}/my-ns` };
    if (!REGISTRY_PATH_PATTERN.test(hub)) return { message: "is not a registry path <registry>/<namespace>", fix: `use lowercase letters, digits and . _ - in the path, e.g. ${EXAMPLE_REGISTRY_PATH}` };
    return undefined;
}
