"""Load on the HTTP API: ``/v1/resolve`` and ``/v1/connections`` under 50 concurrent clients.

    .venv/bin/python bench/api_load.py [--rows 100000] [--tenants 10] [--connections 50] [--duration 60]
                                       [--workers 2] [--embeddings] [--wipe]

What runs, all on this machine, loopback only:

- the CRM: a SQLite file seeded once (``bench/common.py``: ``crm-<rows>-t<tenants>-s<seed>.sqlite3``
  under ``~/.cache/kgcrm/bench/``), copied to a scratch directory (the bench adds an API key);
- the graph: synced from it in full, unless the graph already mirrors exactly that CRM
  (same tenants, checkpoint at the CRM's last change); a graph that holds anything else is
  emptied only with ``--wipe``. ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD``, else the
  tests' local server;
- the API: ``uvicorn`` with ``--workers`` worker processes on ``127.0.0.1:<free port>``, the
  app of ``kgcrm.api.app.create_app``, run with ``kgcrm serve``'s options (``api/protocol.py``).
  Without ``--embeddings`` the services load no embedding model (resolution and search use
  their fulltext half); with it, every worker loads the model and the bench tenant's entities
  are embedded first;
- the load: ``wrk`` (Debian package ``wrk``) with ``--connections`` open connections (each a
  client sending its next request as soon as the previous answer arrives) for
  ``--duration`` seconds per run, after a short warm-up. Three runs: resolve only,
  connections only, and both mixed. The requests are drawn from one tenant's rows: names,
  "First at Organization", emails and organization names to resolve; ids of people and
  organizations to connect to (from the key's user).

``--strategies beam,weighted`` serves the connections runs once per strategy of ``ConnectionFinder``
(``KGCRM_CONNECTIONS_STRATEGY``: a server per strategy, one after the other, in the same run), so the
old search is the baseline of the new one; the resolve run is made once, with the first. Beside each
run: the CPU seconds per request of the API's workers and of Neo4j (from ``/proc``; Neo4j's only when
it is the tests' local server), which says which of them bounds the throughput.

Every run's figures (requests, requests/s, latency p50/p90/p99/max, and errors: socket
errors, timeouts and non-2xx answers) are printed and recorded in ``bench/RESULTS.md``
(section ``api_load``). Goal: zero errors and p99 <= 250 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import neo4j
import sqlalchemy as sa

from kgcrm.api import keys
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import GraphSync

P99_GOAL_MS = 250.0
WRK_THREADS = 2
REQUESTS_PER_KIND = 400


# --- the app the workers serve -------------------------------------------------------------------------


def bench_app() -> Any:
    """``uvicorn --factory``: the API over the environment's settings; the model only with --embeddings."""
    from kgcrm.api.app import create_app
    from kgcrm.core.settings import load_settings
    from kgcrm.services import build_services

    settings = load_settings()
    with_model = os.environ.get("KGCRM_BENCH_EMBEDDINGS") == "1"
    services = build_services(settings, load_embeddings=with_model)  # closed when the worker exits
    return create_app(settings, services=services, freeze_heap=True)  # as a server does


# --- the graph ------------------------------------------------------------------------------------------


def crm_state(engine: sa.Engine) -> tuple[set[str], int]:
    with engine.connect() as conn:
        tenants = set(conn.execute(sa.text("SELECT id FROM tenant")).scalars())
        last = int(conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar_one())
    return tenants, last


def ensure_graph(engine: sa.Engine, driver: neo4j.Driver, gateway: GraphGateway, *, wipe: bool) -> str:
    """Make the graph mirror the CRM (a full sync) unless it already does; how it got there."""
    tenants, last_seq = crm_state(engine)
    in_graph = {r["id"] for r in gateway.read("bench_tenants", "MATCH (t:Tenant) RETURN t.id AS id")}
    if in_graph == tenants and GraphSync(engine, gateway).checkpoint() == last_seq:
        return "graph reused (it mirrors this CRM)"
    common.require_empty_graph(driver, wipe=wipe)
    apply_schema(gateway, dimensions=384)
    common.console.print("syncing the CRM into the graph (full sync) …")
    with common.stopwatch() as took:
        GraphSync(engine, gateway).full()
    return f"graph synced in {took[0]:.0f} s"


