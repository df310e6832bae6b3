#!/bin/sh
export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345
DB_PASSWORD='Hunter2!Hunter2!'
