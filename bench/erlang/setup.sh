#!/bin/sh
# `npm run bench:setup`: installs Erlang/OTP (erl and erlc) for `npm run bench:compare` where it
# is missing. Debian/Ubuntu only (apt-get install erlang-base); anywhere else it says what to do.
set -eu

if command -v erl >/dev/null 2>&1 && command -v erlc >/dev/null 2>&1; then
  echo "bench:setup: Erlang/OTP $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().') is installed ($(command -v erl))."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench:setup: cannot install Erlang/OTP here: no apt-get. Install it with your system's package manager" >&2
  echo "             (erl and erlc on PATH); bench:compare runs without the Erlang baselines until then." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "bench:setup: cannot install Erlang/OTP: not root and no sudo. Run as root: apt-get install -y erlang-base" >&2
    exit 1
  fi
fi

# A fresh machine may have no package lists yet: update only when apt knows no candidate.
if ! apt-cache policy erlang-base 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  echo "bench:setup: apt-get update"
  $SUDO apt-get update
fi

echo "bench:setup: apt-get install -y erlang-base"
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y erlang-base; then
  echo "bench:setup: installing erlang-base failed (see above); bench:compare runs without the Erlang baselines." >&2
  exit 1
fi
echo "bench:setup: Erlang/OTP $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().') installed."
