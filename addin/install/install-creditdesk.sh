#!/bin/sh
# Installs Python and Creditdesk for the desktop workbook Creditdesk.xlsm (macOS), in one
# command in Terminal, without administrator rights:
#
#   curl -LsSf https://YOUR-SERVER/install-creditdesk.sh | sh
#
# It installs uv (Astral's Python installer) if missing, a private Python 3.12 and a virtual
# environment in ~/.creditdesk/venv (where Creditdesk.xlsm's xlwings.conf sheet looks for
# python), Creditdesk with xlwings into it, and xlwings' AppleScript that lets Excel start
# Python (xlwings runpython install). Run it again to upgrade. Your administrator sets WHEEL
# below (or CREDITDESK_WHEEL) to where the Creditdesk wheel is published.
set -eu
WHEEL="${CREDITDESK_WHEEL:-https://YOUR-SERVER/creditdesk-0.1.0-py3-none-any.whl}"
VENV="$HOME/.creditdesk/venv"
UV="$HOME/.local/bin/uv"
if [ ! -x "$UV" ]; then
    echo "Installing uv (it installs Python)..."
    curl -LsSf https://astral.sh/uv/install.sh | sh
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Installing Python 3.12 into $VENV..."
    "$UV" venv --python 3.12 "$VENV"
fi
echo "Installing Creditdesk from $WHEEL..."
"$UV" pip install --python "$VENV/bin/python" --reinstall-package creditdesk \
    "creditdesk[addin] @ $WHEEL"
"$VENV/bin/xlwings" runpython install
echo
echo "Creditdesk is installed. Open Creditdesk.xlsm and click Refresh on its Start sheet."
