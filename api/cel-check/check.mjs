// Evaluates every CEL rule (x-kubernetes-validations) of the rdma.dev CRDs
// against objects, because nothing else in this repository does: the test
// API server stores the rules without running them, and no kube-apiserver
// runs here. Checks that
//   - every example in docs/examples/ (and api/testdata/) passes every rule;
//   - each known-bad object below fails exactly the rule meant to catch it.
//
// CEL comes from @bufbuild/cel with its strings extension (split, as in
// Kubernetes' strings library v2). Kubernetes' IP/CIDR functions (isIP,
// isCIDR, cidr(), containsIP, available since 1.30) are stood in for below.
//
//   npm ci --prefix api/cel-check && node api/cel-check/check.mjs
//
// Prints "N passed, M failed"; exits 1 on a failure and 77 (skip) when the
// npm packages are not installed.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cel, ext, YAML;
try {
  cel = await import("@bufbuild/cel");
  ext = await import("@bufbuild/cel/ext");
  YAML = (await import("yaml")).default;
} catch (e) {
  console.log(`cel-check: skipped, npm packages missing (npm ci --prefix api/cel-check): ${e.message}`);
  process.exit(77);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// ---- Kubernetes IP/CIDR library stand-ins (enough for these rules) ----
function parseIp(s) {
  const family = net.isIP(s);
  if (family === 4) return { family, bits: 32, v: s.split(".").reduce((a, o) => (a << 8n) + BigInt(o), 0n) };
  if (family !== 6 || s.includes("%") || s.includes(".")) return null;
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return { family, bits: 128, v: groups.reduce((a, g) => (a << 16n) + BigInt(parseInt(g, 16)), 0n) };
}
function parseCidr(s) {
  const parts = s.split("/");
  if (parts.length !== 2 || !/^[0-9]{1,3}$/.test(parts[1])) return null;
  const ip = parseIp(parts[0]);
  if (!ip || Number(parts[1]) > ip.bits) return null;
  return { ...ip, len: BigInt(parts[1]) };
}
const S = cel.CelScalar.STRING;
const B = cel.CelScalar.BOOL;
const kubernetesFuncs = [
  cel.celFunc("isIP", [S], B, (s) => parseIp(s) !== null),
  cel.celFunc("isCIDR", [S], B, (s) => parseCidr(s) !== null),
  // cidr(s) is represented by its text; containsIP is a method on it.
  cel.celFunc("cidr", [S], S, (s) => {
    if (!parseCidr(s)) throw new Error(`network address parse error during conversion from string: ${s}`);
    return s;
  }),
  cel.celMethod("containsIP", S, [S], B, function (ip) {
    const c = parseCidr(this);
    const a = parseIp(ip);
    if (!a || a.family !== c.family) return false;
    const shift = BigInt(c.bits) - c.len;
    return a.v >> shift === c.v >> shift;
  }),
];
const funcs = [...ext.strings, ...kubernetesFuncs];

// JSON -> CEL values: objects become maps (so has() works), integers ints.
function toCel(v) {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

// ---- schemas and rules ----
const schemas = {};
for (const f of fs.readdirSync(path.join(root, "crds")).filter((f) => f.startsWith("rdma.dev_"))) {
  const crd = YAML.parse(fs.readFileSync(path.join(root, "crds", f), "utf8"));
  schemas[crd.spec.names.kind] = crd.spec.versions[0].schema.openAPIV3Schema;
}

// Every (rule, self) pair for an object: rules apply where the object has a
// value, once per list item and map value.
function applicableRules(schema, value, at, out) {
  for (const r of schema["x-kubernetes-validations"] ?? []) out.push({ at, rule: r.rule, message: r.message, self: value });
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      if (k in value) applicableRules(sub, value[k], `${at}.${k}`, out);
    }
    if (typeof schema.additionalProperties === "object") {
      for (const [k, v] of Object.entries(value)) applicableRules(schema.additionalProperties, v, `${at}.${k}`, out);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => applicableRules(schema.items, v, `${at}[${i}]`, out));
  return out;
}

// The messages of the rules an object fails (a rule that errors fails).
function failedRules(obj) {
  const failed = [];
  for (const c of applicableRules(schemas[obj.kind], obj, "", [])) {
    let result;
    try {
      result = cel.run(c.rule, { self: toCel(c.self) }, { funcs });
    } catch (e) {
      result = `error: ${e.message}`;
    }
    if (result !== true) failed.push(`${c.at || "<root>"}: ${c.message} (${result})`);
  }
  return failed;
}

// ---- objects ----
const good = {};
for (const dir of ["docs/examples", "api/testdata"]) {
  for (const f of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".yaml"))) {
    YAML.parseAllDocuments(fs.readFileSync(path.join(root, dir, f), "utf8")).forEach((d, i) => {
      const obj = d.toJS();
      if (obj && schemas[obj.kind]) good[`${dir}/${f}#${i + 1}`] = obj;
    });
  }
}
const roce = good["docs/examples/roce-policy.yaml#1"];
const network = good["docs/examples/roce-network.yaml#1"];
const nodeState = good["api/testdata/rdmanodestate.yaml#1"];
if (!roce || !network || !nodeState) {
  console.log("cel-check: the examples this check mutates are missing");
  process.exit(1);
}
const mutate = (base, f) => {
  const copy = structuredClone(base);
  f(copy);
  return copy;
};
const pool = (start, end) => ({ mode: "Pool", pool: { start, end } });

