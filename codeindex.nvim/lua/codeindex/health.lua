-- `:checkhealth codeindex`: the server command is found and runs (its version), the model
-- it is configured with, whether a worker is alive, and the index's state, asked of the
-- running server (indexStatus).
local M = {}

-- vim.health on 0.10+ (start/ok/...), vim.health.report_* on 0.8-0.9, require("health") on 0.7
local health = vim.health or require("health")
local function report(kind, ...)
  local fn = health[kind] or health["report_" .. kind]
  fn(...)
end

local function version(cmd)
  local command = vim.deepcopy(cmd)
  if command[#command] == "lsp" then
    table.remove(command)
  end
  table.insert(command, "--version")
  local out = vim.fn.system(command)
  if vim.v.shell_error ~= 0 then
    return nil, vim.trim(out)
  end
  return vim.trim(out)
end

local function check_command(cfg)
  local exe = cfg.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    report(
      "error",
      ("server command not found: %s"):format(exe),
      { "install codeindex (README, Install) and put it on PATH, or pass its full path: setup({ cmd = { '/path/to/codeindex', 'lsp' } })" }
    )
    return false
  end
  report("ok", ("server command: %s (%s)"):format(table.concat(cfg.cmd, " "), vim.fn.exepath(exe)))
  local text, err = version(cfg.cmd)
  if text then
    report("ok", "version: " .. text)
  else
    report("error", "the server command failed: " .. tostring(err))
  end
  return text ~= nil
end

local function check_index(client)
  local lsp = require("codeindex.lsp")
  local s, err = lsp.request_sync(client, "workspace/executeCommand", { command = "codeindex.indexStatus" }, 10000)
  if s == nil then
    report("error", "codeindex.indexStatus failed: " .. tostring(err))
    return
  end
  local e = s.embeddings
  local path = type(e.configured_model_path) == "string" and (" from " .. e.configured_model_path) or ""
  report("ok", ("model configured: %s%s"):format(e.configured_model, path))
  local worker = s.queue.worker
  if type(worker) == "table" then
    report("ok", ("worker alive: pid %d on %s"):format(worker.pid, worker.host))
  else
    report("info", "worker: none running now (one starts when there is work)")
  end
  report("ok", ("index: %d files indexed, %d symbols, %d chunks, %d pending embedding"):format(
    s.files.by_status.indexed or 0, s.symbols, s.chunks, e.chunks_pending))
  local state = lsp.statuses[client.id]
  if state then
    local level = state.state == "error" and "warn" or "ok"
    report(level, ("state: %s %s"):format(state.state, state.message or ""))
  end
end

--- The health report.
function M.check()
  report("start", "codeindex")
  local codeindex = require("codeindex")
  local cfg = codeindex.config
  if cfg == nil then
    report("error", "setup() was not called", { 'add require("codeindex").setup({}) to your config' })
    return
  end
  local v = vim.version()
  report("info", ("attach method: %s (Neovim %d.%d.%d)"):format(codeindex.method, v.major, v.minor, v.patch))
  if not check_command(cfg) then
    return
  end
  local client = require("codeindex.lsp").client(0)
  if client == nil then
    report("warn", "no codeindex server for this buffer or directory", { "open a file of a project (a folder with one of: " .. table.concat(cfg.root_markers, ", ") .. ")" })
    return
  end
  report("ok", ("server running for %s (client %d)"):format(client.config.root_dir, client.id))
  check_index(client)
end

return M
