-- A real Neovim (0.7 or newer), headless, serves several folders from one `codeindex lsp`:
-- vim.lsp.start_client with `workspace_folders` (A and B), workspace/symbol from both, then
-- vim.lsp.buf.add_workspace_folder(C) as README says, and C's symbols once it is indexed.
-- Writes what it saw as JSON to $CODEINDEX_NVIM_OUT, then quits.
local a = assert(os.getenv("CODEINDEX_NVIM_A"), "CODEINDEX_NVIM_A is not set")
local b = assert(os.getenv("CODEINDEX_NVIM_B"), "CODEINDEX_NVIM_B is not set")
local c = assert(os.getenv("CODEINDEX_NVIM_C"), "CODEINDEX_NVIM_C is not set")
local out = assert(os.getenv("CODEINDEX_NVIM_OUT"), "CODEINDEX_NVIM_OUT is not set")
local python = assert(os.getenv("CODEINDEX_NVIM_PYTHON"), "CODEINDEX_NVIM_PYTHON is not set")

local seen = { errors = {}, titles = {} }

local function folder(dir)
  return { uri = vim.uri_from_fname(dir), name = vim.fn.fnamemodify(dir, ":t") }
end

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
  root_dir = a,
  workspace_folders = { folder(a), folder(b) },
  handlers = {
    ["$/progress"] = function(_, params)
      if params.value.kind == "begin" then
        table.insert(seen.titles, params.value.title)
      end
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

local function symbols(query)
  local answered, found = false, {}
  local client = vim.lsp.get_client_by_id(client_id)
  client.request("workspace/symbol", { query = query }, function(err, result)
    if err then
      table.insert(seen.errors, "workspace/symbol " .. query .. ": " .. vim.inspect(err))
    end
    for _, s in ipairs(result or {}) do
      table.insert(found, s.location.uri)
    end
    answered = true
  end)
  wait("workspace/symbol " .. query, 60, function() return answered end)
  return found
end

if client_id and wait("initialize", 60, function() return seen.initialized end) then
  seen.from_a = symbols("ExecuteC")
  seen.from_b = symbols("SparseSet")
  vim.cmd("edit " .. a .. "/cobra-go/args.go")
  vim.lsp.buf_attach_client(0, client_id)
  vim.lsp.buf.add_workspace_folder(c)
  for _ = 1, 240 do -- polled: the folder is indexed in the background
    seen.from_c = symbols("RegexSearcher")
    if #seen.from_c > 0 then
      break
    end
    vim.wait(500)
  end
  vim.lsp.get_client_by_id(client_id).stop()
  wait("the server to exit", 60, function() return seen.exit_code ~= nil end)
else
  table.insert(seen.errors, "the client did not start")
end

local file = assert(io.open(out, "w"))
file:write(vim.fn.json_encode(seen))
file:close()
vim.cmd("qa!")