// More valid objects: edges the examples do not show.
Object.assign(good, {
  "policy: VF range ending at numVfs-1": mutate(roce, (d) => {
    d.spec.numVfs = 8;
    d.spec.nicSelector.pfNames = ["ens1f0#0-7", "ens1f1"];
  }),
  "policy: Exists without values": mutate(roce, (d) => {
    d.spec.nodeSelector = { matchExpressions: [{ key: "a", operator: "Exists" }] };
  }),
  "policy: maxUnavailable 100%": mutate(roce, (d) => (d.spec.disruption.maxUnavailable = "100%")),
  "policy: InfiniBand at 4092": mutate(roce, (d) => Object.assign(d.spec, { linkType: "InfiniBand", mtu: 4092 })),
  "network: IPv6": mutate(network, (d) => {
    d.spec.ipam = {
      subnet: "fd00:100::/64",
      ranges: [{ start: "fd00:100::10", end: "fd00:100::ffff" }],
      gateway: "fd00:100::1",
      excludes: ["fd00:100::20/126"],
      routes: [{ destination: "::/0" }],
    };
  }),
  "network: no rate cap": mutate(network, (d) => Object.assign(d.spec, { minTxRateMbps: 2000, maxTxRateMbps: 0 })),
});

// Known-bad objects and (a substring of) the one rule message that must fail.
const bad = [
  ["VF range beyond numVfs", mutate(roce, (d) => (d.spec.nicSelector.pfNames = ["ens1f0#0-7"])), "must end below numVfs"],
  ["VF range reversed", mutate(roce, (d) => { d.spec.numVfs = 8; d.spec.nicSelector.pfNames = ["ens1f0#5-2"]; }), "first <= last"],
  ["firmware offers too few VFs", mutate(roce, (d) => { d.spec.numVfs = 4; d.spec.firmware.totalVfs = 2; }), "at least numVfs"],
  ["InfiniBand MTU 9000", mutate(roce, (d) => Object.assign(d.spec, { linkType: "InfiniBand", mtu: 9000 })), "at most 4092"],
  ["Pool without pool", mutate(roce, (d) => (d.spec.guid.mode = "Pool")), "needs guid.pool"],
  ["GUID pool reversed", mutate(roce, (d) => (d.spec.guid = pool("02:00:00:00:00:00:00:09", "02:00:00:00:00:00:00:01"))), "must not be greater"],
  ["GUID zero", mutate(roce, (d) => (d.spec.guid = pool("00:00:00:00:00:00:00:00", "02:00:00:00:00:00:00:01"))), "GUID of zero"],
  ["empty nicSelector", mutate(roce, (d) => (d.spec.nicSelector = {})), "needs at least one of"],
  ["In without values", mutate(roce, (d) => (d.spec.nodeSelector = { matchExpressions: [{ key: "a", operator: "In" }] })), "need at least one value"],
  ["Exists with values", mutate(roce, (d) => (d.spec.nodeSelector = { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })), "take no values"],
  ["maxUnavailable 0", mutate(roce, (d) => (d.spec.disruption.maxUnavailable = 0)), "maxUnavailable must be"],
  ["maxUnavailable 150%", mutate(roce, (d) => (d.spec.disruption.maxUnavailable = "150%")), "maxUnavailable must be"],
  ["range outside subnet", mutate(network, (d) => d.spec.ipam.ranges.push({ start: "192.168.100.251", end: "192.168.101.5" })), "inside ipam.subnet"],
  ["IPv6 range in IPv4 subnet", mutate(network, (d) => d.spec.ipam.ranges.push({ start: "fd00::1", end: "fd00::5" })), "inside ipam.subnet"],
  ["gateway outside subnet", mutate(network, (d) => (d.spec.ipam.gateway = "10.0.0.1")), "gateway must lie"],
  ["subnet /33", mutate(network, (d) => (d.spec.ipam.subnet = "192.168.100.0/33")), "must be a CIDR"],
  ["exclude not an address", mutate(network, (d) => (d.spec.ipam.excludes = ["192.168.100.300"])), "exclude must be"],
  ["range start not an address", mutate(network, (d) => (d.spec.ipam.ranges[0].start = "first")), "range start must"],
  ["route destination not a CIDR", mutate(network, (d) => (d.spec.ipam.routes = [{ destination: "10.0.0.1" }])), "route destination must"],
  ["min rate above max", mutate(network, (d) => Object.assign(d.spec, { minTxRateMbps: 2000, maxTxRateMbps: 1000 })), "must not exceed"],
  ["node state: VF group reversed", mutate(nodeState, (d) => Object.assign(d.spec.interfaces[0].vfGroups[0], { firstVf: 3, lastVf: 1 })), "firstVf must not"],
  ["node state: firmware too few VFs", mutate(nodeState, (d) => (d.spec.interfaces[0].numVfs = 4)), "totalVfs must be at least"],
];

let passed = 0;
let failed = 0;
for (const [name, obj] of Object.entries(good)) {
  const f = failedRules(obj);
  if (f.length === 0) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name} should pass every rule but fails:\n  ${f.join("\n  ")}`);
  }
}
for (const [name, obj, want] of bad) {
  const f = failedRules(obj);
  if (f.length === 1 && f[0].includes(want)) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name} should fail only the rule "${want}" but fails:\n  ${f.join("\n  ") || "nothing"}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
