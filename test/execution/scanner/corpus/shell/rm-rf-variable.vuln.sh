#!/bin/bash
rm -rf "$BUILD_DIR"/
rm -r -f ${CACHE}/tmp
sudo rm --recursive --force "$HOME/$TARGET"
