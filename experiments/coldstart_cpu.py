"""Cold start, the measurable part on a CPU box: offline install of the CPU stack from a local wheelhouse.

Builds a wheelhouse of the project's CPU requirements (settings.ini `requirements` + `pod_requirements`)
and the project wheel, then times, in fresh venvs: `python -m venv`, `pip install --no-index --find-links`,
and the first imports; finally times runpod/bootstrap.sh's own checks (CPU mode) against that venv.
Writes experiments/coldstart_cpu.json and prints a table. Run: `nice -n 10 .venv/bin/python experiments/coldstart_cpu.py`
"""
import configparser, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get('COLDSTART_RUNS', '3'))
KEEP = os.environ.get('COLDSTART_WHEELHOUSE')  # reuse a wheelhouse between runs of this script

def reqs():
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    d = cfg['DEFAULT']
    return d['requirements'].split() + d.get('pod_requirements', '').split()

def timed(cmd, **kw):
    t = time.perf_counter(); subprocess.run(cmd, check=True, **kw); return time.perf_counter() - t

def main():
    base = Path(tempfile.mkdtemp(prefix='coldstart-'))
    wh = Path(KEEP) if KEEP else base/'wheelhouse'; wh.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=base)  # cwd: imports must come from the venv, not the checkout
    # 1. the wheelhouse (network, once; on a pod this is build_wheelhouse.sh, not part of a cold start)
    t_wheel = timed([py, '-m', 'pip', 'wheel', '-q', '--wheel-dir', str(wh), *reqs()], **q)
    timed([py, '-m', 'pip', 'wheel', '-q', '--no-deps', '--wheel-dir', str(wh), str(ROOT)], **q)
    wheels = sorted(p.name for p in wh.glob('*.whl'))
    size_mb = sum(p.stat().st_size for p in wh.glob('*.whl')) / 2**20
    runs = []
    for i in range(RUNS):
        venv = base/f'venv{i}'
        t_venv = timed([py, '-m', 'venv', str(venv)], **q)
        vpy = str(venv/'bin'/'python')
        env = {**os.environ, 'PIP_CONFIG_FILE': os.devnull, 'PIP_FIND_LINKS': '', 'PIP_EXTRA_INDEX_URL': '',
               'PIP_CONSTRAINT': '', 'PIP_NO_CACHE_DIR': '1'}
        t_install = timed([vpy, '-m', 'pip', 'install', '-q', '--no-index', '--find-links', str(wh), 'invoice_lab[pod]'], env=env, **q)
        t_import = timed([vpy, '-c', 'import invoice_lab.core, invoice_lab.fields, rapidocr, onnxruntime, fitz, runpod'], **q)
        n_inst = len(subprocess.run([vpy, '-m', 'pip', 'list', '--format=freeze'], env=env, capture_output=True, text=True, cwd=base).stdout.split())
        runs.append(dict(venv_s=round(t_venv, 2), install_s=round(t_install, 2), first_import_s=round(t_import, 2), dists_installed=n_inst))
        print(f'run {i}: venv {t_venv:.1f}s  install {t_install:.1f}s  import {t_import:.1f}s  ({n_inst} dists)', flush=True)
        if i < RUNS - 1: shutil.rmtree(venv)
    # 2. bootstrap.sh's own checks against the last venv, in a fake /workspace (CPU mode: no GPU/torch/fork/Jupyter)
    ws = base/'workspace'; (ws/'.cache'/'huggingface').mkdir(parents=True)
    os.symlink(venv, ws/'venv-tilt')
    wdir = ws/'models'/'snowflake-arctic-tilt-v1.3'; wdir.mkdir(parents=True)
    (wdir/'config.json').write_text('{}'); (wdir/'model.safetensors').write_bytes(b'\0')
    benv = {**os.environ, 'WORKSPACE': str(ws), 'INVOICE_LAB_BOOTSTRAP_CPU': '1', 'RUNPOD_POD_ID': ''}
    boot = []
    for _ in range(RUNS):
        t = time.perf_counter()
        r = subprocess.run(['bash', str(ROOT/'runpod'/'bootstrap.sh')], env=benv, capture_output=True, text=True)
        boot.append(time.perf_counter() - t)
        if r.returncode: print(r.stdout, r.stderr); raise SystemExit('bootstrap.sh failed in CPU mode')
    med = lambda k: round(statistics.median(r[k] for r in runs), 2)
    out = dict(machine=dict(python=platform.python_version(), cpus=os.cpu_count(), platform=platform.platform(),
                            load_avg_at_end=[round(x, 2) for x in os.getloadavg()]),
               wheelhouse=dict(wheels=len(wheels), size_mb=round(size_mb, 1), build_s=round(t_wheel, 1)),
               runs=runs, median=dict(venv_s=med('venv_s'), install_s=med('install_s'), first_import_s=med('first_import_s')),
               bootstrap_checks_cpu_s=dict(runs=[round(b, 2) for b in boot], median=round(statistics.median(boot), 2),
                                           note='CPU mode: env + venv + weights present + import invoice_lab; '
                                                'torch/CUDA, fork import and JupyterLab start are not timed here'),
               command='nice -n 10 .venv/bin/python experiments/coldstart_cpu.py')
    (ROOT/'experiments'/'coldstart_cpu.json').write_text(json.dumps(out, indent=1) + '\n')
    print(f"\n| step | median s |\n|---|---|\n| python -m venv | {out['median']['venv_s']} |\n"
          f"| pip install --no-index ({len(wheels)} wheels, {size_mb:.0f} MB) | {out['median']['install_s']} |\n"
          f"| first imports | {out['median']['first_import_s']} |\n| bootstrap.sh checks (CPU mode) | {out['bootstrap_checks_cpu_s']['median']} |")
    shutil.rmtree(base, ignore_errors=True)

if __name__ == '__main__': main()
