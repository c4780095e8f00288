"""The ``ray_engine`` section of benchmarks/RESULTS.md, written from benchmarks/results/ray.json."""

from __future__ import annotations

from statistics import median

from results_section import replace_section

TARGET_WORKER_MB = 2048
TARGET_SCALING = 1.6
TARGET_OVERHEAD = 1.5


def _label(run: dict) -> str:
    if run["engine"] == "local":
        return "local, " + ("every core" if run["cores"] == "all" else "1 core (taskset -c 0)")
    cores = "every core" if run["cores"] == "all" else "1 core (taskset -c 0)"
    return f"ray, {run['worker_cpus']} worker CPU{'s' if run['worker_cpus'] > 1 else ''}, {cores}"


def _row(run: dict) -> str:
    processes = run["processes"]
    worker = processes.get("worker", {})
    stages = run["stage_seconds"]
    cells = [
        _label(run),
        f"{run['seconds']:.1f}",
        f"{run['pipeline_seconds']:.1f}",
        "" if run["ray_start_seconds"] is None else f"{run['ray_start_seconds']:.1f}",
        f"{run['cpu_seconds']:.1f}",
        _cpu_split(processes),
        f"{run['cpu_seconds'] / run['seconds']:.2f}",
        f"{processes['driver']['peak_rss_mb']:.0f}",
        f"{worker['peak_rss_mb']:.0f} ({worker['processes']})" if worker else "",
        f"{processes['raylet']['peak_rss_mb']:.0f}" if "raylet" in processes else "",
        f"{stages.get('dedupe', 0):.1f} / {stages.get('split', 0):.1f}",
        "yes" if run["same_output_as_local"] else "**no**",
    ]
    return "| " + " | ".join(cells) + " |"


def _cpu_split(processes: dict) -> str:
    """CPU seconds of the driver / the workers / Ray's own processes (raylet, GCS, agents)."""
    own = sum(
        processes.get(role, {}).get("cpu_seconds", 0.0) for role in ("raylet", "gcs", "other")
    )
    if "worker" not in processes:
        return ""
    return f"{processes['driver']['cpu_seconds']:.1f} / {processes['worker']['cpu_seconds']:.1f} / {own:.1f}"


def _by_variant(runs: list[dict]) -> dict[tuple, list[dict]]:
    grouped: dict[tuple, list[dict]] = {}
    for run in runs:
        grouped.setdefault((run["engine"], run["worker_cpus"], run["cores"]), []).append(run)
    return grouped


def ratios(entry: dict) -> dict[str, float | None]:
    """Medians over rounds of: Ray 2 CPUs vs 1 (throughput) and Ray vs local on the same
    cores (time), whole command and pipeline only; None where a variant was not run."""
    grouped = _by_variant(entry["runs"])
    local_all, local_one = grouped.get(("local", None, "all")), grouped.get(("local", None, "0"))
    ray_two, ray_one = grouped.get(("ray", 2, "all")), grouped.get(("ray", 1, "0"))

    def ratio(top: list[dict] | None, bottom: list[dict] | None, key: str) -> float | None:
        if not top or not bottom:
            return None
        return round(median(a[key] / b[key] for a, b in zip(top, bottom, strict=True)), 2)

    workers = [
        run["processes"]["worker"]["peak_rss_mb"]
        for run in entry["runs"]
        if "worker" in run["processes"]
    ]
    return {
        "scaling_2_vs_1_cpu": ratio(ray_one, ray_two, "seconds"),
        "scaling_2_vs_1_cpu_pipeline": ratio(ray_one, ray_two, "pipeline_seconds"),
        "overhead_every_core": ratio(ray_two, local_all, "seconds"),
        "overhead_every_core_pipeline": ratio(ray_two, local_all, "pipeline_seconds"),
        "overhead_one_core": ratio(ray_one, local_one, "seconds"),
        "overhead_one_core_pipeline": ratio(ray_one, local_one, "pipeline_seconds"),
        "cpu_ratio_every_core": ratio(ray_two, local_all, "cpu_seconds"),
        "cpu_ratio_one_core": ratio(ray_one, local_one, "cpu_seconds"),
        "max_worker_peak_rss_mb": max(workers) if workers else None,
        "max_driver_peak_rss_mb": max(
            (
                run["processes"]["driver"]["peak_rss_mb"]
                for run in entry["runs"]
                if run["engine"] == "ray"
            ),
            default=None,
        ),
    }


def _verdict(value: float, target: float, at_most: bool) -> str:
    met = value <= target if at_most else value >= target
    return "met" if met else "**MISSED**"


