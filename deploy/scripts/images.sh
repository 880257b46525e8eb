#!/usr/bin/env bash
# Builds fastsafe/authserver:local, fastsafe/resourceserver:local and
# fastsafe/oauth2-proxy:local (the demo relying party) from the binaries in
# bin/image (make image-bins), pulling nothing, and checks that each is under
# its size limit (35 MB; 40 MB for oauth2-proxy). Run it as `make images`.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "$0")/lib.sh"

need_docker
build_images
