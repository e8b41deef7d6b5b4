"""invoice_lab.runpod_pod and `invoice-lab pod ...` against hand-written RunPod API responses, at the HTTP boundary.

`requests.post` (what the runpod SDK's GraphQL client calls) is replaced by a router that answers from
tests/fixtures/runpod/*.json by the operation in the query, and records every request. No network.
"""
import json
from pathlib import Path
import pytest
import requests
from typer.testing import CliRunner
from invoice_lab import runpod_pod as rp
from invoice_lab.runpod_pod import PodConfig, PodError

FIX = Path(__file__).parent/'fixtures'/'runpod'
CFG = PodConfig(template_id='tpl123', network_volume_id='vol9', data_center='EU-RO-1', env={'AUTOSTOP_IDLE_MIN': '20'})


class Resp:
    def __init__(self, body, status=200): self.body, self.status_code = body, status
    def json(self): return self.body


class API:
    "A stand-in for api.runpod.io/graphql: operation name in the query → fixture file"
    def __init__(self, **routes):
        self.routes = {'gpuTypes': 'gpu_a5000', 'podRentInterruptable': 'spot_create',
                       'podFindAndDeployOnDemand': 'ondemand_create', 'pod(input': 'pod_running',
                       'podStop': 'pod_stop', 'podTerminate': 'pod_terminate', 'podBidResume': 'pod_bid_resume',
                       'myself': 'myself_volumes', **routes}
        self.calls, self.status = [], 200
    def __call__(self, url, headers=None, data=None, timeout=None):
        q = json.loads(data)['query']
        self.calls.append({'url': url, 'headers': headers, 'query': q})
        if self.status != 200: return Resp({}, self.status)
        for op, name in self.routes.items():
            if op in q: return Resp(json.loads((FIX/f'{name}.json').read_text()))
        raise AssertionError(f'unexpected query: {q}')
    def ops(self): return [next(op for op in self.routes if op in c['query']) for c in self.calls]


@pytest.fixture
def api(monkeypatch, tmp_path):
    a = API()
    monkeypatch.setattr(requests, 'post', a)
    monkeypatch.setenv('RUNPOD_API_KEY', 'rpa_TESTKEY')
    monkeypatch.setenv('INVOICE_LAB_CACHE', str(tmp_path))
    monkeypatch.delenv('RUNPOD_API_BASE_URL', raising=False)
    return a


def test_spot_up(api, tmp_path):
    pod = rp.pod_up(CFG)
    assert api.ops() == ['gpuTypes', 'podRentInterruptable']
    c = api.calls[1]
    assert c['url'] == 'https://api.runpod.io/graphql' and c['headers']['Authorization'] == 'Bearer rpa_TESTKEY'
    q = c['query']
    for part in ['bidPerGpu: 0.16', 'cloudType: SECURE', 'gpuTypeId: "NVIDIA RTX A5000"', 'templateId: "tpl123"',
                 'networkVolumeId: "vol9"', 'dataCenterId: "EU-RO-1"', 'ports: "8888/http,8000/http,22/tcp"',
                 'volumeMountPath: "/workspace"', 'env: [{key: "AUTOSTOP_IDLE_MIN", value: "20"}]']:
        assert part in q, part
    assert 'supportPublicIp' not in q and 'startSsh' not in q   # not fields of the Spot input: GraphQL would reject the mutation
    assert (pod['id'], pod['costPerHr']) == ('x7k2m9q4w1abcd', 0.16)
    assert json.loads((tmp_path/'pod.json').read_text())['id'] == 'x7k2m9q4w1abcd'


def test_spot_bid_is_the_floor_where_the_volume_is(api):
    "The price query asks for Secure Cloud in the volume's data centre, not the minimum over every cloud"
    rp.pod_up(CFG)
    q = api.calls[0]['query']
    assert 'lowestPrice(input: {gpuCount: 1, secureCloud: true, dataCenterId: "EU-RO-1", minVcpuCount: 4, minMemoryInGb: 16})' in q, q
    assert 'bidPerGpu: 0.16' in api.calls[1]['query']   # minimumBidPrice 0.14 there + margin 0.02


def test_spot_fixed_bid_skips_price_query(api):
    rp.pod_up(CFG.model_copy(update={'bid_per_gpu': 0.2}))
    assert api.ops() == ['podRentInterruptable'] and 'bidPerGpu: 0.2,' in api.calls[0]['query']


def test_no_spot_capacity(api):
    api.routes['gpuTypes'] = 'gpu_no_spot'
    with pytest.raises(PodError, match='no Spot capacity for NVIDIA RTX A5000'):
        rp.pod_up(CFG)
    assert api.ops() == ['gpuTypes']


def test_api_error_message_surfaces(api):
    api.routes['podRentInterruptable'] = 'no_instances'
    with pytest.raises(PodError, match='RunPod: There are no longer any instances available'):
        rp.pod_up(CFG)


def test_bad_key(api):
    api.status = 401
    with pytest.raises(PodError, match='refused the API key'):
        rp.pod_status('x7k2m9q4w1abcd')


