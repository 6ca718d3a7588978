#!/usr/bin/env bash
# Every benchmark in one table (crackseg bench all), ending with one `name: value` line per figure.
# Data figures use the quickstart's synthetic data (or pass a dataset: scripts/bench.sh --data DIR).
# The training-loop figures use configs/quickstart.yaml over 10 epochs; the model figures use the
# configurations the Python reference was timed with (seed preset batch 2, small variant batch 4, 256x256).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/CrackSeg.Cli -v quiet -nologo >/dev/null
dotnet src/CrackSeg.Cli/bin/Release/net10.0/linux-x64/crackseg.dll bench all --config configs/quickstart.yaml logging.progress=plain "$@"
