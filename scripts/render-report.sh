#!/usr/bin/env bash
# Renders a CrackSeg HTML report in headless Chromium (Debian's package) and checks that the
# screenshot is not blank. Usage: scripts/render-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# Installs chromium with apt-get when it is missing (needs root). Exit 0: rendered and not blank.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$(realpath -e -- "$1") || { echo "render-report: no such file: $1" >&2; exit 2; }
out=$(realpath -m -- "$2")
size=${3:-1280x2000}
mkdir -p "$(dirname "$out")"

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "render-report: chromium is not installed; run: sudo apt-get install -y chromium" >&2
    exit 2
  fi
  echo "render-report: installing chromium (apt-get)..." >&2
  start=$(date +%s)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "render-report: chromium installed in $(( $(date +%s) - start )) s" >&2
  browser=$(command -v chromium)
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
# The background-networking flags keep Chromium from dialling out on a closed network; the
# virtual time budget lets web fonts (the report's bundled fallback face) load before the shot.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --virtual-time-budget=5000 --user-data-dir="$profile" --window-size="${size/x/,}" \
  --screenshot="$out" "file://$report" >/dev/null 2>"$profile/stderr" || {
    echo "render-report: chromium failed:" >&2; tail -20 "$profile/stderr" >&2; exit 1; }
[[ -s "$out" ]] || { echo "render-report: chromium wrote no screenshot" >&2; tail -20 "$profile/stderr" >&2; exit 1; }

# Blank check with the Python standard library only (zlib + PNG unfiltering).
python3 - "$out" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, 'rb').read()
if data[:8] != b'\x89PNG\r\n\x1a\n':
    sys.exit(f"render-report: {path} is not a PNG")
pos, idat, w = 8, [], 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat.append(body)
    pos += 12 + n
if depth != 8 or ctype not in (2, 6) or interlace:
    sys.exit(f"render-report: unsupported PNG layout (depth {depth}, colour type {ctype}, interlace {interlace})")
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b''.join(idat))
stride = w * bpp
prev = bytearray(stride)
colours, nonwhite, sampled = set(), 0, 0
for y in range(h):
    f = raw[y * (stride + 1)]
    row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride): row[i] = (row[i] + row[i - bpp]) & 255
    elif f == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, prev))
    elif f == 3:
        for i in range(stride): row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = row
    if y % 2 == 0:
        for x in range(0, stride, bpp * 2):
            px = bytes(row[x:x + 3]); colours.add(px); sampled += 1
            if px != b'\xff\xff\xff': nonwhite += 1
share = nonwhite / max(sampled, 1)
print(f"render-report: {path}: {w}x{h}, {len(colours)} distinct colours, {share:.1%} non-white pixels")
if len(colours) < 32 or share < 0.02:
    sys.exit("render-report: the screenshot looks blank")
PY
