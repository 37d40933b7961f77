#!/bin/sh
# The floor of the harness bench's Codex figures: an MCP server that answers at once, with no
# runtime to boot (no Node). It offers one tool named like the bus's, so the scripted model
# answers it as it answers Daedalus. What Codex takes with this server beyond Codex alone is the
# cost of any required MCP server, which no server of ours can go below.
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  [ -n "$id" ] || continue
  case "$line" in
    *'"method":"initialize"'*) printf '%s\n' '{"jsonrpc":"2.0","id":'"$id"',"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"instant","version":"1"}}}' ;;
    *'"method":"tools/list"'*) printf '%s\n' '{"jsonrpc":"2.0","id":'"$id"',"result":{"tools":[{"name":"complete_task","description":"Says the task is done.","inputSchema":{"type":"object","properties":{"summary":{"type":"string"}}}}]}}' ;;
    *'"method":"tools/call"'*) printf '%s\n' '{"jsonrpc":"2.0","id":'"$id"',"result":{"content":[{"type":"text","text":"{\"done\":true}"}]}}' ;;
    *) printf '%s\n' '{"jsonrpc":"2.0","id":'"$id"',"result":{}}' ;;
  esac
done
