-- Runs after README's Neovim 0.7 setup and user commands were sourced (see
-- test_lsp_neovim.py): uses the commands as a person would and writes what it saw as
-- JSON to $CODEINDEX_NVIM_OUT.
local out = assert(os.getenv("CODEINDEX_NVIM_OUT"), "CODEINDEX_NVIM_OUT is not set")
local seen = { errors = {}, seconds = {} }

local function wait(what, seconds, done)
  local started = vim.loop.hrtime()
  if not vim.wait(seconds * 1000, done, 20) then
    table.insert(seen.errors, "timed out waiting for " .. what)
  end
  seen.seconds[what] = (vim.loop.hrtime() - started) / 1e9
end
local function printed(text)
  return function()
    return vim.fn.execute("messages"):find(text, 1, true) ~= nil
  end
end
local function quickfix(title)
  return function()
    local qf = vim.fn.getqflist({ title = 1, size = 1 })
    return qf.size > 0 and qf.title:find(title, 1, true) ~= nil
  end
end

wait("the first codeindex/status", 60, function() return vim.g.codeindex_status ~= nil end)
vim.cmd("edit cobra-go/args.go")
seen.attached = #vim.lsp.buf_get_clients(0)

vim.cmd("CodeIndexStatus")
wait(":CodeIndexStatus", 60, printed("files indexed"))
vim.cmd("CodeIndexReindex directory cobra-go")
wait(":CodeIndexReindex", 60, printed("file(s) queued"))
vim.cmd("CodeIndexTasks")
wait(":CodeIndexTasks", 60, printed("Completed 100% 381 of 381 files done"))
vim.cmd("CodeIndexValidate")
wait(":CodeIndexValidate", 120, function()
  local m = vim.fn.execute("messages")
  return m:find("index is valid", 1, true) ~= nil or m:find("problem(s)", 1, true) ~= nil
end)
vim.cmd("CodeIndexSearch execute command")
wait(":CodeIndexSearch", 60, quickfix("codeindex: execute command"))
seen.search = vim.fn.getqflist()
vim.cmd("wincmd p") -- back from the quickfix window to the file
vim.cmd("CodeIndexSymbol Observable")
wait(":CodeIndexSymbol", 60, quickfix("Symbols"))
seen.symbols = vim.fn.getqflist()

seen.messages = vim.fn.execute("messages")
seen.status = vim.g.codeindex_status
local file = assert(io.open(out, "w"))
file:write(vim.fn.json_encode(seen))
file:close()
vim.cmd("qa!")
