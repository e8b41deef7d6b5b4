"""runpod/*.sh on CPU: syntax and lint, bootstrap's failure paths and CPU dry run, autostop's timers, in a fake /workspace."""
import os, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
RP = ROOT/'runpod'
SCRIPTS = sorted(RP.glob('*.sh'))


def test_scripts_exist():
    assert {p.name for p in SCRIPTS} >= {'env.sh', 'bootstrap.sh', 'autostop.sh', 'build_wheelhouse.sh', 'setup_volume.sh'}


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda p: p.name)
def test_bash_n(script):
    r = subprocess.run(['bash', '-n', str(script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda p: p.name)
def test_shellcheck(script):
    r = subprocess.run(['shellcheck', '-x', str(script)], capture_output=True, text=True, cwd=RP)
    assert r.returncode == 0, r.stdout + r.stderr


def exe(path: Path, body: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/usr/bin/env bash\n' + body + '\n'); path.chmod(0o755)


@pytest.fixture
def ws(tmp_path):
    "A fake /workspace, a bin dir first on PATH for fake commands, and the env to run scripts with"
    w, fake = tmp_path/'workspace', tmp_path/'bin'
    w.mkdir(); fake.mkdir()
    env = {'PATH': f'{fake}:/usr/bin:/bin', 'HOME': str(tmp_path), 'WORKSPACE': str(w), 'RUNPOD_POD_ID': '',
           'AUTOSTOP_DIR': str(tmp_path/'autostop'), 'PYTHONDONTWRITEBYTECODE': '1'}   # no .pyc written into the package
    return w, fake, env


def venv(w: Path, python: str):
    "A stand-in venv: bin/python runs `python`, and an activate script that puts bin/ first on PATH"
    b = w/'venv-tilt'/'bin'
    exe(b/'python', (f'PYTHONPATH={ROOT} ' if python == sys.executable else '') + f'exec {python} "$@"')   # this checkout's invoice_lab
    (b/'activate').write_text(f'export VIRTUAL_ENV={b.parent}\nexport PATH="{b}:$PATH"\n')


def weights(w: Path):
    d = w/'models'/'snowflake-arctic-tilt-v1.3'; d.mkdir(parents=True)
    (d/'config.json').write_text('{}'); (d/'model.safetensors').write_bytes(b'\0')


def bootstrap(env, **kw):
    return subprocess.run(['bash', str(RP/'bootstrap.sh')], env={**env, **kw}, capture_output=True, text=True, timeout=60)


def failed_with(r, msg):
    assert r.returncode != 0 and 'Ready' not in r.stdout, (r.stdout, r.stderr)
    assert 'bootstrap: FAILED:' in r.stderr and msg in r.stderr, r.stderr


def test_bootstrap_no_volume(ws, tmp_path):
    failed_with(bootstrap(ws[2], WORKSPACE=str(tmp_path/'missing')), 'attach the network volume')


def test_bootstrap_no_venv(ws):
    failed_with(bootstrap(ws[2]), 'run runpod/setup_volume.sh once')


def test_bootstrap_not_a_gpu_pod(ws):
    w, _, env = ws; venv(w, sys.executable)
    failed_with(bootstrap(env), 'nvidia-smi not found: this is not a GPU pod')


def test_bootstrap_nvidia_smi_fails(ws):
    w, fake, env = ws; venv(w, sys.executable)
    exe(fake/'nvidia-smi', 'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver"; exit 9')
    failed_with(bootstrap(env), 'nvidia-smi failed: NVIDIA-SMI has failed')


def test_bootstrap_no_torch(ws):
    w, fake, env = ws; venv(w, sys.executable); weights(w)     # the project's CPU venv has no torch
    exe(fake/'nvidia-smi', 'echo "NVIDIA RTX A5000, 24000, 24564"')
    r = bootstrap(env)
    failed_with(r, "torch + CUDA check failed: ModuleNotFoundError: No module named 'torch'")
    assert 'ok  GPU NVIDIA RTX A5000: 24000 MiB free of 24564 MiB' in r.stdout


def test_bootstrap_no_weights(ws):
    w, _, env = ws; venv(w, sys.executable)
    failed_with(bootstrap(env, INVOICE_LAB_BOOTSTRAP_CPU='1'), 'TILT weights missing')


def test_bootstrap_no_package(ws):
    w, _, env = ws; venv(w, '/usr/bin/python3'); weights(w)   # system python: no invoice_lab
    failed_with(bootstrap(env, INVOICE_LAB_BOOTSTRAP_CPU='1'), "import invoice_lab failed: ModuleNotFoundError: No module named 'invoice_lab' -- run runpod/setup_volume.sh")


def test_bootstrap_cpu_ready(ws):
    w, _, env = ws; venv(w, sys.executable); weights(w)
    where = subprocess.run([sys.executable, '-c', 'import invoice_lab; print(invoice_lab.__file__)'], env=env, capture_output=True, text=True)
    pkg, t0 = Path(where.stdout.strip()).parent, time.time()
    r = bootstrap(env, INVOICE_LAB_BOOTSTRAP_CPU='1')
    assert r.returncode == 0, r.stderr
    assert not [p for p in pkg.rglob('*.pyc') if p.stat().st_mtime >= t0], 'bootstrap wrote .pyc files into the package'
    lines = r.stdout.splitlines()
    assert lines[-1] == 'Ready' and 'container up' in lines[-2] and 'not counting scheduling and the image pull' in lines[-2]
    assert 'ok  invoice_lab 0.' in r.stdout and 'imports took' in r.stdout and 'torch' not in r.stdout


FAKE_ORT = """import os
__version__ = '1.22.0'
def preload_dlls(cuda=True, cudnn=True, msvc=True, directory=None): pass
def get_available_providers(): return os.environ.get('FAKE_ORT_PROVIDERS', 'CUDAExecutionProvider,CPUExecutionProvider').split(',')
class InferenceSession:
    "A session on the first provider asked for that is available, unless FAKE_ORT_SESSION=cpu (CUDA libraries that do not load)"
    def __init__(self, path, providers=()):
        assert os.path.exists(path), path
        names = [p[0] if isinstance(p, tuple) else p for p in providers]
        ok = [n for n in names if n in get_available_providers() and os.environ.get('FAKE_ORT_SESSION') != 'cpu']
        self.providers = ok + ['CPUExecutionProvider']
    def get_providers(self): return self.providers
"""


def fake_gpu_stack(w: Path, fake: Path, tmp: Path, ort: bool = True):
    "Stand-ins on CPU for what a set-up pod has: torch with CUDA, onnxruntime-gpu, the TILT fork, nvidia-smi, jupyter, curl, runpodctl"
    mods = tmp/'mods'
    files = {'torch/__init__.py': "__version__ = '2.6.0+cu124'\nclass cuda:\n    is_available = staticmethod(lambda: True)\nclass version:\n    cuda = '12.4'\n",
             'vllm/__init__.py': "__version__ = '0.8.3+tilt'\n", 'vllm/multimodal/__init__.py': '', 'vllm/multimodal/tilt_processor.py': '',
             'vllm/tilt/__init__.py': '', 'vllm/tilt/scheduler.py': ''}
    if ort: files.update({'onnxruntime/__init__.py': FAKE_ORT, 'onnxruntime_gpu-1.22.0.dist-info/METADATA': 'Name: onnxruntime-gpu\nVersion: 1.22.0\n'})
    for f, body in files.items():
        (mods/f).parent.mkdir(parents=True, exist_ok=True); (mods/f).write_text(body)
    b = w/'venv-tilt'/'bin'
    exe(b/'python', f'PYTHONPATH={mods}:{ROOT} exec {sys.executable} "$@"')
    (b/'activate').write_text(f'export VIRTUAL_ENV={b.parent}\nexport PATH="{b}:$PATH"\n')
    exe(fake/'nvidia-smi', 'echo "NVIDIA RTX A5000, 24000, 24564"')
    exe(b/'jupyter', f'case "$1" in kernelspec) echo "  invoice-lab    /x";; lab) echo "$@" > {tmp}/jupyter_args; touch {tmp}/jupyter_up;; esac')
    exe(fake/'curl', f'[ -e {tmp}/jupyter_up ] && echo "{{}}"')
    exe(fake/'runpodctl', f'echo "$@" >> {tmp}/runpodctl.log')
    weights(w)


def test_bootstrap_gpu_ready(ws, tmp_path):
    "The whole GPU path on stand-ins: checks pass, JupyterLab started with a token and the kernel, autostop started"
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path)
    r = bootstrap(env, RUNPOD_POD_ID='abc123', AUTOSTOP_HARD_S='1', AUTOSTOP_POLL_S='1')
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for s in ['ok  GPU NVIDIA RTX A5000: 24000 MiB free of 24564 MiB', 'ok  torch 2.6.0+cu124 CUDA 12.4',
              'ok  onnxruntime-gpu 1.22.0 CUDAExecutionProvider on gpu:0', 'ok  vLLM fork 0.8.3+tilt',
              'ok  JupyterLab https://abc123-8888.proxy.runpod.net/lab?token=', 'ok  autostop: idle 30 min / hard 240 min']:
        assert s in out, (s, out)
    assert out.splitlines()[-1] == 'Ready'
    token = (w/'.jupyter_token').read_text().strip()
    assert len(token) == 48 and oct((w/'.jupyter_token').stat().st_mode)[-3:] == '600' and token in out
    args = (tmp_path/'jupyter_args').read_text()
    assert f'--ServerApp.token={token}' in args and '--port=8888' in args and 'default_kernel_name=invoice-lab' in args
    assert 'runpod/env.sh' in (tmp_path/'.bashrc').read_text()
    for _ in range(100):   # the autostop timer bootstrap started (hard limit 1 s here) stops the pod
        if (tmp_path/'runpodctl.log').exists(): break
        time.sleep(0.1)
    assert (tmp_path/'runpodctl.log').read_text() == 'stop pod abc123\n'


def test_bootstrap_fork_missing(ws, tmp_path):
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path)
    (tmp_path/'mods'/'vllm'/'tilt'/'scheduler.py').unlink()
    failed_with(bootstrap(env), "the Arctic-TILT vLLM fork is not importable: ModuleNotFoundError: No module named 'vllm.tilt.scheduler'")


def test_bootstrap_onnxruntime_cpu_build(ws, tmp_path):
    "The real CPU onnxruntime of this venv in place of onnxruntime-gpu: a pod would run OCR on the CPU, so bootstrap fails"
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path, ort=False)
    r = bootstrap(env)
    failed_with(r, 'onnxruntime/ does not come from onnxruntime-gpu alone: installed in ')
    assert r.stderr.rstrip().endswith(': onnxruntime -- the CPU build shares the folder: reinstall the venv from runpod/requirements-gpu.lock (runpod/setup_volume.sh)'), r.stderr
    assert 'ok  torch 2.6.0+cu124' in r.stdout and 'Ready' not in r.stdout


