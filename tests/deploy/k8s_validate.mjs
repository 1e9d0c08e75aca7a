// Validates rendered Kubernetes objects (multi-document YAML files) the way
// an API server with strict field validation would, plus the rules this
// project sets for its workloads:
//  1. schema: types, required fields and enums (kubernetes-models);
//  2. no unknown fields anywhere (field lists of @kubernetes/client-node,
//     generated from the same Kubernetes version's OpenAPI as kubectl's);
//  3. references resolve: selectors of Services, PodDisruptionBudgets and
//     autoscalers find pods, named ports exist, ConfigMaps, Secrets and
//     ServiceAccounts exist (or are declared external), and every
//     LOYALTY_<SERVICE>_ADDRESS names that service's Service and gRPC port;
//  4. every pod is "restricted": non-root, seccomp RuntimeDefault, no
//     privilege escalation, all capabilities dropped, read-only root
//     filesystem, no service account token, resources and all three probes.
//
// Usage: node k8s_validate.mjs [--external-secret NAME]... FILE...
// Needs LOYALTY_TOOLS_DIR (where tools/loyalty deps installed the packages).
// Exit status 0 when every object passes, 1 otherwise, 2 on bad usage.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const toolsDir = process.env.LOYALTY_TOOLS_DIR;
if (!toolsDir) {
  console.error("k8s_validate: set LOYALTY_TOOLS_DIR (run tools/loyalty deps)");
  process.exit(2);
}
const modules = path.join(toolsDir, "node_modules");
const load = (relative) => import(pathToFileURL(path.join(modules, relative)).href);
const yaml = await load("js-yaml/dist/js-yaml.mjs");

const externalSecrets = new Set();
const files = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--external-secret") externalSecrets.add(process.argv[++i]);
  else files.push(process.argv[i]);
}
if (files.length === 0) {
  console.error("usage: k8s_validate.mjs [--external-secret NAME]... FILE...");
  process.exit(2);
}

const objects = [];
for (const file of files) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (doc !== null && doc !== undefined) objects.push({ file, doc });
  }
}

const errors = [];
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const fail = (o, message) => errors.push(`${id(o)}: ${message}`);

// ---------------------------------------------------------------- schema

