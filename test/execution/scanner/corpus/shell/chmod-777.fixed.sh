#!/bin/sh
chmod 755 /srv/app/run.sh
chmod -R u+rwX,go-w /srv/app/data