def test_bootstrap_onnxruntime_both_builds(ws, tmp_path):
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path)
    d = tmp_path/'mods'/'onnxruntime-1.22.1.dist-info'; d.mkdir(); (d/'METADATA').write_text('Name: onnxruntime\nVersion: 1.22.1\n')
    failed_with(bootstrap(env), 'onnxruntime/ does not come from onnxruntime-gpu alone: installed in ')


def test_bootstrap_onnxruntime_without_cuda_provider(ws, tmp_path):
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path)
    failed_with(bootstrap(env, FAKE_ORT_PROVIDERS='CPUExecutionProvider'),
                'onnxruntime has no working CUDAExecutionProvider: EngineUnavailable: INVOICE_LAB_OCR_DEVICE=gpu:0 but onnxruntime 1.22.0 has no CUDAExecutionProvider')


def test_bootstrap_onnxruntime_session_falls_back(ws, tmp_path):
    "CUDA listed but cuDNN does not load: the session runs on the CPU, and bootstrap says so"
    w, fake, env = ws
    fake_gpu_stack(w, fake, tmp_path)
    failed_with(bootstrap(env, FAKE_ORT_SESSION='cpu'), "AssertionError: the session fell back to ['CPUExecutionProvider']: CUDA/cuDNN did not load")


