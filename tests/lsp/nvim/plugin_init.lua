-- A bare init file (nvim -u plugin_init.lua) for the codeindex.nvim test: the plugin on
-- the runtimepath and its setup(), nothing else. The server runs from the test's Python.
local plugin = assert(os.getenv("CODEINDEX_PLUGIN"), "CODEINDEX_PLUGIN is not set")
local python = assert(os.getenv("CODEINDEX_NVIM_PYTHON"), "CODEINDEX_NVIM_PYTHON is not set")
vim.opt.runtimepath:prepend(plugin)
require("codeindex").setup({
  cmd = { python, "-m", "codeindex", "lsp" },
  settings = { watching = false },
  attach = os.getenv("CODEINDEX_NVIM_ATTACH") or "auto",
  picker = os.getenv("CODEINDEX_NVIM_PICKER") or "quickfix",
})
