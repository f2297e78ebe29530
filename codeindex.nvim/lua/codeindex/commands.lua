-- `:CodeIndex {subcommand} ...`: the server's workspace/executeCommand commands for
-- people, with completion. Answers are shown with vim.notify; search hits and symbols go
-- to the quickfix list (or vim.ui.select, `picker = "select"`).
local lsp = require("codeindex.lsp")

local M = {}

local SCOPES = { "project", "file", "files", "directory", "embeddings-only" }
local INFO, WARN, ERROR = vim.log.levels.INFO, vim.log.levels.WARN, vim.log.levels.ERROR

local function say(text, level)
  vim.notify("codeindex: " .. text, level or INFO)
end

local function value(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- Run `codeindex.{command}` with one argument object (nil: none) on the buffer's server;
--- `show` gets the result.
function M.run(command, argument, show)
  local client = lsp.client(0)
  if client == nil then
    say(
      "no server for this buffer: open a file of a project (a folder with .git, .codeindex or "
        .. ".codeindex.toml), or see :checkhealth codeindex",
      ERROR
    )
    return
  end
  local params = { command = "codeindex." .. command, arguments = argument and { argument } or nil }
  lsp.request(client, "workspace/executeCommand", params, function(err, result)
    if err then
      say(command .. ": " .. tostring(err.message), ERROR)
    else
      show(result, client)
    end
  end)
end

local function absolute(path)
  return (vim.fn.fnamemodify(path, ":p"):gsub("/$", ""))
end

local function reindex(args)
  local scope = args[1] or "project"
  if not vim.tbl_contains(SCOPES, scope) then
    say("unknown scope " .. scope .. ": use one of " .. table.concat(SCOPES, ", "), ERROR)
    return
  end
  local paths = vim.tbl_map(absolute, vim.list_slice(args, 2))
  if #paths == 0 and (scope == "file" or scope == "files") then
    paths = { absolute(vim.api.nvim_buf_get_name(0)) }
  elseif #paths == 0 and scope == "directory" then
    paths = { vim.fn.getcwd() }
  end
  local argument = { scope = scope, paths = #paths > 0 and paths or nil }
  M.run("forceReindex", argument, function(r)
    say(("%s %s: %s"):format(r.task_id, r.status, value(r.message) or ""))
  end)
end

local function status()
  M.run("indexStatus", nil, function(s)
    local tasks = {}
    for name, count in pairs(s.queue.tasks_by_status or {}) do
      table.insert(tasks, name .. " " .. count)
    end
    table.sort(tasks)
    local e = s.embeddings
    say(("%d files indexed, %d symbols, %d chunks (%d pending embedding); model %s; tasks: %s"):format(
      s.files.by_status.indexed or 0,
      s.symbols,
      s.chunks,
      e.chunks_pending,
      e.configured_model,
      #tasks > 0 and table.concat(tasks, ", ") or "none"
    ))
  end)
end

local function task_line(t)
  return ("%s %s %d%% %s"):format(t.task_id, t.status, math.floor(t.progress * 100), value(t.message) or "")
end

local function tasks()
  M.run("listTasks", { limit = 10 }, function(list)
    if #list == 0 then
      say("no tasks")
      return
    end
    say("tasks, newest first:\n" .. table.concat(vim.tbl_map(task_line, list), "\n"))
  end)
end

-- which tasks each control applies to when no id is given, most likely first
local CONTROLS = {
  pause = { command = "pauseReindex", statuses = { "Running", "Queued" } },
  resume = { command = "resumeReindex", statuses = { "Paused" } },
  cancel = { command = "cancelReindex", statuses = { "Running", "Paused", "Queued" } },
}

local function pick_task(list, statuses)
  for _, wanted in ipairs(statuses) do
    for _, t in ipairs(list) do
      if t.status == wanted then
        return t.task_id
      end
    end
  end
  return nil
end

local function control(name, args)
  local spec = CONTROLS[name]
  local function send(task_id)
    M.run(spec.command, { task_id = task_id }, function(t)
      say(("%s %s"):format(t.task_id, t.status))
    end)
  end
  if args[1] then
    send(args[1])
    return
  end
  M.run("listTasks", { limit = 50 }, function(list)
    local task_id = pick_task(list, spec.statuses)
    if task_id == nil then
      say(("no task to %s (none is %s)"):format(name, table.concat(spec.statuses, " or ")), WARN)
      return
    end
    send(task_id)
  end)
end

local function validate()
  M.run("validateIndex", nil, function(r)
    if r.ok then
      say(("index is valid (%d files checked)"):format(r.files_checked))
      return
    end
    local lines = {}
    for _, p in ipairs(r.problems) do
      local fix = ":CodeIndex reindex " .. p.fix.scope .. " " .. table.concat(p.fix.paths or {}, " ")
      table.insert(lines, ("%s: %s (fix: %s)"):format(p.kind, p.detail, vim.trim(fix)))
    end
    local head = ("%d problem(s) (%d files checked):\n"):format(#r.problems, r.files_checked)
    say(head .. table.concat(lines, "\n"), WARN)
  end)
end

--- Show locations ({filename, lnum, col, text}) in the quickfix list or vim.ui.select.
function M.show(title, items)
  if #items == 0 then
    say(title .. ": nothing found", WARN)
    return
  end
  if require("codeindex").config.picker == "select" then
    vim.ui.select(items, {
      prompt = title,
      format_item = function(item)
        return ("%s:%d: %s"):format(vim.fn.fnamemodify(item.filename, ":."), item.lnum, item.text)
      end,
    }, function(item)
      if item then
        vim.cmd("edit " .. vim.fn.fnameescape(item.filename))
        vim.api.nvim_win_set_cursor(0, { item.lnum, math.max((item.col or 1) - 1, 0) })
      end
    end)
    return
  end
  vim.fn.setqflist({}, " ", { title = title, items = items })
  vim.cmd("copen")
end

local function filename(client, hit)
  return (value(hit.root) or client.config.root_dir) .. "/" .. hit.path
end

local function search(args)
  local query = table.concat(args, " ")
  local opts = require("codeindex").config.search
  local argument = vim.tbl_extend("force", opts, { query = query })
  M.run("search", argument, function(r, client)
    local items = {}
    for _, h in ipairs(r.hits) do
      local text = (value(h.symbol) and (h.symbol .. ": ") or "") .. vim.trim(h.snippet):gsub("%s+", " ")
      table.insert(items, { filename = filename(client, h), lnum = h.line, col = 1, text = text })
    end
    if value(r.note) then
      say(r.note, WARN)
    end
    M.show("codeindex search: " .. query, items)
  end)
end

local function symbols(args)
  local query = table.concat(args, " ")
  M.run("findSymbol", { name = query }, function(r, client)
    local items = {}
    for _, s in ipairs(r.symbols or r) do
      local text = ("[%s] %s%s"):format(s.kind, value(s.container) and (s.container .. ".") or "", s.name)
      table.insert(items, { filename = filename(client, s), lnum = s.start_line, col = s.start_col + 1, text = text })
    end
    M.show("codeindex symbols: " .. query, items)
  end)
end

local SUBCOMMANDS = {
  reindex = reindex,
  status = status,
  tasks = tasks,
  pause = function(args)
    control("pause", args)
  end,
  resume = function(args)
    control("resume", args)
  end,
  cancel = function(args)
    control("cancel", args)
  end,
  validate = validate,
  search = search,
  symbols = symbols,
}
local NEEDS_TEXT = { search = "a query", symbols = "a name (or its start)" }

local function names()
  local list = vim.tbl_keys(SUBCOMMANDS)
  table.sort(list)
  return list
end

--- `:CodeIndex` itself: dispatch to the subcommand.
function M.dispatch(opts)
  local name, args = opts.fargs[1], vim.list_slice(opts.fargs, 2)
  local run = name and SUBCOMMANDS[name]
  if run == nil then
    say(
      ("unknown subcommand %s: use one of %s"):format(vim.inspect(name or ""), table.concat(names(), ", ")),
      ERROR
    )
    return
  end
  if NEEDS_TEXT[name] and #args == 0 then
    say((":CodeIndex %s needs %s"):format(name, NEEDS_TEXT[name]), ERROR)
    return
  end
  run(args)
end

local function task_ids(statuses)
  local client = lsp.client(0)
  if client == nil then
    return {}
  end
  local list = lsp.request_sync(client, "workspace/executeCommand", {
    command = "codeindex.listTasks",
    arguments = { { limit = 50 } },
  }, 1000)
  local ids = {}
  for _, t in ipairs(list or {}) do
    if vim.tbl_contains(statuses, t.status) then
      table.insert(ids, t.task_id)
    end
  end
  return ids
end

local function matching(list, lead)
  return vim.tbl_filter(function(item)
    return vim.startswith(item, lead)
  end, list)
end

--- Completion of `:CodeIndex`: subcommands, reindex scopes then paths, task ids.
function M.complete(lead, line)
  local words = vim.split(line:sub(1, #line - #lead), "%s+", { trimempty = true })
  if #words <= 1 then
    return matching(names(), lead)
  end
  local name = words[2]
  if name == "reindex" and #words == 2 then
    return matching(SCOPES, lead)
  elseif name == "reindex" then
    return vim.fn.getcompletion(lead, "file")
  elseif CONTROLS[name] and #words == 2 then
    return matching(task_ids(CONTROLS[name].statuses), lead)
  end
  return {}
end

--- Define `:CodeIndex`.
function M.create()
  vim.api.nvim_create_user_command("CodeIndex", M.dispatch, {
    nargs = "+",
    complete = M.complete,
    desc = "codeindex: reindex, status, tasks, pause, resume, cancel, validate, search, symbols",
  })
end

return M
