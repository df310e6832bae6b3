#!/bin/sh
if [ -f x ]; then
  echo "terminated"
fi
