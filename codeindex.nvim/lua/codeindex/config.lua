-- The plugin's options: defaults, merged with what setup() is given, and checked, so a
-- wrong option is reported at setup with what was expected instead of failing later.
local M = {}

M.defaults = {
  -- the server command: `codeindex lsp` from PATH (e.g. { "/path/to/.venv/bin/codeindex", "lsp" })
  cmd = { "codeindex", "lsp" },
  -- editor settings sent as initializationOptions and as the "codeindex" settings section
  -- (README, "Editor settings"): model = { name = ..., path = ... }, maxFileSize, excludes, watching
  settings = {},
  -- a buffer's project root is the nearest folder above it holding one of these (else the
  -- current directory, when the file is inside it)
  root_markers = { ".codeindex", ".codeindex.toml", ".git" },
  -- filetypes to attach to (nil: every file buffer)
  filetypes = nil,
  -- how the server is started: "auto" picks "enable" (vim.lsp.config/vim.lsp.enable, 0.11+),
  -- else "start" (vim.lsp.start, 0.8+), else "start_client" (0.7)
  attach = "auto",
  -- where :CodeIndex search and symbols put their results: "quickfix" or "select" (vim.ui.select)
  picker = "quickfix",
  -- the search request's options (codeindex.search): limit, mode ("hybrid", "semantic", "lexical")
  search = { limit = 30 },
}

local ATTACH = { auto = true, enable = true, start = true, start_client = true }
local PICKERS = { quickfix = true, select = true }

local function check(ok, message)
  if not ok then
    error("codeindex.setup: " .. message, 0)
  end
end

--- The defaults with `opts` merged in; raises an error naming a wrong option.
function M.resolve(opts)
  check(opts == nil or type(opts) == "table", "expected a table of options, got " .. type(opts))
  local cfg = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if type(cfg.cmd) == "string" then
    cfg.cmd = { cfg.cmd, "lsp" }
  end
  check(
    type(cfg.cmd) == "table" and type(cfg.cmd[1]) == "string",
    'cmd must be a list like { "codeindex", "lsp" }, got ' .. vim.inspect(cfg.cmd)
  )
  check(type(cfg.settings) == "table", "settings must be a table, got " .. type(cfg.settings))
  check(type(cfg.root_markers) == "table", "root_markers must be a list of file or folder names")
  check(cfg.filetypes == nil or type(cfg.filetypes) == "table", "filetypes must be a list or nil")
  check(
    ATTACH[cfg.attach],
    'attach must be "auto", "enable", "start" or "start_client", got ' .. vim.inspect(cfg.attach)
  )
  check(PICKERS[cfg.picker], 'picker must be "quickfix" or "select", got ' .. vim.inspect(cfg.picker))
  return cfg
end

return M
