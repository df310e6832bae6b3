#!/bin/sh
# README "Identity", the five-minute walk-through, runnable: `sh examples/identity-walkthrough.sh`
# in an empty folder (it runs this clone's dist/cli/agt.js, since `npx agt` finds the CLI only inside
# the clone; set AGT to another command, e.g. AGT=agt when it is on your PATH).
# test/cli/identity-walkthrough.test.ts runs exactly these commands and checks every outcome.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
agt() { if [ -n "${AGT:-}" ]; then $AGT "$@"; else node "$HERE/../dist/cli/agt.js" "$@"; fi; }

# 1. init: a policy, a zero-trust agt.config.yaml and the issuer's key (keys/issuer.jwk, 0600)
agt init

# 2. issue: an agent key (its id is its did:key) and a credential saying what it may be
DID=$(agt identity new --out agent.jwk)
agt credential issue --issuer keys/issuer.jwk --subject "$DID" --ring 2 --roles support \
  --tools 'crm.*,search' --trust 600 --ttl 1h --out agent.cred

# 3. sign: each request gets a signed envelope over exactly its tool and arguments
cat > requests.jsonl <<'JSONL'
{"tool_name":"search","args":{"query":"refund policy"}}
{"tool_name":"crm.lookup","args":{"action":"read","id":7}}
{"tool_name":"db","args":{"action":"read","table":"orders"}}
JSONL
agt identity sign --key agent.jwk --credential agent.cred --input requests.jsonl > signed.jsonl

# 4. decide: one process decides every line; the last line replays the first
(cat signed.jsonl; head -n 1 signed.jsonl) > batch.jsonl
agt policy eval --config agt.config.yaml --inputs batch.jsonl

# 5. delegate: the agent hands a narrower part (crm.lookup only, 10 minutes) to a helper agent
CHILD=$(agt identity new --out helper.jwk)
agt credential delegate --key agent.jwk --credential agent.cred --subject "$CHILD" \
  --tools 'crm.lookup' --ttl 10m --out helper.cred
agt identity sign --key helper.jwk --credential helper.cred --input requests.jsonl \
  | agt policy eval --config agt.config.yaml --inputs -

# 6. revoke: the agent's next action is denied in every process, and so is its helper's
agt identity revoke "$DID"
agt identity sign --key agent.jwk --credential agent.cred --input requests.jsonl \
  | agt policy eval --config agt.config.yaml --inputs -
agt identity sign --key helper.jwk --credential helper.cred --input requests.jsonl \
  | agt policy eval --config agt.config.yaml --inputs -

# 7. hand-off: agent-to-agent messages are sealed and opened by the trust gate: node examples/handoff.mjs
