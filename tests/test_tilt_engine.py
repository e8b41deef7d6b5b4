"""The GPU half of invoice_lab.tilt, run on CPU against a stand-in `vllm` package with the fork's interface.

The stand-in mirrors what the Snowflake-Labs/arctic-tilt fork exposes (vllm.LLMEngine.from_engine_args,
vllm.engine.arg_utils.EngineArgs, vllm.SamplingParams, vllm.multimodal.tilt_processor.{Page, Document, Question,
TiltPreprocessor.from_config}; RequestOutput.outputs[0].{text, token_ids, logprobs: list[dict[id, Logprob]]}).
It checks what we send (engine settings, pages, questions, sampling) and how we read the answers back.
"""
import math, sys, types
from dataclasses import dataclass
import pytest
from PIL import Image
from invoice_lab.core import Box, Document, Page, Word, EngineUnavailable
from invoice_lab.tilt import TiltExtractor, UNGROUNDED_FACTOR

ANSWERS = {'company name': ('SHOP SDN BHD', [(11, -0.01), (12, -0.02)]),
           'total amount': ('99.00', [(21, -0.05)]),          # invented: not on the page
           'date': ('01/02/2019', [(31, -0.3), (32, -0.1)])}


@dataclass
class Logprob: logprob: float


def fake_vllm(log):
    "Modules `vllm`, `vllm.engine.arg_utils`, `vllm.multimodal.tilt_processor` with the fork's names"
    tp = types.ModuleType('vllm.multimodal.tilt_processor')

    @dataclass
    class TPage: words: list; bboxes: list; width: float; height: float; image: object
    @dataclass
    class TDocument: ident: str; pages: list; split: str = None
    @dataclass
    class Question: feature_name: str; text: str

    class TiltPreprocessor:
        @classmethod
        def from_config(cls, model_config, tokenizer):
            log['pre_config'] = (model_config, tokenizer); return cls()
        def preprocess(self, document, questions):
            log['document'], log['questions'] = document, questions
            return [{'prompt_for': q.text} for q in questions]
    tp.Page, tp.Document, tp.Question, tp.TiltPreprocessor = TPage, TDocument, Question, TiltPreprocessor

    class EngineArgs:
        def __init__(self, **kw): log['engine_args'] = kw

    class Engine:
        model_config = types.SimpleNamespace(hf_config=types.SimpleNamespace(max_output_length=64))
        def __init__(self): self.pending = []
        @classmethod
        def from_engine_args(cls, args): log['engines'] = log.get('engines', 0) + 1; return cls()
        def get_tokenizer(self): return types.SimpleNamespace(backend_tokenizer='tok')
        def add_request(self, request_id, prompt, params):
            log.setdefault('requests', []).append((request_id, prompt, params)); self.pending.append((request_id, prompt))
        def has_unfinished_requests(self): return bool(self.pending)
        def step(self):
            rid, prompt = self.pending.pop(0)
            text, toks = ANSWERS.get(prompt['prompt_for'], ('', [(1, -0.01)]))  # nothing found
            out = types.SimpleNamespace(text=text, token_ids=[t for t, _ in toks],
                                        logprobs=[{t: Logprob(lp)} for t, lp in toks])
            return [types.SimpleNamespace(request_id=rid, finished=False, outputs=[out]),
                    types.SimpleNamespace(request_id=rid, finished=True, outputs=[out])]

    class SamplingParams:
        def __init__(self, **kw): self.kw = kw

    vllm = types.ModuleType('vllm'); vllm.LLMEngine, vllm.SamplingParams = Engine, SamplingParams
    eng = types.ModuleType('vllm.engine'); au = types.ModuleType('vllm.engine.arg_utils'); au.EngineArgs = EngineArgs
    mm = types.ModuleType('vllm.multimodal'); mm.tilt_processor = tp
    return {'vllm': vllm, 'vllm.engine': eng, 'vllm.engine.arg_utils': au, 'vllm.multimodal': mm,
            'vllm.multimodal.tilt_processor': tp}


def w(t, x0, y0, x1, y1, line): return Word(text=t, box=Box(x0=x0, y0=y0, x1=x1, y1=y1), line=line)