def test_invoice_lab_requirements_swaps_onnxruntime():
    r = subprocess.run(['bash', '-c', f'source {RP}/env.sh && invoice_lab_requirements {ROOT}'], capture_output=True, text=True)
    reqs = r.stdout.split()
    assert r.returncode == 0 and any(x.startswith('rapidocr') for x in reqs) and any(x.startswith('runpod') for x in reqs)
    assert not [x for x in reqs if x.split('>')[0].split('=')[0] == 'onnxruntime']


def autostop(env, *args, **kw):
    return subprocess.Popen(['bash', str(RP/'autostop.sh'), *args], env={**env, **kw}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def pod(ws, tmp_path):
    "A pod environment: RUNPOD_POD_ID, a runpodctl that records its arguments, an idle GPU, fast timers"
    w, fake, env = ws
    exe(fake/'runpodctl', f'echo "$@" >> {tmp_path}/runpodctl.log')
    exe(fake/'nvidia-smi', f'cat {tmp_path}/gpu_util 2>/dev/null || echo 0')
    env = {**env, 'RUNPOD_POD_ID': 'abc123', 'AUTOSTOP_POLL_S': '1', 'AUTOSTOP_IDLE_S': '2', 'AUTOSTOP_HARD_S': '60'}
    return env, tmp_path


def test_autostop_idle(pod):
    env, tmp = pod
    out, err = autostop(env, 'start').communicate(timeout=20)
    assert (tmp/'runpodctl.log').read_text() == 'stop pod abc123\n'
    assert 'stopping pod abc123: idle for' in out


def test_autostop_hard_limit_while_busy(pod):
    env, tmp = pod
    (tmp/'gpu_util').write_text('87\n')
    out, _ = autostop(env, 'start', AUTOSTOP_HARD_S='3').communicate(timeout=20)
    assert 'hard limit of 3s reached' in out and (tmp/'runpodctl.log').read_text() == 'stop pod abc123\n'


def test_autostop_cancel(pod):
    env, tmp = pod
    p = autostop(env, 'start', AUTOSTOP_IDLE_S='30')
    for _ in range(50):
        if (tmp/'autostop'/'pid').exists(): break
        time.sleep(0.1)
    st = subprocess.run(['bash', str(RP/'autostop.sh'), 'status'], env=env, capture_output=True, text=True)
    assert 'autostop: running' in st.stdout
    c = subprocess.run(['bash', str(RP/'autostop.sh'), 'cancel'], env=env, capture_output=True, text=True)
    assert c.stdout.strip() == 'autostop: cancelled'
    p.wait(timeout=10)
    assert p.returncode == 0 and not (tmp/'runpodctl.log').exists()


def test_autostop_needs_a_pod(ws):
    p = autostop(ws[2], 'start'); out, err = p.communicate(timeout=10)
    assert p.returncode == 1 and 'RUNPOD_POD_ID is not set' in err


def run_script(name, env, **kw):
    return subprocess.run(['bash', str(RP/name)], env={**env, **kw}, capture_output=True, text=True, timeout=60)


def test_setup_volume_needs_the_fork_wheel(ws):
    r = run_script('setup_volume.sh', ws[2])
    assert r.returncode == 1 and 'no fork wheel in' in r.stderr and 'run runpod/build_wheelhouse.sh first' in r.stderr


def test_setup_volume_needs_the_checkout(ws):
    w, _, env = ws
    (w/'wheelhouse-gpu').mkdir(); (w/'wheelhouse-gpu'/'vllm-0.8.3+tilt-cp311-cp311-linux_x86_64.whl').write_bytes(b'')
    r = run_script('setup_volume.sh', env)
    assert r.returncode == 1 and f'no project checkout at {w}/invoice_lab' in r.stderr


def test_build_wheelhouse_needs_nvcc(ws):
    r = run_script('build_wheelhouse.sh', ws[2])
    assert r.returncode == 1 and 'nvcc not found: use a CUDA 12.4 *devel* image' in r.stderr and 'no GPU needed' in r.stderr


@pytest.mark.parametrize('cpu_max, mem_max, jobs', [('400000 100000', 16 * 2**30, 4),    # 4 CPUs, 16 GiB: 4 jobs
                                                    ('800000 100000', 8 * 2**30, 2),     # 8 CPUs but 8 GiB: memory decides
                                                    ('150000 100000', 64 * 2**30, 2),    # 1.5 CPUs round up
                                                    ('50000 100000', 2 * 2**30, 1),      # never below one job
                                                    ('max 100000', 2**62, None)])         # no limits: the host's nproc / memory
def test_build_jobs_follow_the_container_quota(ws, tmp_path, cpu_max, mem_max, jobs):
    "MAX_JOBS from the container's cgroup limits, not the host's nproc / MemTotal"
    cg = tmp_path/'cgroup'; cg.mkdir()
    (cg/'cpu.max').write_text(cpu_max + '\n'); (cg/'memory.max').write_text(f'{mem_max}\n')
    r = subprocess.run(['bash', str(RP/'build_wheelhouse.sh'), '--print-jobs'], env={**ws[2], 'CGROUP_ROOT': str(cg)}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    if jobs is None:
        nproc = int(subprocess.run(['nproc'], env=ws[2], capture_output=True, text=True).stdout)
        jobs = max(1, min(nproc, os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') // 2**30 // 4))
    assert r.stdout.strip() == f'MAX_JOBS={jobs} TORCH_CUDA_ARCH_LIST=8.0 8.6 8.9 9.0'
