"""The GPU venv's lock, the worker image and the RunPod templates, checked without a GPU or RunPod: the lock pins every
package for one platform with onnxruntime-gpu and no CPU onnxruntime; the templates are what the runpod SDK's
`create_template` takes; the pod template keeps the image's /start.sh; the image's build context keeps what it installs."""
import fnmatch, inspect, json, re, subprocess
from pathlib import Path
import pytest
import runpod
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
RP = ROOT/'runpod'


def locked() -> dict[str, str]:
    pins = {}
    for l in (RP/'requirements-gpu.lock').read_text().splitlines():
        if not l or l.startswith('#'): continue
        m = re.fullmatch(r'([A-Za-z0-9._-]+)==([^\s;]+)', l)
        assert m, f'not an == pin: {l!r}'
        pins[m[1].lower().replace('_', '-')] = m[2]
    return pins


def test_lock_pins_everything_once():
    pins = locked()
    assert len(pins) > 250 and pins['torch'] == '2.6.0' and pins['onnxruntime-gpu'] == '1.22.0'
    assert 'onnxruntime' not in pins, 'CPU onnxruntime in the GPU lock'
    assert pins['pymupdf'].startswith('1.28.')   # pymupdf 2.x requires CPU onnxruntime
    assert pins['transformers'] == '4.51.0' and pins['numpy'] == '1.26.4'   # vLLM 0.8.3's tested versions, not the newest


def test_lock_satisfies_its_inputs():
    "Every top-level requirement (requirements-gpu.in, settings.ini without onnxruntime) is met by the locked version"
    pins = locked()
    env = subprocess.run(['bash', '-c', f'source {RP}/env.sh && invoice_lab_requirements {ROOT}'], capture_output=True, text=True, check=True)
    reqs = [l.split('#')[0].strip() for l in (RP/'requirements-gpu.in').read_text().splitlines()] + env.stdout.split()
    for r in map(Requirement, filter(None, reqs)):
        name = r.name.lower().replace('_', '-')
        assert name in pins and r.specifier.contains(pins[name], prereleases=True), (str(r), pins.get(name))


def test_lock_header_names_the_commit_env_sh_builds():
    commit = re.search(r'TILT_COMMIT:-([0-9a-f]{40})', (RP/'env.sh').read_text())[1]
    assert f'arctic-tilt@{commit}' in (RP/'requirements-gpu.lock').read_text().splitlines()[1]


@pytest.mark.parametrize('name', ['pod_template.json', 'worker_template.json'])
def test_templates_are_create_template_arguments(name):
    t = json.loads((RP/name).read_text())
    params = inspect.signature(runpod.create_template).parameters
    assert set(t) <= set(params) and {'name', 'image_name'} <= set(t), set(t) - set(params)


def test_pod_template_keeps_start_sh(tmp_path):
    "The start command runs bootstrap.sh in the background and then execs the image's /start.sh (sshd, env for SSH)"
    cmd = json.loads((RP/'pod_template.json').read_text())['docker_start_cmd']
    assert cmd.endswith("exec /start.sh'")
    ws, start = tmp_path/'workspace', tmp_path/'start.sh'
    boot = ws/'invoice_lab'/'runpod'/'bootstrap.sh'
    boot.parent.mkdir(parents=True)
    boot.write_text(f'sleep 0.5; echo "bootstrap ran"; touch {tmp_path}/booted\n')
    start.write_text(f'#!/bin/bash\necho "$$" > {tmp_path}/start_pid\nfor _ in $(seq 50); do [ -e {tmp_path}/booted ] && exit 0; sleep 0.1; done; exit 1\n')
    start.chmod(0o755)
    argv = ['bash', '-c', cmd[len("bash -c '"):-1].replace('/workspace', str(ws)).replace('/start.sh', str(start))]
    p = subprocess.Popen(argv)
    assert p.wait(timeout=20) == 0   # start.sh saw bootstrap finish beside it
    assert int((tmp_path/'start_pid').read_text()) == p.pid   # exec: /start.sh replaced the shell (it is the container's main process)
    assert (ws/'logs'/'bootstrap.log').read_text() == 'bootstrap ran\n'


def test_worker_image():
    d = (RP/'Dockerfile').read_text()
    assert 'pip install --find-links /wheels -r /tmp/requirements-gpu.lock' in d and 'pip install --no-deps /wheels/vllm-*.whl' in d
    assert 'ENV INVOICE_LAB_VOLUME=/runpod-volume' in d and d.rstrip().endswith('CMD ["python", "-u", "/handler.py"]')
    assert 'pip install --no-deps /tmp/invoice_lab' in d and ' -e ' not in d   # not editable: no checkout path baked in


def test_worker_build_context_keeps_what_it_installs():
    "runpod/Dockerfile.dockerignore leaves the package, its build files and the handler in the context"
    pats = [l.strip() for l in (RP/'Dockerfile.dockerignore').read_text().splitlines() if l.strip() and not l.startswith('#')]
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    kept = [f for f in files if not any(fnmatch.fnmatch(f, p) or f.startswith(p.rstrip('/') + '/') for p in pats)]
    for need in ['setup.py', 'settings.ini', 'README.md', 'invoice_lab/pipeline.py', 'invoice_lab/assets/models/fields_cpu.pkl',
                 'runpod/serverless/handler.py', 'runpod/requirements-gpu.lock']:
        assert need in kept, need
    assert not [f for f in kept if f.startswith(('tests/', 'nbs/', 'experiments/'))]