def _findings(figures: dict, entry: dict) -> list[str]:
    lines = []
    judged = (
        f"the issue's target, <= {TARGET_OVERHEAD}x, is set on 1M conversations of dedupe + "
        "split: not judged at this size"
    )
    if entry["workload"] == "dedupe_split" and entry["conversations"] >= 1_000_000:
        verdict = _verdict(figures["overhead_every_core"] or 0, TARGET_OVERHEAD, at_most=True)
        judged = f"target <= {TARGET_OVERHEAD}x: {verdict}"
    if figures["scaling_2_vs_1_cpu"] is not None:
        lines.append(
            f"- Throughput, 2 worker CPUs vs 1: **{figures['scaling_2_vs_1_cpu']}x** whole command, "
            f"{figures['scaling_2_vs_1_cpu_pipeline']}x pipeline only (target >= {TARGET_SCALING}x: "
            f"{_verdict(figures['scaling_2_vs_1_cpu'], TARGET_SCALING, at_most=False)})."
        )
    if figures["overhead_every_core"] is not None:
        one_core = ""
        if figures["overhead_one_core"] is not None:
            one_core = (
                f"; one core {figures['overhead_one_core']}x "
                f"(pipeline only {figures['overhead_one_core_pipeline']}x)"
            )
        lines.append(
            f"- Ray's time / local's on the same cores: every core **{figures['overhead_every_core']}x** "
            f"(pipeline only {figures['overhead_every_core_pipeline']}x){one_core} ({judged})."
        )
    if figures["cpu_ratio_every_core"] is not None:
        one_core = ""
        if figures["cpu_ratio_one_core"] is not None:
            one_core = f", {figures['cpu_ratio_one_core']}x with 1 CPU on one core"
        lines.append(
            f"- CPU time (all processes), Ray / local: {figures['cpu_ratio_every_core']}x with 2 "
            f"CPUs{one_core}. On a shared machine this is the steadier figure: wall time "
            "depends on the other work's share of the cores (the cores-busy column)."
        )
    if figures["max_worker_peak_rss_mb"] is not None:
        lines.append(
            f"- Peak RSS of a Ray worker process: {figures['max_worker_peak_rss_mb']:.0f} MB (target <= "
            f"{TARGET_WORKER_MB} MB: {_verdict(figures['max_worker_peak_rss_mb'], TARGET_WORKER_MB, at_most=True)}); "
            f"Ray driver: {figures['max_driver_peak_rss_mb']:.0f} MB."
        )
    return lines


def entry_lines(entry: dict) -> list[str]:
    figures = ratios(entry)
    entry["ratios"] = figures
    same = all(run["same_output_as_local"] for run in entry["runs"])
    flags = entry["runs"][0]["command"].split("train.jsonl ")[1]
    return [
        f"### {entry['workload']}: {entry['conversations']:,} conversations ({entry['input_mb']} MB)",
        "",
        f"Measured {entry['started_utc']} to {entry['finished_utc']} on {entry['cores']} cores, "
        f"load average {entry['load_average_start']} at start, {entry['load_average_end']} at end; "
        f"object store {entry['object_store_mb']} MB; runs in the table's order. "
        f"Command: `dataprep clean IN.jsonl --out OUT/train.jsonl {flags}` (Ray: with "
        "`--engine ray` added).",
        "",
        "| variant | wall (s) | pipeline (s) | Ray start (s) | CPU s, all processes | CPU s: driver / workers / Ray's own | cores busy (CPU / wall) | driver peak RSS (MB) | worker peak RSS, max (processes) | raylet peak RSS (MB) | dedupe / split (s) | same rows as local |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(run) for run in entry["runs"]),
        "",
        f"- Same output as the local engine (sha256 of each split's rows): {'yes' if same else '**no**'}."
        if any(run["engine"] == "ray" for run in entry["runs"])
        else "- Only the local engine ran at this size (see the note).",
        *_findings(figures, entry),
        *_load_warning(entry),
        *([f"- Note: {entry['note']}"] if entry.get("note") else []),
    ]


def _load_warning(entry: dict) -> list[str]:
    busiest = max(entry["load_average_start"][0], entry["load_average_end"][0])
    if busiest <= entry["cores"]:
        return []
    return [
        f"- The machine was shared (1-minute load average up to {busiest} on {entry['cores']} "
        "cores): the runs got a varying share of the cores (see cores busy), so wall-time "
        "ratios of single runs hold that noise; a verdict on them is for this run only."
    ]


def _five_million(entries: list[dict]) -> list[str]:
    """The issue's 5M-conversation size, extrapolated from the largest size each variant ran at."""
    largest: dict[str, tuple[int, dict]] = {}
    for entry in entries:
        if entry["workload"] != "dedupe_split":
            continue
        for run in entry["runs"]:
            largest[_label(run)] = (entry["conversations"], run)
    if not largest or max(size for size, _ in largest.values()) >= 5_000_000:
        return []
    costs = "; ".join(
        f"{label}: {run['cpu_seconds'] * 5_000_000 / size / 3600:.1f} CPU hours (from {size:,})"
        for label, (size, run) in largest.items()
    )
    return [
        "The issue's 5M-conversation run was not made. Scaled linearly from the largest size each "
        f"variant ran at, 5M would cost {costs}. On this shared machine (runs got 0.2-0.8 of a "
        "core) each run would take hours: it did not fit the session.",
        "",
    ]


def write_section(results: dict) -> None:
    """Rewrite the ``ray_engine`` section from every entry of ``results`` (smallest first)."""
    entries = sorted(
        (e for e in results.values() if e["workload"] != "voice"),
        key=lambda e: (e["workload"], e["conversations"]),
    )
    lines = [
        "## `dataprep clean --engine ray` vs the local engine (issue 17)",
        "",
        "By `benchmarks/bench_ray.py` (its docstring says how each figure is taken; raw figures in",
        "`benchmarks/results/ray.json`). Wall and CPU seconds are of the whole command (start-up,",
        "imports and Ray's start-up included); pipeline seconds are the run report's (from the first",
        "stage to the last). RSS is each process's `VmHWM`, polled every 0.25 s over the process tree.",
        "",
    ]
    lines += _five_million(entries)
    for entry in entries:
        lines += [*entry_lines(entry), ""]
    replace_section("ray_engine", lines[:-1])
