-- Runs the Argo CD health.lua of docs/gitops.md (the ```lua block after
-- the "health.lua:" marker) against status samples, as Argo CD runs it: the
-- object in the global `obj`, the script returns {status, message}.
--   lua5.4 charts/tests/health_lua_test.lua docs/gitops.md
local path = arg[1] or "docs/gitops.md"
local f = assert(io.open(path))
local doc = f:read("a")
f:close()
local _, marker_end = doc:find("<!%-%- health.lua:", 1, false)
assert(marker_end, "no health.lua marker in " .. path)
local code = doc:match("```lua\n(.-)```", marker_end)
assert(code, "no ```lua block after the marker in " .. path)

local function run(o)
  local env = setmetatable({ obj = o }, { __index = _G })
  local chunk = assert(load(code, "health.lua", "t", env))
  return chunk()
end

local function cond(t, s, reason, msg, og)
  return { type = t, status = s, reason = reason, message = msg, observedGeneration = og }
end

-- Samples shaped as the operator and agent write them (docs/operator.md,
-- docs/agent.md "Status"); the first three as captured from a run.
local cases = {
  { "policy rolled out", { kind = "RdmaNodePolicy", metadata = { generation = 1 }, status = {
      observedGeneration = 1, matchedNodes = 0, readyNodes = 0, conditions = {
        cond("Ready", "True", "Applied", "0 of 0 matched nodes applied", 1),
        cond("Progressing", "False", "Applied", "0 of 0 matched nodes applied", 1),
        cond("Degraded", "False", "Applied", "", 1) } } },
    "Healthy", "Applied: 0 of 0 matched nodes applied" },
  { "network rendered", { kind = "RdmaNetwork", metadata = { generation = 1 }, status = {
      observedGeneration = 1, conditions = {
        cond("Ready", "True", "Rendered", "NetworkAttachmentDefinitions rendered in every target namespace", 1),
        cond("Progressing", "False", "Rendered", "", 1),
        cond("Degraded", "False", "Rendered", "", 1) } } },
    "Healthy", "Rendered: NetworkAttachmentDefinitions rendered in every target namespace" },
  { "node state applied", { kind = "RdmaNodeState", metadata = { generation = 1 }, status = {
      observedGeneration = 1, syncState = "Succeeded", conditions = {
        cond("Ready", "True", "Applied", "0 PF(s) configured, 0 VF(s)", 1),
        cond("Progressing", "False", "Applied", "0 PF(s) configured, 0 VF(s)", 1),
        cond("Degraded", "False", "Applied", "no errors", 1) } } },
    "Healthy", "Applied: 0 PF(s) configured, 0 VF(s)" },
  { "new object, no status yet", { kind = "RdmaNodePolicy", metadata = { generation = 1 } },
    "Progressing", "Waiting for the operator to observe generation 1" },
  { "node state the agent has not seen", { kind = "RdmaNodeState", metadata = { generation = 2 }, status = {
      observedGeneration = 1, conditions = { cond("Ready", "True", "Applied", "1 PF(s) configured, 4 VF(s)", 1) } } },
    "Progressing", "Waiting for the node's agent to observe generation 2" },
  { "spec changed, status still of the old generation", { kind = "RdmaNetwork", metadata = { generation = 3 }, status = {
      observedGeneration = 2, conditions = { cond("Ready", "True", "Rendered", "", 2) } } },
    "Progressing", "Waiting for the operator to observe generation 3" },
  { "invalid spec", { kind = "RdmaNodePolicy", metadata = { generation = 2 }, status = {
      observedGeneration = 2, conditions = {
        cond("Ready", "False", "InvalidSpec", "invalid spec, nothing is applied", 2),
        cond("Progressing", "False", "InvalidSpec", "fix the spec", 2),
        cond("Degraded", "True", "InvalidSpec",
             "invalid spec, nothing is applied: spec.nicSelector.pfNames[0]: VF range 0-15 of ens1f0 ends beyond numVfs 8", 2) } } },
    "Degraded", "InvalidSpec: invalid spec, nothing is applied: spec.nicSelector.pfNames[0]: VF range 0-15 of ens1f0 ends beyond numVfs 8" },
  { "NAD CRD missing", { kind = "RdmaNetwork", metadata = { generation = 1 }, status = {
      observedGeneration = 1, conditions = {
        cond("Ready", "False", "NadCrdMissing", "", 1),
        cond("Degraded", "True", "NadCrdMissing", "the NetworkAttachmentDefinition CRD is not installed", 1) } } },
    "Degraded", "NadCrdMissing: the NetworkAttachmentDefinition CRD is not installed" },
  { "node waiting for a reboot", { kind = "RdmaNodeState", metadata = { generation = 2 }, status = {
      observedGeneration = 2, syncState = "Pending", rebootRequired = true, conditions = {
        cond("Ready", "False", "WaitingForReboot", "", 2),
        cond("Progressing", "True", "WaitingForReboot", "0000:41:00.0: SRIOV_EN wanted 1, Current False(0)", 2),
        cond("Degraded", "False", "Applying", "no errors", 2) } } },
    "Progressing", "WaitingForReboot: 0000:41:00.0: SRIOV_EN wanted 1, Current False(0)" },
  { "firmware setting did not take", { kind = "RdmaNodeState", metadata = { generation = 2 }, status = {
      observedGeneration = 2, syncState = "Failed", conditions = {
        cond("Ready", "False", "SettingDidNotTake", "", 2),
        cond("Progressing", "False", "SettingDidNotTake", "stopped: see Degraded", 2),
        cond("Degraded", "True", "SettingDidNotTake", "0000:41:00.0: NUM_OF_VFS still 0 after the reboot", 2) } } },
    "Degraded", "SettingDidNotTake: 0000:41:00.0: NUM_OF_VFS still 0 after the reboot" },
  { "policy with nodes still applying", { kind = "RdmaNodePolicy", metadata = { generation = 1 }, status = {
      observedGeneration = 1, matchedNodes = 3, readyNodes = 1, conditions = {
        cond("Ready", "False", "Applying", "1 of 3 matched nodes applied", 1),
        cond("Progressing", "True", "Applying", "nodes applying: node-b, node-c", 1),
        cond("Degraded", "False", "Applied", "", 1) } } },
    "Progressing", "Applying: nodes applying: node-b, node-c" },
  { "a stale Degraded condition from an older spec is ignored", { kind = "RdmaNodePolicy", metadata = { generation = 3 },
      status = { observedGeneration = 3, conditions = {
        cond("Ready", "True", "Applied", "2 of 2 matched nodes applied", 3),
        cond("Degraded", "True", "InvalidSpec", "old", 2) } } },
    "Healthy", "Applied: 2 of 2 matched nodes applied" },
  { "status without conditions", { kind = "RdmaNetwork", metadata = { generation = 1 }, status = { observedGeneration = 1 } },
    "Progressing", "Waiting for the Ready condition" },
  { "Ready Unknown", { kind = "RdmaNetwork", metadata = { generation = 1 }, status = { observedGeneration = 1,
      conditions = { cond("Ready", "Unknown", "Starting", "", 1) } } },
    "Progressing", "Starting" },
}

local passed, failed = 0, 0
for _, c in ipairs(cases) do
  local name, o, want_status, want_message = c[1], c[2], c[3], c[4]
  local ok, hs = pcall(run, o)
  if not ok then
    failed = failed + 1
    print("FAIL " .. name .. ": the script raised " .. tostring(hs))
  elseif hs.status ~= want_status or hs.message ~= want_message then
    failed = failed + 1
    print(string.format("FAIL %s: got %s %q, want %s %q", name, tostring(hs.status), tostring(hs.message),
                        want_status, want_message))
  else
    passed = passed + 1
  end
end
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
