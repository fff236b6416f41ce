// Evaluates the agent's own-node ValidatingAdmissionPolicy, as rendered in
// deploy/rdma-operator.yaml (the chart with default values), against sample
// admission requests, the way kube-apiserver does: matchConditions first
// (a request they do not match is not policed), then the variables, then
// each validation in order; the first false one denies with its message.
//
//   npm ci --prefix api/cel-check && node api/cel-check/admission_policy.mjs
//
// Prints "N passed, M failed"; exits 1 on a failure, 77 (skip) without the
// npm packages.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cel, YAML;
try {
  cel = await import("@bufbuild/cel");
  YAML = (await import("yaml")).default;
} catch (e) {
  console.log(`admission-policy: skipped, npm packages missing (npm ci --prefix api/cel-check): ${e.message}`);
  process.exit(77);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const rendered = YAML.parseAllDocuments(fs.readFileSync(path.join(root, "deploy/rdma-operator.yaml"), "utf8"))
  .map((d) => d.toJS())
  .filter(Boolean);
const policy = rendered.find((o) => o.kind === "ValidatingAdmissionPolicy");
const binding = rendered.find((o) => o.kind === "ValidatingAdmissionPolicyBinding");
const agentSa = rendered.find((o) => o.kind === "ServiceAccount" && o.metadata.name.endsWith("-agent"));
if (!policy || !binding || !agentSa) {
  console.log("admission-policy: deploy/rdma-operator.yaml lacks the policy, its binding or the agent ServiceAccount");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

function toCel(v) {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

// The decision kube-apiserver makes: "not matched", "allowed", or
// "denied: <message>". An expression that errors counts as failurePolicy.
function admit(request) {
  const vars = {
    request: toCel(request),
    object: toCel(request.object ?? null),
    oldObject: toCel(request.oldObject ?? null),
  };
  const onError = (what, e) =>
    policy.spec.failurePolicy === "Fail" ? `denied: ${what} failed: ${e.message}` : "allowed";
  for (const m of policy.spec.matchConditions ?? []) {
    let r;
    try {
      r = cel.run(m.expression, vars);
    } catch (e) {
      return onError(`matchCondition ${m.name}`, e);
    }
    if (r !== true) return "not matched";
  }
  const variables = new Map();
  vars.variables = variables;
  for (const v of policy.spec.variables ?? []) {
    try {
      variables.set(v.name, cel.run(v.expression, vars));
    } catch (e) {
      return onError(`variable ${v.name}`, e);
    }
  }
  for (const v of policy.spec.validations) {
    let r;
    try {
      r = cel.run(v.expression, vars);
    } catch (e) {
      return onError(`validation ${v.expression}`, e);
    }
    if (r !== true) {
      const message = v.messageExpression ? cel.run(v.messageExpression, vars) : v.message;
      return `denied: ${message}`;
    }
  }
  return "allowed";
}

const agentUser = `system:serviceaccount:${agentSa.metadata.namespace}:${agentSa.metadata.name}`;
const nodeName = "authentication.kubernetes.io/node-name";
const state = (name) => ({ apiVersion: "rdma.dev/v1alpha1", kind: "RdmaNodeState", metadata: { name } });
const req = (operation, user, name, subResource = "") => ({
  operation,
  name,
  subResource,
  resource: { group: "rdma.dev", version: "v1alpha1", resource: "rdmanodestates" },
  userInfo: user,
  object: operation === "DELETE" ? null : state(name),
  oldObject: operation === "CREATE" ? null : state(name),
});
const agentOn = (node) => ({ username: agentUser, groups: ["system:serviceaccounts"], extra: { [nodeName]: [node] } });

const cases = [
  ["agent creates its own node's state", req("CREATE", agentOn("node-a"), "node-a"), /^allowed$/],
  ["agent patches its own node's status", req("UPDATE", agentOn("node-a"), "node-a", "status"), /^allowed$/],
  ["agent creates another node's state", req("CREATE", agentOn("node-a"), "node-b"),
    /^denied: the agent on node node-a may write only RdmaNodeState node-a, not node-b$/],
  ["agent patches another node's status", req("UPDATE", agentOn("node-a"), "node-b", "status"), /^denied: .*not node-b$/],
  ["agent deletes another node's state", req("DELETE", agentOn("node-a"), "node-b"), /^denied: .*not node-b$/],
  ["agent deletes its own node's state", req("DELETE", agentOn("node-a"), "node-a"), /^allowed$/],
  ["agent token without a node name", req("UPDATE", { username: agentUser, groups: [], extra: {} }, "node-a", "status"),
    /^denied: the agent's token carries no node name/],
  ["agent token without any extra", req("CREATE", { username: agentUser, groups: [] }, "node-a"),
    /^denied: the agent's token carries no node name/],
  ["agent token with an empty node-name list", req("CREATE", { username: agentUser, extra: { [nodeName]: [] } }, "node-a"),
    /^denied: the agent's token carries no node name/],
  ["the operator writes any node's state", req("UPDATE",
    { username: "system:serviceaccount:rdma-system:rdma-operator", groups: ["system:serviceaccounts"] }, "node-b"),
    /^not matched$/],
  ["an agent ServiceAccount of another namespace is not this policy's", req("CREATE",
    { username: `system:serviceaccount:other:${agentSa.metadata.name}`, extra: { [nodeName]: ["node-a"] } }, "node-b"),
    /^not matched$/],
];

let passed = 0, failed = 0;
for (const [name, request, want] of cases) {
  const got = admit(request);
  if (want.test(got)) passed++;
  else {
    failed++;
    console.log(`FAIL ${name}: got "${got}", want ${want}`);
  }
}
// The policy only works when bound, fails closed, and denies.
const structural = [
  ["failurePolicy is Fail", policy.spec.failurePolicy === "Fail"],
  ["the binding names the policy", binding.spec.policyName === policy.metadata.name],
  ["the binding denies", JSON.stringify(binding.spec.validationActions) === '["Deny"]'],
  ["status writes are matched", policy.spec.matchConstraints.resourceRules.some((r) => r.resources.includes("rdmanodestates/status"))],
];
for (const [name, ok] of structural) {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${name}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
