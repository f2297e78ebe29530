-- Uses codeindex.nvim as a person would, after tests/lsp/nvim/plugin_init.lua set it up
-- (nvim --headless -u plugin_init.lua -c "luafile plugin.lua", in an indexed workspace):
-- opens a file, runs every :CodeIndex subcommand, completes, reads the statusline and
-- checkhealth, and writes what it saw as JSON to $CODEINDEX_NVIM_OUT, then quits.
-- Every wait is on a condition (vim.wait), bounded.
local out = assert(os.getenv("CODEINDEX_NVIM_OUT"), "CODEINDEX_NVIM_OUT is not set")
local codeindex = require("codeindex")
local commands = require("codeindex.commands")
local lsp = require("codeindex.lsp")

local seen = { errors = {}, notes = {}, statuslines = {}, progress = {}, seconds = {} }
seen.method = codeindex.method

local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(seen.notes, { text = tostring(msg), level = level })
  return notify(msg, level, opts)
end

local function wait(what, seconds, done)
  local started = (vim.uv or vim.loop).hrtime()
  local ok = vim.wait(seconds * 1000, done, 20)
  seen.seconds[what] = ((vim.uv or vim.loop).hrtime() - started) / 1e9
  if not ok then
    table.insert(seen.errors, "timed out waiting for " .. what)
    return false
  end
  return true
end
local function noted(pattern, after)
  return function()
    for i = (after or 0) + 1, #seen.notes do
      if seen.notes[i].text:find(pattern) then
        return seen.notes[i].text
      end
    end
    return nil
  end
end
-- runs an Ex command and waits for a notification after it that matches `pattern`
local function run(line, what, pattern)
  local before = #seen.notes
  pcall(vim.cmd, line) -- an error notification raises inside vim.cmd on 0.7
  wait(what, 60, noted(pattern, before))
  return noted(pattern, before)()
end

vim.api.nvim_create_autocmd("User", {
  pattern = "CodeIndexStatus",
  callback = function()
    local text = codeindex.status()
    if seen.statuslines[#seen.statuslines] ~= text then
      table.insert(seen.statuslines, text)
    end
  end,
})
local function on_progress()
  local text
  if vim.lsp.status then
    text = vim.lsp.status()
  else
    text = vim.fn.json_encode(vim.lsp.util.get_progress_messages())
  end
  if text ~= "" then
    table.insert(seen.progress, text)
  end
end
if vim.fn.exists("##LspProgress") == 1 then
  vim.api.nvim_create_autocmd("LspProgress", { callback = on_progress })
else
  vim.api.nvim_create_autocmd("User", { pattern = "LspProgressUpdate", callback = on_progress })
end

local function stop(client)
  seen.statusline = codeindex.status()
  vim.o.statusline = "%{v:lua.require'codeindex'.status()}" -- as README shows
  seen.statusline_drawn = vim.api.nvim_eval_statusline(vim.o.statusline, {}).str
  if vim.fn.has("nvim-0.11") == 1 then
    client:stop()
  else
    client.stop()
  end
  wait("the server to exit", 60, function()
    return #lsp.clients() == 0
  end)
  seen.statusline_after = codeindex.status()
end

local function drive()
  vim.cmd("edit cobra-go/args.go")
  wait("the client to attach and report its status", 60, function()
    local client = lsp.client(0)
    return client ~= nil and vim.lsp.buf_is_attached(0, client.id) and lsp.statuses[client.id] ~= nil
  end)
  local client = lsp.client(0)
  seen.attached = client ~= nil
  seen.root = client and client.config.root_dir
  if os.getenv("CODEINDEX_NVIM_QUICK") then -- another attach method and picker = "select"
    seen.status = run("CodeIndex status", ":CodeIndex status", "files indexed")
    vim.ui.select = function(items, opts, on_choice) -- what a person picks: the first
      seen.select = { prompt = opts.prompt, items = vim.tbl_map(opts.format_item, items) }
      on_choice(items[1], 1)
    end
    vim.cmd("CodeIndex symbols Observable")
    wait("the chosen symbol's file", 60, function()
      return vim.api.nvim_buf_get_name(0):find("/Observable%.ts$") ~= nil
    end)
    seen.opened = { vim.api.nvim_buf_get_name(0), vim.api.nvim_win_get_cursor(0) }
    return stop(client)
  end
  seen.complete_subcommands = commands.complete("", "CodeIndex ")
  seen.complete_scopes = commands.complete("d", "CodeIndex reindex d")
  seen.complete_paths = commands.complete("cobra-go/ar", "CodeIndex reindex files cobra-go/ar")

  seen.bad_subcommand = run("CodeIndex frobnicate", ":CodeIndex frobnicate", "unknown subcommand")
  seen.status = run("CodeIndex status", ":CodeIndex status", "files indexed")
  seen.reindex = run("CodeIndex reindex file", ":CodeIndex reindex file", "reindex_%S+ %a+:")
  wait("the file's reindex to end (its $/progress)", 60, function()
    for _, text in ipairs(seen.progress) do
      if text:find("completed: 1/1 files", 1, true) then
        return true
      end
    end
    return false
  end)
  seen.tasks = run("CodeIndex tasks", ":CodeIndex tasks", "tasks, newest first")

  -- a project reindex to pause, resume and cancel (paused at once: 381 files take longer)
  local project = run("CodeIndex reindex project", ":CodeIndex reindex project", "reindex_%S+ %a+: .*381")
  seen.project = project
  local task_id = project and project:match("(reindex_%S+)")
  seen.pause = run("CodeIndex pause", ":CodeIndex pause", (task_id or "?") .. " Paused")
  wait("the paused status", 60, function()
    return codeindex.status() == "codeindex: paused"
  end)
  seen.complete_resume = commands.complete("", "CodeIndex resume ")
  seen.resume = run("CodeIndex resume", ":CodeIndex resume", (task_id or "?") .. " %a+$")
  seen.complete_cancel = commands.complete("", "CodeIndex cancel ")
  seen.cancel = run("CodeIndex cancel " .. (task_id or "?"), ":CodeIndex cancel", "Cancelled")
  seen.validate = run("CodeIndex validate", ":CodeIndex validate", "files checked")

  local function quickfix(title)
    return function()
      local qf = vim.fn.getqflist({ title = 1, size = 1 })
      return qf.size > 0 and qf.title == title
    end
  end
  vim.cmd("CodeIndex search execute command")
  wait(":CodeIndex search", 60, quickfix("codeindex search: execute command"))
  seen.search = vim.fn.getqflist()
  for _, item in ipairs(seen.search) do
    item.filename = vim.api.nvim_buf_get_name(item.bufnr)
  end
  vim.cmd("wincmd p")
  vim.cmd("CodeIndex symbols Observable")
  wait(":CodeIndex symbols", 60, quickfix("codeindex symbols: Observable"))
  seen.symbols = vim.fn.getqflist()
  for _, item in ipairs(seen.symbols) do
    item.filename = vim.api.nvim_buf_get_name(item.bufnr)
  end
  vim.cmd("cclose")

  vim.cmd("checkhealth codeindex")
  seen.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)

  stop(client)
end

local ok, err = xpcall(drive, debug.traceback)
if not ok then
  table.insert(seen.errors, "the driver failed: " .. tostring(err))
end
local file = assert(io.open(out, "w"))
file:write(vim.fn.json_encode(seen))
file:close()
vim.cmd("qa!")
