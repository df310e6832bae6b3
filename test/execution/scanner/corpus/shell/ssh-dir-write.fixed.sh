#!/bin/sh
ssh-keygen -lf ~/.ssh/id_ed25519.pub
cp ~/.ssh/known_hosts ./known_hosts.backup
echo "ssh-ed25519 AAAAC3Nza deploy" > ./authorized_keys.example
