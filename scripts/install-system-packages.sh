#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
# ffmpeg decodes recordings; espeak-ng and sox synthesise test speech; chromium and its
# driver run the web app's end-to-end test; fonts for readable screenshots.
set -euo pipefail

declare -A package_of=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [espeak-ng]=espeak-ng [sox]=sox
  [chromium]=chromium [chromedriver]=chromium-driver [shellcheck]=shellcheck
)
missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
packages=$(printf '%s\n' "${missing[@]}" libsox-fmt-all | sort -u | tr '\n' ' ')
echo "Installing system packages: $packages"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