// apiVersion -> folder of kubernetes-models ("v1" for the core group).
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}.js`;
  }
  return `kubernetes-models/${apiVersion}/${kind}.js`;
}

// client-node model name: V1Deployment, V2HorizontalPodAutoscaler, ...
function fieldModelName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const fieldModels = new Map();
async function fieldModel(name) {
  if (!fieldModels.has(name)) {
    const file = path.join(modules, "@kubernetes/client-node/dist/gen/models", `${name}.js`);
    fieldModels.set(name, fs.existsSync(file)
      ? (await import(pathToFileURL(file).href))[name].attributeTypeMap
      : null);
  }
  return fieldModels.get(name);
}

// Walks `value` against the field list of type `type`, reporting any key
// the type does not have.
async function checkFields(o, value, type, where) {
  if (value === null || value === undefined) return;
  let match = /^Array<(.+)>$/.exec(type);
  if (match) {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) await checkFields(o, value[i], match[1], `${where}[${i}]`);
    }
    return;
  }
  match = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (match) {
    if (typeof value === "object") {
      for (const [key, item] of Object.entries(value)) await checkFields(o, item, match[1], `${where}.${key}`);
    }
    return;
  }
  const fields = await fieldModel(type);
  if (!fields || typeof value !== "object" || Array.isArray(value)) return;
  const byName = new Map(fields.map((f) => [f.baseName, f.type]));
  for (const [key, item] of Object.entries(value)) {
    if (!byName.has(key)) fail(o, `unknown field ${where ? where + "." : ""}${key}`);
    else await checkFields(o, item, byName.get(key), where ? `${where}.${key}` : key);
  }
}

for (const { file, doc: o } of objects) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
    errors.push(`${file}: an object without apiVersion or kind`);
    continue;
  }
  let Model;
  try {
    Model = (await load(modelModule(o.apiVersion, o.kind)))[o.kind];
  } catch {
    fail(o, `unknown kind ${o.apiVersion} ${o.kind}`);
    continue;
  }
  // kustomize wraps long base64 values; the API server's decoder skips the
  // line breaks, the schema's "byte" format does not.
  const checked = o.kind === "Secret" && o.data
    ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, String(v).replace(/\s+/g, "")])) }
    : o;
  try {
    new Model(checked).validate();
  } catch (e) {
    fail(o, `schema: ${e.message}`);
  }
  const name = fieldModelName(o.apiVersion, o.kind);
  if (await fieldModel(name)) await checkFields(o, o, name, "");
  else if (!o.apiVersion.startsWith("monitoring.coreos.com/")) fail(o, `no field list for ${name}`);
}

// ---------------------------------------------------------------- references

const all = objects.map(({ doc }) => doc);
const named = (kind, name) => all.find((o) => o.kind === kind && o.metadata?.name === name);
const workloads = all.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => (labels ?? {})[k] === v);
const podsOf = (selector) =>
  workloads.filter((w) => matches(selector, w.spec?.template?.metadata?.labels));
const containerPorts = (w) =>
  (w.spec?.template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);

for (const o of all) {
  if (o.kind === "Service") {
    const pods = podsOf(o.spec?.selector);
    if (!o.spec?.selector || pods.length === 0) fail(o, "selects no pods");
    for (const port of o.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const w of pods) {
        const ok = containerPorts(w).some((p) =>
          typeof target === "string" ? p.name === target : p.containerPort === target);
        if (!ok) fail(o, `port ${port.name ?? port.port}: ${id(w)} has no container port ${target}`);
      }
    }
  }
  if (o.kind === "PodDisruptionBudget" && podsOf(o.spec?.selector?.matchLabels).length === 0) {
    fail(o, "selects no pods");
  }
  if (o.kind === "HorizontalPodAutoscaler") {
    const ref = o.spec?.scaleTargetRef ?? {};
    if (!named(ref.kind, ref.name)) fail(o, `scales missing ${ref.kind}/${ref.name}`);
    if ((o.spec?.minReplicas ?? 1) > o.spec?.maxReplicas) fail(o, "minReplicas > maxReplicas");
  }
  if (o.kind === "NetworkPolicy" && podsOf(o.spec?.podSelector?.matchLabels).length === 0) {
    fail(o, "selects no pods");
  }
  if (o.kind === "Ingress") {
    for (const rule of o.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend?.service ?? {};
        const service = named("Service", backend.name);
        if (!service) fail(o, `backend Service ${backend.name} is missing`);
        else if (!(service.spec?.ports ?? []).some((sp) =>
          sp.name === backend.port?.name || sp.port === backend.port?.number)) {
          fail(o, `Service ${backend.name} has no port ${JSON.stringify(backend.port)}`);
        }
      }
    }
  }
}

const requireSecret = (o, name) => {
  if (!named("Secret", name) && !externalSecrets.has(name)) fail(o, `Secret ${name} is missing`);
};
const requireConfigMap = (o, name) => {
  if (!named("ConfigMap", name)) fail(o, `ConfigMap ${name} is missing`);
};
// The gRPC port a platform service listens on, by its component label.
const serviceByComponent = new Map();
for (const o of all) {
  const component = o.metadata?.labels?.["app.kubernetes.io/component"];
  if (o.kind === "Service" && component) serviceByComponent.set(component, o);
}

// ---------------------------------------------------------------- pods

for (const w of workloads) {
  const pod = w.spec?.template?.spec ?? {};
  const podSecurity = pod.securityContext ?? {};
  const account = pod.serviceAccountName;
  if (account && !named("ServiceAccount", account)) fail(w, `ServiceAccount ${account} is missing`);
  if (pod.automountServiceAccountToken !== false) fail(w, "mounts a service account token");
  for (const v of pod.volumes ?? []) {
    if (v.secret) requireSecret(w, v.secret.secretName);
    if (v.configMap) requireConfigMap(w, v.configMap.name);
  }
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const where = `container ${c.name}`;
    const security = c.securityContext ?? {};
    if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) fail(w, `${where} may run as root`);
    if ((security.seccompProfile ?? podSecurity.seccompProfile)?.type !== "RuntimeDefault") {
      fail(w, `${where} lacks seccomp RuntimeDefault`);
    }
    if (security.allowPrivilegeEscalation !== false) fail(w, `${where} allows privilege escalation`);
    if (security.privileged) fail(w, `${where} is privileged`);
    if (security.readOnlyRootFilesystem !== true) fail(w, `${where} has a writable root filesystem`);
    if (!(security.capabilities?.drop ?? []).includes("ALL")) fail(w, `${where} keeps capabilities`);
    if ((security.capabilities?.add ?? []).length > 0) fail(w, `${where} adds capabilities`);
    if (!/:[^/]+$/.test(c.image ?? "") || /:latest$/.test(c.image)) {
      fail(w, `${where} image ${c.image} has no fixed tag`);
    }
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) {
      fail(w, `${where} needs cpu and memory requests and a memory limit`);
    }
    if (!(pod.initContainers ?? []).includes(c)) {
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        if (!c[probe]) fail(w, `${where} has no ${probe}`);
      }
    }
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) requireConfigMap(w, from.configMapRef.name);
      if (from.secretRef) requireSecret(w, from.secretRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) requireSecret(w, e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef) requireConfigMap(w, e.valueFrom.configMapKeyRef.name);
    }
  }
}

// Every LOYALTY_<SERVICE>_ADDRESS in ConfigMaps and env must name that
// service's Service and its gRPC port.
const addressSources = [
  ...all.filter((o) => o.kind === "ConfigMap").map((o) => [o, Object.entries(o.data ?? {})]),
  ...workloads.map((w) => [w, (w.spec?.template?.spec?.containers ?? [])
    .flatMap((c) => c.env ?? []).filter((e) => typeof e.value === "string")
    .map((e) => [e.name, e.value])]),
];
for (const [o, entries] of addressSources) {
  for (const [key, value] of entries) {
    const m = /^LOYALTY_([A-Z]+)_ADDRESS$/.exec(key);
    const service = m && serviceByComponent.get(m[1].toLowerCase());
    if (!service) continue;
    const grpc = (service.spec?.ports ?? []).find((p) => p.name === "grpc");
    const want = `${service.metadata.name}:${grpc?.port}`;
    if (value !== want) fail(o, `${key} is ${value}, the service listens at ${want}`);
  }
}

if (errors.length > 0) {
  for (const e of errors) console.error(`FAIL ${e}`);
  console.error(`${errors.length} problem(s) in ${objects.length} objects of ${files.join(", ")}`);
  process.exit(1);
}
const kinds = {};
for (const o of all) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
console.log(`${objects.length} objects valid (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")})`);
