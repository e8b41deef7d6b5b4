#!/usr/bin/env bash
# Stops this pod when it has been idle AUTOSTOP_IDLE_MIN minutes (GPU below AUTOSTOP_GPU_BUSY % and no
# JupyterLab activity) or has run AUTOSTOP_HARD_MIN minutes, whichever comes first: `runpodctl stop pod
# $RUNPOD_POD_ID` (every pod has runpodctl with a pod-scoped key). Stopping keeps the network volume.
# Spot pods get ~5 s between the stop signal and the kill: write results on the volume atomically
# (write a temp file, then mv), never in place.
#   autostop.sh start    run the timer (bootstrap.sh starts it in the background)
#   autostop.sh cancel   stop the timer; the pod keeps running (and billing)
#   autostop.sh status   is a timer running, and its settings
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
idle_s=${AUTOSTOP_IDLE_S:-$(( ${AUTOSTOP_IDLE_MIN:-30} * 60 ))}
hard_s=${AUTOSTOP_HARD_S:-$(( ${AUTOSTOP_HARD_MIN:-240} * 60 ))}
poll_s=${AUTOSTOP_POLL_S:-30}
busy_pct=${AUTOSTOP_GPU_BUSY:-5}
state=${AUTOSTOP_DIR:-/tmp/invoice-lab-autostop}   # on the container disk: a new pod never inherits a cancel
pidfile="$state/pid"

log() { echo "autostop: $(date -u +%FT%TZ) $*"; }

gpu_busy() {   # true when any GPU is above busy_pct % utilisation
  command -v nvidia-smi >/dev/null || return 1
  local u
  for u in $(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null); do
    [ "$u" -ge "$busy_pct" ] && return 0
  done
  return 1
}

jupyter_last_activity() {   # epoch seconds of JupyterLab's last activity, or nothing
  local token json ts
  token=$(cat "$WORKSPACE/.jupyter_token" 2>/dev/null) || return 0
  json=$(curl -sf "http://127.0.0.1:$JUPYTER_PORT/api/status?token=$token" 2>/dev/null) || return 0
  ts=$(echo "$json" | sed -n 's/.*"last_activity": *"\([^"]*\)".*/\1/p')
  if [ -n "$ts" ]; then date -d "$ts" +%s 2>/dev/null || true; fi
}

stop_pod() {
  log "stopping pod ${RUNPOD_POD_ID}: $1"
  rm -f "$pidfile"
  exec runpodctl stop pod "$RUNPOD_POD_ID"
}

run() {
  [ -n "${RUNPOD_POD_ID:-}" ] || { echo "autostop: RUNPOD_POD_ID is not set: not on a pod, nothing to stop" >&2; exit 1; }
  command -v runpodctl >/dev/null || { echo "autostop: runpodctl not found on PATH" >&2; exit 1; }
  mkdir -p "$state"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "already running (pid $(cat "$pidfile"))"; exit 0
  fi
  echo $$ > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
  rm -f "$state/cancel"
  trap 'rm -f "$pidfile"; log "cancelled"; exit 0' TERM INT
  local t0 now last ja
  t0=$(date +%s); last=$t0
  log "started: idle ${idle_s}s, hard ${hard_s}s, poll ${poll_s}s, GPU busy >= ${busy_pct}%"
  while :; do
    [ -e "$state/cancel" ] && { rm -f "$pidfile" "$state/cancel"; log "cancelled"; exit 0; }
    now=$(date +%s)
    gpu_busy && last=$now
    ja=$(jupyter_last_activity)
    [ -n "$ja" ] && [ "$ja" -gt "$last" ] && last=$ja
    (( now - t0 >= hard_s )) && stop_pod "hard limit of ${hard_s}s reached"
    (( now - last >= idle_s )) && stop_pod "idle for $(( now - last ))s"
    sleep "$poll_s" & wait $!
  done
}

case "${1:-}" in
  start) run ;;
  cancel)
    mkdir -p "$state"; touch "$state/cancel"
    if [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then echo "autostop: cancelled"; else echo "autostop: no timer running"; fi ;;
  status)
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "autostop: running (pid $(cat "$pidfile")): idle ${idle_s}s, hard ${hard_s}s"
    else echo "autostop: not running"; fi ;;
  *) echo "usage: $0 start|cancel|status" >&2; exit 2 ;;
esac