def embed_tenant(gateway: GraphGateway, tenant_id: str) -> str:
    """Embed the bench tenant's entities (what ``kgcrm sync`` does with a model), before the runs."""
    from kgcrm.core.embedding import load_embedding_model
    from kgcrm.core.settings import Settings
    from kgcrm.sync.embeddings import EmbeddingPipeline

    settings = Settings(environment="test")
    model = load_embedding_model(settings)
    with common.stopwatch() as took, EmbeddingPipeline(gateway, model, model_name=settings.embedding_model) as pipe:
        pipe.embed_all(tenant_id)
        stats = pipe.flush()
    return f"{stats.embedded:,} entities of the bench tenant embedded in {took[0]:.0f} s"


# --- the requests ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""


def bench_tenant(engine: sa.Engine) -> tuple[str, str, str]:
    """(tenant id, slug, email of a user with a person record): the tenant with the most people."""
    query = sa.text(
        "SELECT t.id, t.slug, u.email FROM tenant t JOIN app_user u ON u.tenant_id = t.id "
        "WHERE u.individual_id IS NOT NULL AND u.is_active "
        "ORDER BY (SELECT count(*) FROM individual i WHERE i.tenant_id = t.id) DESC, t.slug, u.email LIMIT 1"
    )
    with engine.connect() as conn:
        tenant_id, slug, email = conn.execute(query).one()
    return str(tenant_id), str(slug), str(email)


def corpus(engine: sa.Engine, tenant_id: str, seed: int) -> dict[str, list[Request]]:
    """The requests of each kind, drawn at random (deterministically) from the tenant's rows."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        people = conn.execute(
            sa.text(
                "SELECT i.id, i.first_name, i.last_name, i.email, o.name FROM individual i "
                "LEFT JOIN contact c ON c.individual_id = i.id AND c.ended_on IS NULL "
                "LEFT JOIN organization o ON o.id = c.organization_id "
                "WHERE i.tenant_id = :t ORDER BY i.id"
            ),
            {"t": tenant_id},
        ).all()
        organizations = conn.execute(
            sa.text("SELECT id, name FROM organization WHERE tenant_id = :t ORDER BY id"), {"t": tenant_id}
        ).all()
    texts: list[str] = []
    for pid, first, last, email, org in rng.sample(people, min(len(people), REQUESTS_PER_KIND)):
        choice = rng.random()
        if choice < 0.4 or not (email or org):
            texts.append(f"{first or ''} {last or ''}".strip() or pid)
        elif choice < 0.7 and org:
            texts.append(f"{first or last} at {org}")
        elif email:
            texts.append(email)
        else:
            texts.append(org)
    texts += [name for _, name in rng.sample(organizations, min(len(organizations), REQUESTS_PER_KIND // 4)) if name]
    rng.shuffle(texts)
    targets = [pid for pid, *_ in rng.sample(people, min(len(people), REQUESTS_PER_KIND * 3 // 4))]
    targets += [oid for oid, _ in rng.sample(organizations, min(len(organizations), REQUESTS_PER_KIND // 4))]
    rng.shuffle(targets)
    resolve = [Request("POST", "/v1/resolve", json.dumps({"text": t, "limit": 5})) for t in texts]
    connections = [Request("GET", f"/v1/connections?target={t}&limit=5&max_hops=4") for t in targets]
    mixed = [r for pair in zip(resolve, connections, strict=False) for r in pair]
    return {"resolve": resolve, "connections": connections, "mixed": mixed}


# --- wrk -------------------------------------------------------------------------------------------------------

_LUA = """
local requests = %(requests)s
local headers = {["Authorization"] = "Bearer %(key)s", ["Content-Type"] = "application/json"}
local counter = 0
local results = {}

