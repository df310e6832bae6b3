#!/bin/bash
rm -rf -- "${BUILD_DIR:?}/"
rm -rf ./dist
rm -f "$LOG_FILE"
