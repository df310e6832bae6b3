#!/bin/sh
chmod 777 /srv/app/run.sh
chmod -R a+rwx /srv/app/data
