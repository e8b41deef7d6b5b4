"""Does PaddleOCR 3.x run with engine="onnxruntime" and NO PaddlePaddle installed? (the GPU venv's OCR choice, runpod/README.md)

Run in a throwaway venv, not the project's (it needs paddleocr, which the project does not depend on):
    python3 -m venv /tmp/ppocr && /tmp/ppocr/bin/pip install paddleocr==3.7.0 onnxruntime pyyaml
    cd /tmp && PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True /tmp/ppocr/bin/python <repo>/experiments/paddleocr_without_paddle.py <repo>
It builds PP-OCRv6 small det/rec model dirs (inference.onnx + inference.yml) from the rapidocr wheel installed in
<repo>/.venv, reads one SROIE receipt offline and prints whether `paddle` is importable, the time and the first lines.
Seen 2026-11-24: paddle importable: False; 44 lines, 'BOOK TA _K (TAMAN DAYA) SDN BHD' second (8.4 s first call, incl. model load).
"""
import sys, time, yaml, onnxruntime as ort, shutil
from pathlib import Path
repo = Path(sys.argv[1]).resolve()
src = next((repo/'.venv'/'lib').glob('python3*/site-packages/rapidocr/models'))
det, rec = Path('det'), Path('rec'); det.mkdir(exist_ok=True); rec.mkdir(exist_ok=True)
shutil.copy(src/'PP-OCRv6_det_small.onnx', det/'inference.onnx'); shutil.copy(src/'PP-OCRv6_rec_small.onnx', rec/'inference.onnx')
yaml.safe_dump({'Global': {'model_name': 'PP-OCRv6_small_det'},
  'PreProcess': {'transform_ops': [{'DecodeImage': {'channel_first': False, 'img_mode': 'BGR'}}, {'DetLabelEncode': None},
     {'DetResizeForTest': {'resize_long': 960}}, {'NormalizeImage': {'mean': [0.485, 0.456, 0.406], 'order': 'hwc', 'scale': '1./255.', 'std': [0.229, 0.224, 0.225]}},
     {'ToCHWImage': None}, {'KeepKeys': {'keep_keys': ['image', 'shape', 'polys', 'ignore_tags']}}]},
  'PostProcess': {'name': 'DBPostProcess', 'thresh': 0.3, 'box_thresh': 0.6, 'max_candidates': 1000, 'unclip_ratio': 1.5}}, open(det/'inference.yml', 'w'))
chars = ort.InferenceSession(str(rec/'inference.onnx'), providers=['CPUExecutionProvider']).get_modelmeta().custom_metadata_map['character'].split('\n')
yaml.safe_dump({'Global': {'model_name': 'PP-OCRv6_small_rec'},
  'PreProcess': {'transform_ops': [{'DecodeImage': {'channel_first': False, 'img_mode': 'BGR'}}, {'RecResizeImg': {'image_shape': [3, 48, 320]}},
     {'KeepKeys': {'keep_keys': ['image', 'length']}}]},
  'PostProcess': {'name': 'CTCLabelDecode', 'character_dict': chars}}, open(rec/'inference.yml', 'w'), allow_unicode=True)
import importlib.util; print('paddle importable:', importlib.util.find_spec('paddle') is not None)
from paddleocr import PaddleOCR
o = PaddleOCR(text_detection_model_name='PP-OCRv6_small_det', text_detection_model_dir=str(det),
              text_recognition_model_name='PP-OCRv6_small_rec', text_recognition_model_dir=str(rec), engine='onnxruntime',
              use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False, device='cpu')
t = time.time(); r = o.predict(str((repo/'..'/'shared'/'data'/'sroie'/'train'/'X00016469612.jpg').resolve()))[0]
print(f'{time.time()-t:.2f}s', len(r['rec_texts']), r['rec_texts'][:6])
