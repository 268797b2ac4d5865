#!/usr/bin/env bash
# Installs the Debian packages Madoguchi needs, when they are missing.
#   scripts/bootstrap.sh run    python3-venv (to create .venv), the IPAex fonts printed forms embed
#   scripts/bootstrap.sh test   the above, plus Chromium and Japanese fonts for the browser tests, and
#                               poppler-utils (pdftotext, pdffonts) for the printed-form tests
#   scripts/bootstrap.sh bench  the run set, plus fonts-klee (a handwriting-style font, SIL OFL 1.1) for the
#                               hand-print set of `make bench-ocr` (without it the bench jitters a gothic font)
# `run` includes tesseract-ocr with tesseract-ocr-jpn: the paper intake's second OCR engine (Apache-2.0).
# As root it installs them with apt-get; otherwise it prints the exact apt-get line and stops.
set -euo pipefail

purpose="${1:-run}"
missing=()

if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
# Printed forms (procedures.forms) embed these TrueType fonts (IPA Font License: embedding allowed).
[ -f /usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf ] || missing+=("fonts-ipaexfont-mincho")
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || missing+=("fonts-ipaexfont-gothic")
# The paper intake's second OCR engine (intake/engine/engines/tess.py) and its Japanese model.
command -v tesseract >/dev/null 2>&1 || missing+=("tesseract-ocr")
ls /usr/share/tesseract-ocr/*/tessdata/jpn.traineddata >/dev/null 2>&1 || missing+=("tesseract-ocr-jpn")
if [ "$purpose" = "bench" ]; then
  compgen -G "/usr/share/fonts/*/*klee/KleeOne-Regular.ttf" >/dev/null || missing+=("fonts-klee")
fi
if [ "$purpose" = "test" ]; then
  [ -x /usr/bin/chromium ] || missing+=("chromium")
  [ -d /usr/share/fonts/opentype/noto ] || missing+=("fonts-noto-cjk")
  command -v pdftotext >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1 || missing+=("poppler-utils")
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Madoguchi needs these Debian packages: ${missing[*]}" >&2
  echo "Install them as root, then run the command again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
