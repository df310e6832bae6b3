#!/bin/sh
set -eu
curl -fsSL -o install.sh https://example.com/install.sh
echo "3b1f0c2e9a7d  install.sh" | sha256sum -c -
sh install.sh