def test_on_demand_up_through_sdk(api):
    pod = rp.pod_up(CFG.model_copy(update={'spot': False}))
    assert api.ops() == ['gpuTypes', 'podFindAndDeployOnDemand']   # the SDK checks the GPU type first
    q = api.calls[1]['query']
    for part in ['gpuTypeId: "NVIDIA RTX A5000"', 'templateId: "tpl123"', 'networkVolumeId: "vol9"',
                 'dataCenterId: "EU-RO-1"', 'ports: "8888/http,8000/http,22/tcp"', 'cloudType: SECURE']:
        assert part in q, part
    assert 'podRentInterruptable' not in q and pod['id'] == 'p3n8d5r2t6efgh'


def test_status_stop_terminate_use_remembered_pod(api, tmp_path):
    rp.pod_up(CFG)
    assert rp.pod_status()['uptimeSeconds'] == 5400
    last = rp.pod_stop()
    assert rp.cost_so_far(last) == pytest.approx(0.24)
    assert 'podStop(input: { podId: "x7k2m9q4w1abcd" })' in api.calls[-1]['query']
    rp.pod_terminate()
    assert 'podTerminate(input: { podId: "x7k2m9q4w1abcd" })' in api.calls[-1]['query']
    assert not (tmp_path/'pod.json').exists()
    with pytest.raises(PodError, match='none remembered'):
        rp.pod_status()


def test_up_starts_the_stopped_spot_pod_again(api):
    rp.remember({'id': 'x7k2m9q4w1abcd', 'name': 'invoice-lab'})
    api.routes['pod(input'] = 'pod_exited'
    pod = rp.pod_up(CFG)
    assert api.ops() == ['pod(input', 'gpuTypes', 'podBidResume']
    assert 'podBidResume(input: {podId: "x7k2m9q4w1abcd", bidPerGpu: 0.16, gpuCount: 1})' in api.calls[-1]['query']
    assert pod['resumed'] and pod['desiredStatus'] == 'RUNNING'


def test_up_when_running_rents_nothing(api):
    rp.remember({'id': 'x7k2m9q4w1abcd', 'name': 'invoice-lab'})
    assert rp.pod_up(CFG)['uptimeSeconds'] == 5400 and api.ops() == ['pod(input']


def test_up_new_ignores_the_stopped_pod(api, tmp_path):
    rp.remember({'id': 'old0000000000', 'name': 'invoice-lab'})
    api.routes['pod(input'] = 'pod_exited'
    assert rp.pod_up(CFG, new=True)['id'] == 'x7k2m9q4w1abcd' and api.ops() == ['gpuTypes', 'podRentInterruptable']
    assert json.loads((tmp_path/'pod.json').read_text())['id'] == 'x7k2m9q4w1abcd'


def test_resume_failure_says_what_to_do(api):
    rp.remember({'id': 'x7k2m9q4w1abcd', 'name': 'invoice-lab'})
    api.routes.update({'pod(input': 'pod_exited', 'podBidResume': 'no_instances'})
    with pytest.raises(PodError, match='pod up --new'):
        rp.pod_up(CFG)


def test_missing_pod(api):
    api.routes['pod(input'] = 'pod_null'
    with pytest.raises(PodError, match='pod gone123 not found'):
        rp.pod_status('gone123')


# The CLI: `invoice-lab pod ...` (09_cli) prints the summary and the cost so far.
def cli(*args):
    from invoice_lab.cli import app
    return CliRunner().invoke(app, ['pod', *args])


def test_cli_up_status_stop(api, monkeypatch, tmp_path):
    toml = tmp_path/'pod.toml'
    toml.write_text('template_id = "tpl123"\nnetwork_volume_id = "vol9"\ndata_center = "EU-RO-1"\n')
    monkeypatch.setenv('INVOICE_LAB_POD_CONFIG', str(toml))
    r = cli('up')
    assert r.exit_code == 0, r.output
    assert 'x7k2m9q4w1abcd' in r.output and 'Spot' in r.output
    r = cli('status')
    assert r.exit_code == 0 and 'cost so far $0.24' in r.output and 'https://x7k2m9q4w1abcd-8888.proxy.runpod.net' in r.output
    r = cli('stop')
    assert r.exit_code == 0 and 'stopped x7k2m9q4w1abcd' in r.output and '$0.24' in r.output
    r = cli('terminate', '--yes')
    assert r.exit_code == 0 and 'terminated x7k2m9q4w1abcd' in r.output


def test_cli_status_reports_the_volume_cost(api, monkeypatch):
    monkeypatch.setenv('INVOICE_LAB_POD_NETWORK_VOLUME_ID', 'vol9')
    r = cli('status', 'x7k2m9q4w1abcd')
    assert r.exit_code == 0, r.output
    assert 'volume vol9 invoice-lab (EU-RO-1): 30 GB, $2.10/month ($0.070/day)' in r.output and 'cost so far $0.24' in r.output
    assert api.ops() == ['pod(input', 'myself']
    monkeypatch.setenv('INVOICE_LAB_POD_NETWORK_VOLUME_ID', 'gone7')
    assert "volume gone7: not among this account's network volumes" in cli('status', 'x7k2m9q4w1abcd').output


def test_cli_error_is_one_line(api, monkeypatch):
    monkeypatch.delenv('RUNPOD_API_KEY')
    r = cli('status', 'abc')
    assert r.exit_code == 1 and 'RUNPOD_API_KEY' in r.output and 'Traceback' not in r.output