function setup(thread)
  thread:set("offset", #results * 97)
  table.insert(results, thread)
end

function init(args)
  counter = tonumber(offset) or 0
end

function request()
  counter = counter + 1
  local r = requests[(counter %% #requests) + 1]
  if r[3] == "" then
    return wrk.format(r[1], r[2], headers)
  end
  return wrk.format(r[1], r[2], headers, r[3])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, '
    .. '"timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(requests: list[Request], key: str, directory: Path) -> Path:
    items = ",\n".join(f"{{{lua_string(r.method)}, {lua_string(r.path)}, {lua_string(r.body)}}}" for r in requests)
    path = directory / f"wrk-{len(requests)}-{abs(hash(items)) % 10_000}.lua"
    path.write_text(_LUA % {"requests": "{\n" + items + "\n}", "key": key}, encoding="utf-8")
    return path


def run_wrk(base_url: str, script: Path, *, connections: int, seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"--threads={min(WRK_THREADS, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        base_url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- the server ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """uvicorn as ``kgcrm serve --workers N`` runs it: ``UVICORN_OPTIONS`` (the protocol and its options), and
    for more than one worker ``kgcrm.api.workers.run_workers`` (a listening socket per worker)."""
    command = [
        sys.executable,
        "-c",
        "import sys, uvicorn\n"
        "from kgcrm.api.protocol import UVICORN_OPTIONS\n"
        "from kgcrm.api.workers import run_workers\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "options = {**UVICORN_OPTIONS, 'log_level': 'warning', 'access_log': False}\n"
        "port, workers = int(sys.argv[2]), int(sys.argv[3])\n"
        "if workers == 1:\n"
        "    uvicorn.run('api_load:bench_app', factory=True, host='127.0.0.1', port=port, **options)\n"
        "else:\n"
        "    raise SystemExit(run_workers('api_load:bench_app', host='127.0.0.1', port=port, workers=workers,"
        " options=options))",
        str(Path(__file__).parent),
        str(port),
        str(workers),
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=common.ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the API exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/readyz", timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the API was not ready within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


# --- CPU accounting -------------------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used so far (``/proc/<pid>/stat``; 0 for a gone one)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def group_pids(pgid: int) -> list[int]:
    """The processes of one process group (the API: uvicorn's supervisor and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def neo4j_pids() -> list[int]:
    """The local test server's JVM (none when NEO4J_URI points elsewhere)."""
    if os.environ.get("NEO4J_URI"):
        return []
    from kgcrm.graph.scratch import scratch_server_settings
    from kgcrm.graph.server import LocalNeo4jServer

    try:
        return [int(LocalNeo4jServer(scratch_server_settings()).pid_file.read_text().strip())]
    except (OSError, ValueError):
        return []


def measured_run(base_url: str, script: Path, server_pgid: int, *, connections: int, seconds: int) -> dict[str, Any]:
    """:func:`run_wrk`, with the CPU seconds per request of the API's processes and of Neo4j."""
    api, graph = group_pids(server_pgid), neo4j_pids()
    before = cpu_seconds(api), cpu_seconds(graph)
    result = run_wrk(base_url, script, connections=connections, seconds=seconds)
    after = cpu_seconds(api), cpu_seconds(graph)
    done = max(1, result["requests"])
    result["api_cpu_ms"] = (after[0] - before[0]) * 1000 / done
    result["neo4j_cpu_ms"] = (after[1] - before[1]) * 1000 / done if graph else None
    return result


# --- main ------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the seeded CRM (all tenants)")
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--connections", type=int, default=50, help="concurrent clients (open connections)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of each run (at most 600)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of warm-up before the runs")
    parser.add_argument(
        "--baseline", type=int, default=15, help="seconds of a one-client run per endpoint first (0: none)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--embeddings", action="store_true", help="load the embedding model (and embed the tenant)")
    parser.add_argument("--runs", default="resolve,connections,mixed", help="which runs, comma-separated")
    parser.add_argument("--wipe", action="store_true", help="empty a graph that holds other data first")
    parser.add_argument(
        "--cache-entries",
        type=int,
        default=4096,
        help="the API's answer cache (KGCRM_API_CACHE_ENTRIES); 0: every request computed",
    )
    parser.add_argument(
        "--graph-slots",
        type=int,
        default=None,
        help="graph-bound requests a worker computes at once (KGCRM_API_GRAPH_SLOTS; default: the setting's)",
    )
    parser.add_argument(
        "--strategies",
        default="weighted",
        help="connections strategies to serve in turn (beam: the old search, the baseline; weighted), comma-separated",
    )
    args = parser.parse_args()
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not strategies or any(s not in ("beam", "weighted") for s in strategies):
        raise SystemExit("--strategies: a comma-separated list of beam, weighted")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not 1 <= args.duration <= 600 or not 1 <= args.connections <= 1000:
        raise SystemExit("--duration must be 1..600 s and --connections 1..1000")

    cached = common.seeded_crm(args.rows, tenants=args.tenants, seed=args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="kgcrm-api-load-"))
    try:
        crm = common.working_copy(cached, scratch)
        engine = make_engine(f"sqlite:///{crm}")
        upgrade(engine)  # a CRM cached before the newest migrations (e.g. the feedback table) is brought up to date
        credentials = common.neo4j_credentials()
        driver = make_driver(credentials)
        gateway = GraphGateway(driver)
        graph_note = ensure_graph(engine, driver, gateway, wipe=args.wipe)
        nodes, rels = common.graph_size(driver)
        tenant_id, slug, email = bench_tenant(engine)
        embed_note = embed_tenant(gateway, tenant_id) if args.embeddings else "no embedding model"
        key = keys.create_key(engine, slug, user_email=email, name="api-load bench").key
        requests = corpus(engine, tenant_id, args.seed)
        engine.dispose()
        version = common.neo4j_version(driver)
        driver.close()

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "KGCRM_ENVIRONMENT": "test",
            "KGCRM_SETTINGS_FILE": str(scratch / "none.env"),
            "KGCRM_DATA_DIR": str(scratch),
            "DATABASE_URL": f"sqlite:///{crm}",
            "NEO4J_URI": credentials.uri,
            "NEO4J_USER": credentials.user,
            "NEO4J_PASSWORD": credentials.password.get_secret_value(),
            "KGCRM_BENCH_EMBEDDINGS": "1" if args.embeddings else "0",
            "KGCRM_API_CACHE_ENTRIES": str(args.cache_entries),
            **({"KGCRM_API_GRAPH_SLOTS": str(args.graph_slots)} if args.graph_slots else {}),
            "PYTHONPATH": str(common.ROOT),
        }
        results: dict[str, dict[str, Any]] = {}
        loads: list[str] = []
        machine = ""
        for index, strategy in enumerate(strategies):
            log = scratch / f"uvicorn-{strategy}.log"
            server = start_server({**env, "KGCRM_CONNECTIONS_STRATEGY": strategy}, port, args.workers, log)
            tag = f" [{strategy}]" if len(strategies) > 1 else ""
            try:
                wait_ready(base_url, server, log)
                common.console.print(
                    f"API on {base_url} ({args.workers} workers, connections: {strategy}); {graph_note}; {embed_note}"
                )
                if args.warmup:
                    warm = wrk_script(requests["mixed"], key, scratch)
                    run_wrk(base_url, warm, connections=min(10, args.connections), seconds=args.warmup)
                here = common.machine()  # the load of the machine before the runs (the runs add their own)
                machine = machine or here
                loads.append(f"{strategy}: {here.split('load average ')[1].split(', Python')[0]}")
                kinds = ("resolve", "connections") if index == 0 else ("connections",)
                if args.baseline:
                    for name in kinds:
                        common.console.print(f"baseline {name}{tag}: 1 client for {args.baseline} s …")
                        script = wrk_script(requests[name], key, scratch)
                        results[f"{name}{'' if name == 'resolve' else tag}, 1 client"] = measured_run(
                            base_url, script, server.pid, connections=1, seconds=args.baseline
                        )
                for name in [n.strip() for n in args.runs.split(",") if n.strip()]:
                    if name == "resolve" and index > 0:
                        continue
                    common.console.print(f"run {name}{tag}: {args.connections} clients for {args.duration} s …")
                    script = wrk_script(requests[name], key, scratch)
                    results[f"{name}{'' if name == 'resolve' else tag}, {args.connections} clients"] = measured_run(
                        base_url, script, server.pid, connections=args.connections, seconds=args.duration
                    )
            finally:
                stop_server(server)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    header = [
        "run",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "p99 ≤ 250 ms",
        "API CPU ms/req",
        "Neo4j CPU ms/req",
    ]
    rows = [
        [
            name,
            f"{r['requests']:,}",
            f"{r['rps']:,.1f}",
            f"{r['p50_us'] / 1000:,.0f}",
            f"{r['p90_us'] / 1000:,.0f}",
            f"{r['p99_us'] / 1000:,.0f}",
            f"{r['max_us'] / 1000:,.0f}",
            f"{r['errors']:,}"
            + (
                f" ({', '.join(f'{k} {r[k]}' for k in ('connect', 'read', 'write', 'status', 'timeout') if r[k])})"
                if r["errors"]
                else ""
            ),
            "yes" if r["p99_us"] / 1000 <= P99_GOAL_MS and not r["errors"] else "no",
            f"{r['api_cpu_ms']:,.1f}",
            "" if r["neo4j_cpu_ms"] is None else f"{r['neo4j_cpu_ms']:,.1f}",
        ]
        for name, r in results.items()
    ]
    ratios = []
    if {"beam", "weighted"} <= set(strategies):
        for clients in (f"{args.connections} clients", "1 client"):
            old, new = results.get(f"connections [beam], {clients}"), results.get(f"connections [weighted], {clients}")
            if old and new:
                ratios.append(
                    f"connections, {clients}: weighted over beam throughput {new['rps'] / old['rps']:.1f} times, "
                    f"p99 {new['p99_us'] / 1000:,.0f} ms against {old['p99_us'] / 1000:,.0f} ms"
                )
    common.print_table("API load", header, rows)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    slots = args.graph_slots or Settings.model_fields["api_graph_slots"].default
    cache_note = (
        f"answer cache of {args.cache_entries} entries per worker (the requests repeat: most are hits)"
        if args.cache_entries
        else "no answer cache (every request computed)"
    )
    body = "\n".join(
        [
            f"### API load: /v1/resolve and /v1/connections, {args.connections} concurrent clients, "
            f"{args.duration} s per run (after a one-client baseline)",
            "",
            f"{when} · {machine} (before the runs) · Neo4j {version} · "
            f"`bench/api_load.py --rows {args.rows} --tenants {args.tenants}"
            f"{' --embeddings' if args.embeddings else ''} --workers {args.workers} "
            f"--cache-entries {args.cache_entries} --strategies {','.join(strategies)}"
            f"{f' --graph-slots {args.graph_slots}' if args.graph_slots else ''}`"
            + (f" · load average before each server's runs: {'; '.join(loads)}" if len(loads) > 1 else ""),
            "",
            f"CRM: {args.rows:,} seeded rows, {args.tenants} tenants (SQLite); graph {nodes:,} nodes + {rels:,} "
            f"relationships. API: uvicorn, {args.workers} workers, {slots} graph slots a worker, {embed_note}, "
            f"{cache_note}. Load: wrk, {args.connections} "
            f"connections (closed loop), {WRK_THREADS} threads, on loopback; every request of one tenant "
            f"({len(requests['resolve'])} texts to resolve, {len(requests['connections'])} targets by id). "
            "API, Neo4j and wrk share the machine's cores. With closed-loop clients, latency ≈ clients ÷ "
            "throughput: a p99 of 250 ms with 50 clients needs well over 200 requests/s.",
            "",
            common.markdown_table(header, rows),
            "",
            *([*ratios, ""] if ratios else []),
            f"Goal: zero errors and p99 ≤ {P99_GOAL_MS:.0f} ms.",
        ]
    )
    section = "api_load_cache" if args.cache_entries else "api_load"
    if len(strategies) > 1:  # the strategies compared: a section of their own, beside today's figures
        section += "_strategies"
    if args.graph_slots:  # another number of graph slots than the setting's: beside the default's figures
        section += f"_slots{args.graph_slots}"
    if args.workers != 2:  # another number of workers than the bench's default: a section of its own
        section += f"_workers{args.workers}"
    common.record_results(section, body)


if __name__ == "__main__":
    main()
