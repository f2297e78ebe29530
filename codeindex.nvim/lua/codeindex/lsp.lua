-- Starting `codeindex lsp` per project root and attaching file buffers to it, on every
-- Neovim from 0.7: vim.lsp.config/vim.lsp.enable where they exist (0.11+), else
-- vim.lsp.start from a FileType autocmd (0.8+), else vim.lsp.start_client and
-- vim.lsp.buf_attach_client (0.7). Also the version-independent ways to find the running
-- clients and send them requests.
local M = { name = "codeindex" }

local uv = vim.uv or vim.loop
local method_calls = vim.fn.has("nvim-0.11") == 1 -- client:request() instead of client.request()

M.statuses = {} -- client id -> the last codeindex/status params
local by_root = {} -- root -> client id (attach = "start_client" only)

--- The attach method `cfg.attach` names, "auto" resolved for this Neovim.
function M.method(cfg)
  if cfg.attach ~= "auto" then
    return cfg.attach
  end
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return "enable"
  elseif vim.lsp.start ~= nil then
    return "start"
  end
  return "start_client"
end

--- The project root of a file: the nearest folder above it holding a root marker, else the
--- current directory when the file is inside it; nil for anything else.
function M.root_of(cfg, bufnr)
  if vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  name = vim.fn.fnamemodify(name, ":p")
  local dir = vim.fn.fnamemodify(name, ":h")
  while true do
    for _, marker in ipairs(cfg.root_markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  local cwd = vim.fn.getcwd()
  if vim.startswith(name, cwd .. "/") then
    return cwd
  end
  return nil
end

local function on_status(_, result, ctx)
  M.statuses[ctx.client_id] = result
  vim.g.codeindex_status = require("codeindex").status()
  pcall(vim.cmd, "redrawstatus")
  vim.api.nvim_exec_autocmds("User", { pattern = "CodeIndexStatus", modeline = false })
end

--- The client configuration shared by every attach method (root_dir added per method).
function M.client_config(cfg)
  return {
    name = M.name,
    cmd = cfg.cmd,
    init_options = cfg.settings,
    settings = { codeindex = cfg.settings },
    handlers = { ["codeindex/status"] = on_status },
    on_exit = function(_, _, client_id)
      M.statuses[client_id] = nil
      for root, id in pairs(by_root) do
        if id == client_id then
          by_root[root] = nil
        end
      end
    end,
  }
end

local function wanted(cfg, bufnr)
  return cfg.filetypes == nil or vim.tbl_contains(cfg.filetypes, vim.bo[bufnr].filetype)
end

local function attach_0_7(cfg, bufnr)
  local root = M.root_of(cfg, bufnr)
  if root == nil or not wanted(cfg, bufnr) then
    return
  end
  local id = by_root[root]
  if id == nil then
    local config = M.client_config(cfg)
    config.root_dir = root
    id = vim.lsp.start_client(config)
    if id == nil then
      return
    end
    by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function attach_0_8(cfg, bufnr)
  local root = M.root_of(cfg, bufnr)
  if root == nil or not wanted(cfg, bufnr) then
    return
  end
  local config = M.client_config(cfg)
  config.root_dir = root
  vim.lsp.start(config, { bufnr = bufnr })
end

--- Start and attach the server for file buffers, the way `cfg.attach` says; buffers
--- already open are attached too.
function M.enable(cfg)
  local method = M.method(cfg)
  if method == "enable" then
    local config = M.client_config(cfg)
    config.filetypes = cfg.filetypes
    config.root_dir = function(bufnr, on_dir)
      local root = M.root_of(cfg, bufnr)
      if root ~= nil then
        on_dir(root)
      end
    end
    vim.lsp.config(M.name, config)
    vim.lsp.enable(M.name)
    return method
  end
  local attach = method == "start" and attach_0_8 or attach_0_7
  local group = vim.api.nvim_create_augroup("codeindex.attach", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    callback = function(args)
      attach(cfg, args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= "" then
      vim.api.nvim_buf_call(bufnr, function()
        attach(cfg, bufnr)
      end)
    end
  end
  return method
end

--- The running codeindex clients.
function M.clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local mine = {}
  for _, client in ipairs(all) do
    if client.name == M.name then
      table.insert(mine, client)
    end
  end
  return mine
end

--- The client for `bufnr`: the one attached to it, else the one whose root holds the
--- current directory, else the only one running; nil when there is none.
function M.client(bufnr)
  local clients = M.clients()
  for _, client in ipairs(clients) do
    if vim.lsp.buf_is_attached(bufnr or 0, client.id) then
      return client
    end
  end
  local cwd = vim.fn.getcwd()
  for _, client in ipairs(clients) do
    local root = client.config.root_dir
    if root and (cwd == root or vim.startswith(cwd, root .. "/")) then
      return client
    end
  end
  return #clients == 1 and clients[1] or nil
end

--- Send a request (the handler gets err, result).
function M.request(client, method, params, handler)
  if method_calls then
    return client:request(method, params, handler)
  end
  return client.request(method, params, handler)
end

--- Send a request and wait for its answer (at most `ms`); returns result, error text.
function M.request_sync(client, method, params, ms)
  local answer, err
  if method_calls then
    answer, err = client:request_sync(method, params, ms)
  else
    answer, err = client.request_sync(method, params, ms)
  end
  if answer == nil then
    return nil, tostring(err or "no answer")
  elseif answer.err then
    return nil, answer.err.message
  end
  return answer.result
end

return M
