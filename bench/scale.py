"""Scale: the same generated project at N and 10xN models, each phase's time ratio and peak RSS.

Two projects of ``project_gen.py`` (half Python, half SQL models, 10 layers) over a small source
(``--rows``, 1,000 by default: the figures are pyflow's own cost, not DuckDB's), at ``--small``
and ``--large`` models (1,000 and 10,000 by default). For each: ``pyflow ls`` cold (no
``target/``) and warm, ``pyflow compile`` cold, warm (every model from the compile cache) and
once more (the unchanged project answered from the compile witness), and ``pyflow build`` from
scratch, each as a whole process with its peak RSS. The last columns print large/small: linear
growth is the models' ratio (10x); less is better.

    python bench/scale.py                      # 1,000 vs 10,000 models (about 15 minutes on 2 cores)
    python bench/scale.py --small 100 --large 1000

Checked: every build must succeed with one result per model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import process_env, pyflow_command, workspace
from memory import peak
from project_gen import generate

PHASES = ("ls cold", "ls warm", "compile cold", "compile warm", "compile witness", "build")


def measure(project: Path, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """(seconds, peak MiB) of each phase, in order, on a fresh project."""
    cmd = [*pyflow_command()]
    out: dict[str, tuple[float, float]] = {}
    target = project / "target"
    shutil.rmtree(target, ignore_errors=True)
    rss, wall = peak(project, [*cmd, "ls", "--project-dir", "."], env)
    out["ls cold"] = (wall, rss)
    rss, wall = peak(project, [*cmd, "ls", "--project-dir", "."], env)
    out["ls warm"] = (wall, rss)
    shutil.rmtree(target, ignore_errors=True)
    rss, wall = peak(project, [*cmd, "compile", "--project-dir", "."], env)
    out["compile cold"] = (wall, rss)
    rss, wall = peak(project, [*cmd, "compile", "--project-dir", "."], env)
    out["compile warm"] = (wall, rss)
    rss, wall = peak(project, [*cmd, "compile", "--project-dir", "."], env)  # unchanged: the witness
    out["compile witness"] = (wall, rss)
    rss, wall = peak(project, [*cmd, "build", "--project-dir", "."], env)
    out["build"] = (wall, rss)
    results = json.loads((target / "run_results.json").read_text())["results"]
    bad = [r["unique_id"] for r in results if r["status"] != "success"]
    if bad:
        raise SystemExit(f"{project}: {len(bad)} node(s) did not build, e.g. {bad[:3]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = process_env()
    with workspace("pyflow-scale-", args.workdir, args.keep) as work:
        figures = {}
        for n in (args.small, args.large):
            project = work / f"p{n}"
            generate(project, n, rows=args.rows)
            figures[n] = measure(project, env)
            print(f"measured N={n}", flush=True)
    small, large = figures[args.small], figures[args.large]
    print(
        f"\nscale: N={args.small} vs N={args.large} models ({args.large / args.small:.0f}x), {args.rows:,} rows"
    )
    print(f"{'phase':<15} {'s small':>8} {'s large':>8} {'ratio':>6} {'MiB small':>9} {'MiB large':>9}")
    for phase in PHASES:
        (ts, ms), (tl, ml) = small[phase], large[phase]
        print(f"{phase:<15} {ts:>8.2f} {tl:>8.2f} {tl / ts:>5.1f}x {ms:>9.0f} {ml:>9.0f}")


if __name__ == "__main__":
    main()
