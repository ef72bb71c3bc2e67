#!/bin/sh
# Install the scorecard units with this checkout's paths.
#   sh deploy/systemd/install.sh APP_DIR [UNIT_DIR] [USER] [ENV_FILE]
# APP_DIR   the checkout (holds process.py and .venv), e.g. /opt/scorecard
# UNIT_DIR  where the units go (default /etc/systemd/system; any folder for a trial)
# USER      the dedicated account the service runs as (default scorecard)
# ENV_FILE  the SMTP settings file (default /etc/scorecard/scorecard.env)
set -eu
app=${1:?usage: install.sh APP_DIR [UNIT_DIR] [USER] [ENV_FILE]}
dest=${2:-/etc/systemd/system}
user=${3:-scorecard}
envfile=${4:-/etc/scorecard/scorecard.env}
here=$(cd "$(dirname "$0")" && pwd)
app=$(cd "$app" && pwd)
[ -x "$app/.venv/bin/python" ] || { echo "no $app/.venv/bin/python: create the venv first (make run)" >&2; exit 1; }
mkdir -p "$dest"
for unit in scorecard-run.service scorecard-run.timer scorecard-watch.service scorecard-remind.service scorecard-remind.timer; do
    sed -e "s#/etc/scorecard/scorecard.env#$envfile#g" \
        -e "s#/opt/scorecard#$app#g" \
        -e "s#^User=scorecard\$#User=$user#" \
        -e "s#^Group=scorecard\$#Group=$user#" \
        "$here/$unit" > "$dest/$unit"
    echo "installed $dest/$unit"
done
