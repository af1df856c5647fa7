#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
#   install-system-packages.sh run    what serving the app needs: ffmpeg
#   install-system-packages.sh [test] also what the tests need: espeak-ng and sox synthesise
#                                     test speech; chromium and its driver run the web app's
#                                     end-to-end test; node and npm install axe-core, which
#                                     the browser tests run in the page; shellcheck; fonts
#                                     for screenshots; openssl makes the self-signed
#                                     certificates of the self-deletion's HTTPS test.
set -euo pipefail
purpose=${1:-test}

declare -A package_of=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg)
if [ "$purpose" != run ]; then
  package_of+=([espeak-ng]=espeak-ng [sox]=sox [chromium]=chromium
               [chromedriver]=chromium-driver [shellcheck]=shellcheck
               [node]=nodejs [npm]=npm [openssl]=openssl)
fi
missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
if [ "$purpose" != run ]; then
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  # sox reads compressed formats only with its format plugins.
  [ ${#missing[@]} -eq 0 ] || missing+=(libsox-fmt-all)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
echo "Installing system packages: $packages"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
