// Validates every object in the given YAML files (the chart's renders, the
// CRDs) against the Kubernetes API JSON schemas shipped by the npm package
// kubernetes-models (ajv-compiled, generated from Kubernetes' OpenAPI), in
// two releases: kubernetes-models 4.5.1 (the oldest with
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy; its API has
// container stopSignal, new in Kubernetes 1.33, so it stands for 1.33, the
// nearest to our minimum 1.32 that npm has) and 5.1.0 (the newest; has
// pod hostnameOverride, new in 1.34). npm has no per-Kubernetes-release
// schema package; see docs/install.md.
//
// What the schemas check: types, required fields, enums, formats. What they
// do not: unknown fields (Kubernetes' OpenAPI does not forbid them), so a
// misspelt optional field passes here; kube-testapi's install test and
// `kubectl apply --validate=strict` catch those on a cluster.
//
//   npm ci --prefix charts/schema-check && node charts/schema-check/check.mjs FILE...
//
// Objects of API groups the models do not have (monitoring.coreos.com) are
// listed as not checked. Prints "N passed, M failed"; exit 1 on a failure,
// 77 (skip) without the npm packages.
import fs from "node:fs";

let YAML;
try {
  YAML = (await import("yaml")).default;
  await import("kubernetes-models/apps/v1");
  await import("kubernetes-models-older/apps/v1");
} catch (e) {
  console.log(`schema-check: skipped, npm packages missing (npm ci --prefix charts/schema-check): ${e.message}`);
  process.exit(77);
}

const releases = { "kubernetes-models-older": "4.5.1 (~1.33)", "kubernetes-models": "5.1.0 (newest)" };

async function modelClass(pkg, apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  try {
    const mod = await import(`${pkg}/${group === "" ? "" : group + "/"}${version}`);
    return mod[kind] ?? null;
  } catch {
    return undefined; // the group-version is not in these models
  }
}

let passed = 0, failed = 0;
const unchecked = [];
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const d of docs) {
    if (d.errors.length) {
      failed++;
      console.log(`FAIL ${file}: YAML: ${d.errors[0].message}`);
      continue;
    }
    const obj = d.toJS();
    if (!obj) continue;
    const what = `${file}: ${obj.kind} ${obj.metadata?.name}`;
    for (const [pkg, label] of Object.entries(releases)) {
      const Cls = await modelClass(pkg, obj.apiVersion, obj.kind);
      if (Cls === undefined && !/\.k8s\.io$|^[^./]*$/.test(obj.apiVersion.split("/")[0])) {
        unchecked.push(`${what} (${obj.apiVersion})`);
        break;
      }
      if (!Cls) {
        failed++;
        console.log(`FAIL ${what}: ${obj.apiVersion} ${obj.kind} does not exist in the Kubernetes API of kubernetes-models ${label}`);
        continue;
      }
      try {
        new Cls(obj).validate();
        passed++;
      } catch (e) {
        failed++;
        console.log(`FAIL ${what} against kubernetes-models ${label}: ${e.message}`);
      }
    }
  }
}
for (const u of [...new Set(unchecked)]) console.log(`not checked (no schema in kubernetes-models): ${u}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
