-- codeindex.nvim: the codeindex language server in Neovim (0.7 through current).
--
--   require("codeindex").setup({ cmd = { "codeindex", "lsp" }, settings = { ... } })
--
-- starts `codeindex lsp` per project root and attaches file buffers to it, defines
-- `:CodeIndex`, keeps the server's `codeindex/status` for require("codeindex").status()
-- (a statusline component) and leaves `$/progress` to Neovim's own handler, so
-- vim.lsp.status() and fidget.nvim show the reindex progress. See :help codeindex.
local M = {}

--- The options in use (after setup).
M.config = nil

--- Start the server for project files, define :CodeIndex; `opts` as in :help codeindex-setup.
function M.setup(opts)
  M.config = require("codeindex.config").resolve(opts)
  M.method = require("codeindex.lsp").enable(M.config)
  require("codeindex.commands").create()
end

local function short(text, width)
  if #text <= width then
    return text
  end
  return text:sub(1, width - 1) .. "…"
end

--- The index's state for a statusline: "codeindex: indexing 42%", "codeindex: idle", ...;
--- "" when no codeindex server serves the current buffer or directory.
function M.status()
  local lsp = require("codeindex.lsp")
  local client = lsp.client(0)
  if client == nil then
    return ""
  end
  local s = lsp.statuses[client.id]
  if s == nil then
    return "codeindex: starting"
  end
  local text = "codeindex: " .. s.state
  if type(s.percent) == "number" then
    text = text .. " " .. s.percent .. "%"
  elseif s.state == "error" and type(s.message) == "string" then
    text = text .. " (" .. short(s.message, 40) .. ")"
  end
  return text
end

return M
