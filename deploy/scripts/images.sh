#!/usr/bin/env bash
# Builds fastsafe/authserver:local and fastsafe/resourceserver:local from the
# binaries in bin/image (make image-bins), pulling nothing, and checks that
# each is under 30 MB. Run it as `make images`.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "$0")/lib.sh"

need_docker
build_images
