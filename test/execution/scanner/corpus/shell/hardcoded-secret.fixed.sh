#!/bin/sh
export GITHUB_TOKEN="${GITHUB_TOKEN:?set GITHUB_TOKEN}"
DB_PASSWORD="$(cat /run/secrets/db_password)"
