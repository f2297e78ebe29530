-- Drives `codeindex lsp` from a real Neovim (0.7 or newer), headless:
--   nvim --headless -u NONE -i NONE --noplugin -c "luafile drive.lua"
-- It starts the client with vim.lsp.start_client, runs codeindex.forceReindex with
-- "async": false while recording every $/progress message, runs workspace/symbol, stops
-- the server and writes what it saw as JSON to $CODEINDEX_NVIM_OUT, then quits.
local root = assert(os.getenv("CODEINDEX_NVIM_ROOT"), "CODEINDEX_NVIM_ROOT is not set")
local out = assert(os.getenv("CODEINDEX_NVIM_OUT"), "CODEINDEX_NVIM_OUT is not set")
local python = assert(os.getenv("CODEINDEX_NVIM_PYTHON"), "CODEINDEX_NVIM_PYTHON is not set")

local seen = { progress = {}, errors = {}, statuses = {}, nvim = vim.version() }

local function wait(what, seconds, done)
  if not vim.wait(seconds * 1000, done, 20) then
    table.insert(seen.errors, "timed out waiting for " .. what)
    return false
  end
  return true
end

local client_id = vim.lsp.start_client({
  name = "codeindex",
  cmd = { python, "-m", "codeindex", "lsp" },
  root_dir = root,
  handlers = {
    ["$/progress"] = function(_, params)
      table.insert(seen.progress, params)
    end,
    ["codeindex/status"] = function(_, params)
      table.insert(seen.statuses, params)
    end,
    ["window/showMessageRequest"] = function()
      return vim.NIL
    end,
  },
  on_init = function()
    seen.initialized = true
  end,
  on_exit = function(code)
    seen.exit_code = code
  end,
})

if client_id and wait("initialize", 60, function() return seen.initialized end) then
  local client = vim.lsp.get_client_by_id(client_id)
  local caps = client.server_capabilities or client.resolved_capabilities
  seen.commands = caps.executeCommandProvider and caps.executeCommandProvider.commands

  local answered = false
  client.request("workspace/executeCommand", {
    command = "codeindex.forceReindex",
    arguments = { { scope = "project", ["async"] = false } },
  }, function(err, result)
    seen.reindex, seen.reindex_error, answered = result, err, true
  end)
  wait("codeindex.forceReindex", 600, function() return answered end)

  answered = false
  client.request("workspace/symbol", { query = "Observable" }, function(err, result)
    seen.symbols, seen.symbols_error, answered = result, err, true
  end)
  wait("workspace/symbol", 60, function() return answered end)

  client.stop()
  wait("the server to exit", 60, function() return seen.exit_code ~= nil end)
else
  table.insert(seen.errors, "the client did not start")
end

local file = assert(io.open(out, "w"))
file:write(vim.fn.json_encode(seen))
file:close()
vim.cmd("qa!")