@pytest.fixture
def log(monkeypatch):
    log = {}
    for k, m in fake_vllm(log).items(): monkeypatch.setitem(sys.modules, k, m)
    monkeypatch.delenv('VLLM_ATTENTION_BACKEND', raising=False)
    return log


PDF = Document(source='inv.pdf', kind='pdf', sha256='abc', pages=[
    Page(index=0, width=595, height=842, unit='pt', words=[w('SHOP', 72, 72, 110, 84, 0), w('SDN', 114, 72, 140, 84, 0),
         w('BHD', 144, 72, 170, 84, 0), w('Date', 72, 100, 100, 112, 1), w('01/02/2019', 104, 100, 170, 112, 1)]),
    Page(index=1, width=595, height=842, unit='pt', words=[w('Total', 72, 700, 110, 712, 0), w('9.00', 500, 700, 530, 712, 0)])])


def test_engine_settings_and_requests(log):
    import os
    fs = TiltExtractor(questions={'iban': 'company name'}, max_model_len=32768).extract_fields(
        PDF, {'vendor': 'company name', 'total': 'total amount', 'date': 'date'})
    assert os.environ['VLLM_ATTENTION_BACKEND'] == 'XFORMERS'
    ea = log['engine_args']
    assert (ea['task'], ea['scheduler_cls'], ea['dtype'], ea['enforce_eager'], ea['disable_async_output_proc'],
            ea['max_model_len']) == ('tilt_generate', 'vllm.tilt.scheduler.Scheduler', 'bfloat16', True, True, 32768)
    assert log['pre_config'][1] == 'tok'
    # one request per question, greedy with the chosen token's logprob, model's max output length
    qs = {q.feature_name: q.text for q in log['questions']}
    assert len(log['requests']) == len(qs) == 11 and [r[0] for r in log['requests']][:2] == ['0', '1']
    assert log['requests'][0][2].kw == {'temperature': 0, 'logprobs': 0, 'max_tokens': 64}
    assert (qs['vendor'], qs['total'], qs['date'], qs['iban']) == ('company name', 'total amount', 'date', 'company name')
    # PDF points → pixels at 144 dpi, blank stand-in images of the rendered size (no file to render)
    p0 = log['document'].pages[0]
    assert (p0.width, p0.height, p0.bboxes[0], p0.image.size) == (1190, 1684, [144, 144, 220, 168], (1190, 1684))
    assert log['document'].ident == 'abc' and len(log['document'].pages) == 2
    # answers back into the contract, grounded in our units (points), the invented total marked
    assert (fs['vendor'].raw, fs['vendor'].box, fs['vendor'].page) == ('SHOP SDN BHD', [72, 72, 170, 84], 0)
    assert math.isclose(fs['vendor'].confidence, math.exp(-0.02), abs_tol=1e-3)
    assert (fs['date'].raw, fs['date'].note) == ('01/02/2019', None)
    assert (fs['total'].raw, fs['total'].note, fs['total'].box) == ('99.00', 'ungrounded', None)
    assert math.isclose(fs['total'].confidence, math.exp(-0.05) * UNGROUNDED_FACTOR, abs_tol=1e-3)
    assert fs['customer'] is None and len(fs) == 11


def test_one_engine_per_extractor(log):
    ex = TiltExtractor()
    q = {'vendor': 'company name'}
    ex.extract_fields(PDF, q); ex.extract_fields(PDF, q)
    assert log['engines'] == 1


def test_page_image_used_for_scale(log):
    img = Image.new('RGB', (1000, 500))
    doc = Document(source='r.jpg', pages=[Page(index=0, width=500, height=250, words=[w('SHOP', 10, 10, 50, 20, 0)]).with_image(img)])
    TiltExtractor().generate(doc, {'vendor': 'company name'})
    p = log['document'].pages[0]
    assert (p.image is img, p.bboxes, p.width) == (True, [[20, 20, 100, 40]], 1000)


def test_without_fork_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'vllm', None)
    with pytest.raises(EngineUnavailable, match='build_wheelhouse.sh'):
        TiltExtractor().generate(PDF, {'vendor': 'company name'})
