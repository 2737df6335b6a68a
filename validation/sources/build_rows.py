"""Rebuild the new rows of validation/measurements.csv from the figures read in their sources.

Every figure below was read by hand in the source named with it (see validation/README.md,
"How rows were found"); this script only lays them out in the CSV format, it reads no network.
Run: python validation/sources/build_rows.py > /tmp/new_rows.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

TINY = "https://github.com/mlcommons/tiny_results_v1.0/blob/c7761cf84076d601c4a0ed2ecc51e77d40696ed2/closed"
TINY_MODEL = {
    "ic": "mlperf-tiny-resnet8",
    "kws": "mlperf-tiny-ds-cnn",
    "vww": "mlperf-tiny-vww",
    "ad": "mlperf-tiny-autoencoder",
}
TINY_NAME = {"ic": "IC", "kws": "KWS", "vww": "VWW", "ad": "AD"}
BOARDS = {
    # board folder -> (hwsim chip, board text)
    "NUCLEO-H7A3ZI-Q": ("stm32h7a3", "NUCLEO-H7A3ZI-Q, STM32H7A3ZIT6Q Cortex-M7 @280 MHz"),
    "NUCLEO_L4R5ZI": ("stm32l4r5", "NUCLEO-L4R5ZI, STM32L4R5ZIT6U Cortex-M4 @120 MHz"),
    "NUCLEO-U575ZI-Q": ("stm32u575", "NUCLEO-U575ZI-Q, STM32U575ZIT6Q Cortex-M33 @160 MHz"),
    "DISCO_F746NG": ("stm32f746", "DISCO-F746NG, STM32F746NG Cortex-M7 @216 MHz"),
    "B_U585I_IOT02A": ("stm32u575", "B-U585I-IOT02A, STM32U585AI Cortex-M33 @160 MHz"),
}
# (id, submitter, board, task, kind, value) -- kind: perf (median throughput, inf/s) or
# energy (median energy, uJ/inf), as printed in results.txt.
TINY_ROWS = [
    ("T03", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "kws", "perf", "59.667"),
    ("T04", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "kws", "energy", "2721.781"),
    ("T05", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "vww", "perf", "19.722"),
    ("T06", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "vww", "energy", "7978.465"),
    ("T07", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "ad", "perf", "547.705"),
    ("T08", "STMicroelectronics", "NUCLEO-H7A3ZI-Q", "ad", "energy", "266.486"),
    ("T14", "STMicroelectronics", "NUCLEO_L4R5ZI", "ic", "energy", "10681.623"),
    ("T15", "STMicroelectronics", "NUCLEO_L4R5ZI", "kws", "perf", "13.323"),
    ("T16", "STMicroelectronics", "NUCLEO_L4R5ZI", "kws", "energy", "3371.738"),
    ("T17", "STMicroelectronics", "NUCLEO_L4R5ZI", "vww", "perf", "4.339"),
    ("T18", "STMicroelectronics", "NUCLEO_L4R5ZI", "vww", "energy", "10066.628"),
    ("T19", "STMicroelectronics", "NUCLEO_L4R5ZI", "ad", "perf", "131.950"),
    ("T20", "STMicroelectronics", "NUCLEO_L4R5ZI", "ad", "energy", "322.977"),
    ("T31", "STMicroelectronics", "NUCLEO-U575ZI-Q", "ic", "perf", "7.158"),
    ("T32", "STMicroelectronics", "NUCLEO-U575ZI-Q", "ic", "energy", "3641.998"),
    ("T33", "STMicroelectronics", "NUCLEO-U575ZI-Q", "kws", "perf", "22.608"),
    ("T34", "STMicroelectronics", "NUCLEO-U575ZI-Q", "kws", "energy", "1138.534"),
    ("T35", "STMicroelectronics", "NUCLEO-U575ZI-Q", "vww", "perf", "7.496"),
    ("T36", "STMicroelectronics", "NUCLEO-U575ZI-Q", "vww", "energy", "3364.456"),
    ("T37", "STMicroelectronics", "NUCLEO-U575ZI-Q", "ad", "perf", "206.211"),
    ("T38", "STMicroelectronics", "NUCLEO-U575ZI-Q", "ad", "energy", "119.113"),
    ("T22", "plumerai", "DISCO_F746NG", "kws", "perf", "52.288"),
    ("T23", "plumerai", "DISCO_F746NG", "vww", "perf", "17.535"),
    ("T24", "plumerai", "DISCO_F746NG", "ad", "perf", "435.741"),
    ("T41", "plumerai", "NUCLEO_L4R5ZI", "ic", "perf", "5.775"),
    ("T42", "plumerai", "NUCLEO_L4R5ZI", "kws", "perf", "13.955"),
    ("T43", "plumerai", "NUCLEO_L4R5ZI", "vww", "perf", "4.795"),
    ("T44", "plumerai", "NUCLEO_L4R5ZI", "ad", "perf", "179.448"),
    ("T45", "plumerai", "B_U585I_IOT02A", "ic", "perf", "9.341"),
    ("T46", "plumerai", "B_U585I_IOT02A", "kws", "perf", "28.219"),
    ("T47", "plumerai", "B_U585I_IOT02A", "vww", "perf", "9.342"),
    ("T48", "plumerai", "B_U585I_IOT02A", "ad", "perf", "206.127"),
]

AIHUB = "https://github.com/quic/ai-hub-models/blob/052dc1f3753ae177349f16d915ab67017f879b69/qai_hub_models/models"
# (id, hwsim workload, AI Hub folder, precision key, hwsim dtype, value ms, extra params, note)
AIHUB_ROWS = [
    ("M02", "mobilenet_v2", "mobilenet_v2", "w8a8", "int8", "0.3", "", ""),
    ("M03", "resnet50", "resnet50", "float", "fp16", "1.571", "", ""),
    ("M04", "resnet50", "resnet50", "w8a8", "int8", "0.593", "", ""),
    ("M05", "resnet18", "resnet18", "float", "fp16", "0.885", "", ""),
    ("M07", "resnet18", "resnet18", "w8a8", "int8", "0.304", "", ""),
    ("M08", "efficientnet_b0", "efficientnet_b0", "float", "fp16", "1.03", "", ""),
    (
        "M09",
        "vit-b-16",
        "vit",
        "float",
        "fp16",
        "5.952",
        "",
        "AI Hub VIT = torchvision vision_transformer (ViT-B/16 at 224x224)",
    ),
    (
        "M10",
        "vit-b-16",
        "vit",
        "w8a8",
        "int8",
        "4.746",
        "",
        "AI Hub VIT = torchvision vision_transformer (ViT-B/16 at 224x224)",
    ),
    (
        "M11",
        "bert-base",
        "bert_base_uncased_hf",
        "float",
        "fp16",
        "17.064",
        "seq_len=384",
        "sequence length 384 (the AI Hub export's input length) assumed; the built-in bert-base default",
    ),
    (
        "M13",
        "distilbert",
        "distil_bert_base_uncased_hf",
        "float",
        "fp16",
        "11.743",
        "seq_len=384",
        "sequence length 384 assumed, as M11",
    ),
]

M14_NOTE = (
    "prompt length 1024 from the model's info.yaml at the same commit "
    f'({AIHUB}/llama_v2_7b_chat/info.yaml): "Input sequence length for Prompt Processor: '
    "'1024'\" and \"both values in the range are the same since prompt length is the full "
    "context length (1024 tokens)\"; dtype w4a16-int: AI Hub's w4a16 is 4-bit weights and "
    "16-bit integer activations (AIMET fixed-point encodings, QNN 16-bit integer inference), "
    "so its MACs run at the Hexagon int16 rate, not the fp16 one"
)

CORAL = "https://coral.ai/docs/edgetpu/benchmarks/"
CORAL_ROWS = [
    # id, workload, params, value, quote
    ("M16", "mobilenet_v2", "", "2.6", "MobileNet v2 (224x224) | 51 | 2.6 | 122 | 2.6"),
    ("M17", "resnet50", "resolution=299", "49", "ResNet-50 V1 (299x299) | 484 | 49 | 1763 | 56"),
    ("M18", "vgg16", "", "296", "VGG16 (224x224) | 867 | 296 | 4595 | 343"),
    ("M25", "models/vgg19.yaml", "", "308", "VGG19 (224x224) | 1060 | 308 | 5538 | 357"),
    ("M26", "models/inception-v1.yaml", "", "3.4", "Inception v1 (224x224) | 90 | 3.4 | 392 | 4.1"),
    (
        "M28",
        "models/efficientnet-edgetpu-s.yaml",
        "",
        "5.1",
        "EfficientNet-EdgeTpu-S* | 5431 | 5.1 | 705 | 5.5",
    ),
    (
        "M29",
        "models/efficientnet-edgetpu-m.yaml",
        "",
        "8.7",
        "EfficientNet-EdgeTpu-M* | 8469 | 8.7 | 1081 | 10.6",
    ),
]

CORAL_MODELS = "https://coral.ai/models/image-classification"
CORAL_MODELS_ROWS = [
    # id, workload, params, value, quote (the page's trained-model table, 'Latency' column)
    (
        "M27",
        "mobilenet_v1",
        "width=0.25;resolution=128",
        "0.9",
        "MobileNet V1 | 1,000 objects ILSVRC2012 | 128x128x3 | 0.25 | 1 | 0.9 ms | Top-1: 40.8%",
    ),
    (
        "M30",
        "models/efficientnet-edgetpu-l.yaml",
        "",
        "21.3",
        "EfficientNet-EdgeTpu (L)* | 1,000 objects ILSVRC2012 | 300x300x3 | N/A | 1 | 21.3 ms | Top-1: 81.2%",
    ),
]
CORAL_MODELS_CONDITIONS = (
    "Coral models page, image classification table, 'Latency' column (footnote 1, the "
    "device, is not in the copy read); read as USB Accelerator + desktop CPU because the same "
    "column's Inception V1 (3.4 ms) and EfficientNet-EdgeTpu (S) (5.0 ms) match the "
    "benchmarks table's USB Accelerator column (3.4, 5.1 ms), not its Dev Board column (4.1, "
    "5.5 ms); int8 TFLite, depth multiplier 0.25, 128x128 input"
)

TINYENGINE = "https://github.com/mit-han-lab/tinyengine/blob/022fc116e000cf7ba1c071df466a1165b550f5ac/README.md"
TINYENGINE_STACKS = {
    # hwsim profile -> (the README's column, conditions, notes)
    "tflm": (
        "TF-Lite Micro @713b6ed",
        "TinyEngine README measured results: TF-Lite Micro @713b6ed reference kernels; clock not stated",
    ),
    "cmsis-nn": (
        "CMSIS-NN @011bf32",
        "TinyEngine README measured results: CMSIS-NN @011bf32 (TFLM interpreter + CMSIS-NN kernels)",
    ),
    "x-cube-ai": (
        "X-CUBE-AI 7.3.0 (balanced)",
        "TinyEngine README measured results: X-CUBE-AI 7.3.0 balanced",
    ),
    "tinyengine": (
        "TinyEngine @0363956",
        "TinyEngine README measured results: TinyEngine @0363956",
    ),
}
# (id, workload, profile, value in ms) -- the README's latency table, row "mcunet-in2"
TINYENGINE_ROWS = [
    ("E20", "mcunet-in2", "tflm", "6463"),
    ("E21", "mcunet-in2", "cmsis-nn", "642"),
    ("E22", "mcunet-in2", "x-cube-ai", "351"),
    ("E23", "mcunet-in2", "tinyengine", "280"),
]
TINYENGINE_QUOTE = {"mcunet-in2": "mcunet-in2 | 6463ms | 642ms | 351ms | 280ms"}

ESP_TFLM = "https://github.com/espressif/esp-tflite-micro/blob/01a78d0ab8e1640804c97149c67e5bdbeb9faaa8/README.md"

ESP_NN = (
    "https://github.com/espressif/esp-nn/blob/79d59ae3eb5f6b6ebc5149034ae5876d29605eed/README.md"
)
ESP_NN_MNV3_QUOTE = (
    "**MobileNetV3 Small** (INT8 quantized, 224x224x3, 1000 classes) ... "
    "ESP32-S3 | 240MHz | 26000ms | 1434ms ... The above is time taken for execution of the "
    "`invoke()` call - SPIRAM used for TensorArena."
)
ESP_NN_MNV3_NOTE = (
    "esp-nn README model-level table (added with ESP-NN 1.2.1, 'update S3 performance "
    "numbers'); model = models/mobilenet-v3-small.yaml (tf.keras MobileNetV3Small 1.0, 56.5 M "
    "MAC, 2.54 M params). fit = no: the tensor arena was in PSRAM (SPIRAM), behind the "
    "ESP32-S3's 64 KB data cache, while hwsim keeps the 351 kB int8 arena in internal SRAM, "
    "so the row's condition is not represented and it is validated, never fitted; what "
    "makes it 3x slower than hwsim is only partly known (docs/validation.md, 'ESP32-S3: "
    "MobileNetV3-Small')"
)
# (id, profile, value, column, conditions' kernel text)
ESP_NN_MNV3_ROWS = [
    ("E24", "esp-nn", "1434", "with ESP-NN", "TFLite Micro + ESP-NN 1.2.1 optimised kernels"),
    (
        "E25",
        "tflm",
        "26000",
        "without ESP-NN",
        "TFLite Micro with its reference kernels (ESP-NN disabled)",
    ),
]

EYERISS = "https://vdocuments.site/ieee-journal-of-solid-state-circuits-1-eyeriss-an-dejan-markovic-y-h-chen-and.html"
# (id, model file, batch, frames/s, quote) -- the JSSC 2017 abstract
EYERISS_ROWS = [
    (
        "A02",
        "models/vgg16-conv-eyeriss.yaml",
        "3",
        "0.7",
        "0.7 frames/s and 0.0035 DRAM access/MAC for VGG-16 at 236 mW ( N = 3)",
    ),
]

NVIDIA_BERT_README = "https://github.com/mlcommons/inference_results_v4.0/blob/3c4a1cf196b70175cfe7c59e067cd1d923aa4f3f/closed/NVIDIA/code/bert/tensorrt/README.md"
SQUAD_PADDING = "https://openreview.net/forum?id=3nzKUh9a4M"
BERT_UNPADDED_LEN = "176.64"  # (1 - 0.54) x 384 tokens
NO_FIT = (
    "; unpadded batch of SQuAD samples averaging 176.64 real tokens = (1 - 0.54) x 384: "
    "NVIDIA's harness 'truncate[s] the padded part of the input sequences and concatenate[s] "
    f"the truncated sequences when forming a batch' ({NVIDIA_BERT_README}, 'Variable Sequence "
    "Lengths'), and 'For SQuAD-v1.1 [2], padding accounts for 54% of the total input tokens "
    "when the max sequence length is 384' (Zhang et al., Reducing BERT Computation by Padding "
    f"Removal and Curriculum Learning, ISPASS 2021, abstract: {SQUAD_PADDING}); fit = no: "
    "validated, not fitted (the 54% is rounded to 1% and names no split, and the spread of "
    "the lengths is not published: hwsim takes equal lengths, the least attention work)"
)
NO_FIT_DLA = (
    "; fit = no: validated, not fitted (a quarter of the throughput is the DLAs' work, which "
    "hwsim does not model)"
)
V31 = "https://github.com/mlcommons/inference_results_v3.1/blob/eaf622a25c00f2b4b1d2c4f5b4f430570429d24a/closed/NVIDIA/results"
V30 = "https://github.com/mlcommons/inference_results_v3.0/blob/dad59af09e9e62eceec4bee48794e201d6cf9170/closed/NVIDIA/results"
MLPERF_ROWS = [
    # id, class, workload, chip, batch, metric, value, url, quote, conditions, notes
    (
        "M20",
        "mobile_edge",
        "resnet50",
        "jetson-agx-orin",
        "8",
        "latency_ms",
        "2.182046",
        f"{V31}/Orin_TRT/resnet50/MultiStream/performance/run_1/mlperf_log_summary.txt",
        "99th percentile latency (ns) : 2182046",
        "MLPerf Inference v3.1 Edge closed, MultiStream (samples_per_query : 8), TensorRT 8.5.2, JetPack 5.1.1, int8",
        "p99 latency of an 8-image query taken as the batch-8 latency (mean 2.164 ms)",
    ),
    (
        "M21",
        "mobile_edge",
        "resnet50",
        "jetson-agx-orin",
        "256",
        "throughput_per_s",
        "6423.63",
        f"{V31}/Orin_TRT/resnet50/Offline/performance/run_1/mlperf_log_summary.txt",
        "Samples per second: 6423.63",
        "MLPerf Inference v3.1 Edge closed, Offline, TensorRT 8.5.2, int8; GPU + 2 DLA cores",
        "engine batch 256 and GPU + 2 DLAs from NVIDIA's Offline config for Orin (https://github.com/mlcommons/inference_results_v3.0/blob/dad59af09e9e62eceec4bee48794e201d6cf9170/closed/NVIDIA/configs/resnet50/Offline/__init__.py: "
        "'gpu_batch_size = 256', '# GPU-only QPS _gpu_offline_expected_qps = 4500', '# GPU + 2 DLA "
        "QPS offline_expected_qps = 6100'): the throughput includes the two DLA cores, which the "
        "tensorrt profile does not model (GPU only), so ~74% of it is the GPU's" + NO_FIT_DLA,
    ),
    (
        "M22",
        "mobile_edge",
        "bert-large",
        "jetson-agx-orin",
        "1",
        "latency_ms",
        "4.424132",
        f"{V31}/Orin_TRT/bert-99/SingleStream/performance/run_1/mlperf_log_summary.txt",
        "Mean latency (ns)               : 4424132",
        "MLPerf Inference v3.1 Edge closed, bert-99 (BERT-large, SQuAD v1.1) SingleStream, TensorRT 8.5.2, int8",
        "mean latency taken (p90 is 5.705 ms); samples padded to 384 tokens in the data set"
        + NO_FIT,
    ),
    (
        "M23",
        "mobile_edge",
        "bert-large",
        "jetson-agx-orin",
        "256",
        "throughput_per_s",
        "553.693",
        f"{V31}/Orin_TRT/bert-99/Offline/performance/run_1/mlperf_log_summary.txt",
        "Samples per second: 553.693",
        "MLPerf Inference v3.1 Edge closed, bert-99 Offline, TensorRT 8.5.2, int8",
        "engine batch not in the summary: 256 assumed; sequence length 384 (see M22)" + NO_FIT,
    ),
    (
        "D02",
        "datacenter",
        "bert-large",
        "a100-80gb-sxm",
        "1024",
        "throughput_per_s",
        "3590.46",
        f"{V30}/DGX-A100_A100-SXM-80GBx1_TRT/bert-99/Offline/performance/run_1/mlperf_log_summary.txt",
        "Samples per second: 3590.46",
        "MLPerf Inference v3.0 Datacenter closed, bert-99 Offline, 1x A100-SXM-80GB, TensorRT 8.6, int8",
        "engine batch not in the summary: 1024 assumed; sequence length 384 (see M22)" + NO_FIT,
    ),
    (
        "D03",
        "datacenter",
        "resnet50",
        "h100-sxm",
        "2048",
        "throughput_per_s",
        "88526",
        f"{V31}/DGX-H100_H100-SXM-80GBx1_TRT/resnet50/Offline/performance/run_1/mlperf_log_summary.txt",
        "Samples per second: 88526",
        "MLPerf Inference v3.1 Datacenter closed, ResNet-50 Offline, 1x H100-SXM-80GB, TensorRT, int8",
        "engine batch 2048: 'gpu_batch_size = 2048' for H100_SXM_80GBx1 in NVIDIA's v3.0 Offline "
        "config (https://github.com/mlcommons/inference_results_v3.0/blob/dad59af09e9e62eceec4bee48794e201d6cf9170/closed/NVIDIA/configs/resnet50/Offline/__init__.py); the engine fuses the whole res2 stage into one plugin kernel and each "
        "res3-res5 branch2c conv with its residual add and ReLU (NVIDIA's "
        "code/resnet50/tensorrt/rn50_graphsurgeon.py: RES2_FULL_FUSION, SmallTileGEMM_TRT)",
    ),
    (
        "D04",
        "datacenter",
        "bert-large",
        "h100-sxm",
        "1024",
        "throughput_per_s",
        "9102.26",
        f"{V31}/DGX-H100_H100-SXM-80GBx1_TRT/bert-99/Offline/performance/run_1/mlperf_log_summary.txt",
        "Samples per second: 9102.26",
        "MLPerf Inference v3.1 Datacenter closed, bert-99 Offline, 1x H100-SXM-80GB, TensorRT, int8",
        "engine batch not in the summary: 1024 assumed; sequence length 384 (see M22)" + NO_FIT,
    ),
]

TRTLLM = "https://github.com/NVIDIA/TensorRT-LLM/blob/138f96d45f90b9667426f7c47297d8c06bafac73/docs/source/performance.md"
TRTLLM_ROWS = [
    # id, chip, dtype, batch, in, out, out tok/s
    ("D20", "h100-sxm", "fp8", 768, 128, 128, "19694", "LLaMA 7B | 768 | 1 | 128 | 128 | 19,694"),
    ("D21", "h100-sxm", "fp8", 112, 128, 2048, "6818", "LLaMA 7B | 112 | 1 | 128 | 2048 | 6,818"),
    ("D22", "h100-sxm", "fp8", 80, 2048, 128, "2244", "LLaMA 7B | 80 | 1 | 2048 | 128 | 2,244"),
    ("D23", "h100-sxm", "fp8", 48, 2048, 2048, "2740", "LLaMA 7B | 48 | 1 | 2048 | 2048 | 2,740"),
    (
        "D24",
        "a100-80gb-sxm",
        "fp16",
        384,
        128,
        128,
        "5586",
        "LLaMA 7B | 384 | 1 | 128 | 128 | 5,586",
    ),
    (
        "D25",
        "a100-80gb-sxm",
        "fp16",
        60,
        128,
        2048,
        "1928",
        "LLaMA 7B | 60 | 1 | 128 | 2048 | 1,928",
    ),
    ("D26", "a100-80gb-sxm", "fp16", 52, 2048, 128, "591", "LLaMA 7B | 52 | 1 | 2048 | 128 | 591"),
]

XD = "https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference/blob/00dd2bdeb2404263f22bd6c1cd46ce397e341db5/README.md"
# llama.cpp build each machine's runs report ("main: build = ..." in its notebook).
XD_BUILD = {
    "a100-80gb-sxm": "1680 (afefa31)",
    "h100-pcie": "1680 (afefa31)",
    "rtx-4090": "1671 (8fe03ff)",
    "apple-m2-ultra": "1619 (bcc0eb4)",
}
XD_ROWS = [
    # id, chip, dtype, metric, value, quote
    (
        "D15",
        "rtx-4090",
        "fp16",
        "decode_tokens_per_s",
        "60.78",
        "4090 24GB | **149.37** | 60.78 | OOM | OOM (eval, 7B_q4_0 | 7B_f16 | 70B_q4_0 | 70B_f16)",
    ),
    (
        "D16",
        "h100-pcie",
        "fp16",
        "decode_tokens_per_s",
        "83.32",
        "H100 PCIe 80GB | 133.77 | **83.32** | **25.88** | OOM (eval)",
    ),
    (
        "D17",
        "apple-m2-ultra",
        "fp16",
        "decode_tokens_per_s",
        "40.68",
        "M2 Ultra 76-Core GPU 192GB | 91.89 | 40.68 | 14.37 | 4.81 (eval)",
    ),
    (
        "D30",
        "rtx-4090",
        "q4_0",
        "decode_tokens_per_s",
        "149.37",
        "4090 24GB | **149.37** | 60.78 | OOM | OOM (eval, 7B_q4_0 column)",
    ),
    (
        "D31",
        "a100-80gb-sxm",
        "q4_0",
        "decode_tokens_per_s",
        "136.24",
        "A100 80GB | 136.24 | 73.83 | 25.68 | OOM (eval, 7B_q4_0 column)",
    ),
    (
        "D32",
        "h100-pcie",
        "q4_0",
        "decode_tokens_per_s",
        "133.77",
        "H100 PCIe 80GB | 133.77 | **83.32** | **25.88** | OOM (eval, 7B_q4_0 column)",
    ),
    (
        "D33",
        "apple-m2-ultra",
        "q4_0",
        "decode_tokens_per_s",
        "91.89",
        "M2 Ultra 76-Core GPU 192GB | 91.89 | 40.68 | 14.37 | 4.81 (eval, 7B_q4_0 column)",
    ),
    (
        "D35",
        "rtx-4090",
        "fp16",
        "prefill_tokens_per_s",
        "7348.69",
        "4090 24GB | **5531.19** | 7348.69 | OOM | OOM (prompt eval, 7B_q4_0 | 7B_f16 | ...)",
    ),
    (
        "D36",
        "a100-80gb-sxm",
        "fp16",
        "prefill_tokens_per_s",
        "5105.77",
        "A100 80GB | 3443.98 | 5105.77 | 612.41 | OOM (prompt eval)",
    ),
    (
        "D37",
        "h100-pcie",
        "fp16",
        "prefill_tokens_per_s",
        "7367",
        "H100 PCIe 80GB | 4868.59 | **7367** | **855.73** | OOM (prompt eval)",
    ),
    (
        "D38",
        "apple-m2-ultra",
        "fp16",
        "prefill_tokens_per_s",
        "1379.54",
        "M2 Ultra 76-Core GPU 192GB | 1217.03 | 1379.54 | 133.18 | **150.98** (prompt eval)",
    ),
]

# The column order of the file these rows go into (its header), so the two cannot drift.
COLS = (Path(__file__).parents[1] / "measurements.csv").read_text().splitlines()[0].split(",")


def rows() -> list[dict[str, str]]:
    """Every measurement row laid out from its source, in the CSV's order."""
    out: list[dict[str, str]] = []
    for rid, sub, board, task, kind, value in TINY_ROWS:
        chip, btxt = BOARDS[board]
        prof = "x-cube-ai" if sub == "STMicroelectronics" else "plumerai"
        stack = "X-CUBE-AI 7.3.0" if prof == "x-cube-ai" else "Plumerai Inference Engine"
        folder = (
            "enegy"
            if (board, task, kind) == ("NUCLEO-H7A3ZI-Q", "ic", "energy")
            else ("energy" if kind == "energy" else "performance")
        )
        url = f"{TINY}/{sub}/results/{board}/{task}/{folder}/results.txt"
        if kind == "perf":
            metric, quote = "throughput_per_s", f"Median throughput is {value} inf./sec."
            what = "SingleStream median throughput (performance mode)"
        else:
            metric, quote = "energy_uj", f"Median energy cost is {value} uJ/inf."
            what = (
                "median energy per inference (energy mode, EEMBC EnergyRunner, whole board supply)"
            )
        note = ""
        if board == "B_U585I_IOT02A":
            note = "STM32U585 = STM32U575 plus crypto accelerators (same Cortex-M33 core, clock, SRAM and flash): mapped to the stm32u575 spec"
        out.append(
            dict(
                id=rid,
                **{"class": "mcu"},
                workload=TINY_MODEL[task],
                hardware=chip,
                profile=prof,
                dtype="int8",
                batch="1",
                metric=metric,
                value=value,
                source=url,
                quote=quote,
                conditions=f"MLPerf Tiny v1.0 closed {TINY_NAME[task]}, {stack}, {btxt}, int8, batch 1, {what}",
                notes=note,
            )
        )
    for rid, wl, folder, prec, dtype, value, params, note in AIHUB_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "mobile_edge"},
                workload=wl,
                hardware="snapdragon-8-gen-3",
                profile="qnn",
                dtype=dtype,
                batch="1",
                metric="latency_ms",
                value=value,
                params=params,
                source=f"{AIHUB}/{folder}/perf.yaml",
                quote=f"precisions: {prec}: ... Samsung Galaxy S24: tflite: ... inference_time_milliseconds: {value}",
                conditions=f"Qualcomm AI Hub, Samsung Galaxy S24 (Snapdragon 8 Gen 3), TFLite 2.17 + QAIRT 2.41 delegate, primary compute unit NPU, precision {prec}, batch 1",
                notes=note,
            )
        )
    out.append(
        dict(
            id="M14",
            **{"class": "mobile_edge"},
            workload="llama-2-7b",
            hardware="snapdragon-8-gen-3",
            profile="qnn",
            dtype="w4a16-int",
            batch="1",
            prompt_len="1024",
            gen_len="1",
            metric="ttft_ms",
            value="1495.83",
            source=f"{AIHUB}/llama_v2_7b_chat/perf.yaml",
            quote="Samsung Galaxy S24: qnn_context_binary: context_length: 1024 time_to_first_token_range_milliseconds: min: 1495.830 max: 1495.830",
            conditions="Qualcomm AI Hub, Galaxy S24, QNN context binary, Llama-2-7B-Chat w4a16, batch 1",
            notes=M14_NOTE,
        )
    )
    for rid, wl, prof, value in TINYENGINE_ROWS:
        col, note = TINYENGINE_STACKS[prof]
        out.append(
            dict(
                id=rid,
                **{"class": "mcu"},
                workload=wl,
                hardware="stm32h743",
                profile=prof,
                dtype="int8",
                batch="1",
                metric="latency_ms",
                value=value,
                source=TINYENGINE,
                quote=TINYENGINE_QUOTE[wl],
                conditions=f"{col}; STM32CubeIDE -Ofast; STM32H743 (Cortex-M7), clock not stated; precision int8; batch 1; single inference",
                notes=note,
            )
        )
    out.append(
        dict(
            id="E16",
            **{"class": "mcu"},
            workload="models/person-detection.yaml",
            hardware="esp32-s3",
            profile="tflm",
            dtype="int8",
            batch="1",
            metric="latency_ms",
            value="2300",
            source=ESP_TFLM,
            quote="ESP32-S3 | Person Detection | 2300ms | 54ms | 240MHz",
            conditions="TFLite Micro with its reference kernels (without ESP-NN); Espressif ESP32-S3 @240 MHz; internal memory; precision int8; batch 1; invoke() time",
            notes="esp-tflite-micro README, 'without ESP-NN' column (E15 is the 'with ESP-NN' one); model = models/person-detection.yaml",
        )
    )
    for rid, prof, value, col, kernels in ESP_NN_MNV3_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "mcu"},
                workload="models/mobilenet-v3-small.yaml",
                hardware="esp32-s3",
                profile=prof,
                dtype="int8",
                batch="1",
                metric="latency_ms",
                value=value,
                source=ESP_NN,
                quote=ESP_NN_MNV3_QUOTE,
                conditions=f"{kernels}; Espressif ESP32-S3 @240 MHz; tensor arena in PSRAM (SPIRAM); precision int8; batch 1; invoke() time",
                notes=f"'{col}' column; " + ESP_NN_MNV3_NOTE,
                fit="no",
            )
        )
    out.append(
        dict(
            id="E26",
            **{"class": "mcu"},
            workload="models/person-detection.yaml",
            hardware="esp32-s3",
            profile="esp-nn",
            dtype="int8",
            batch="1",
            metric="latency_ms",
            value="47",
            source=ESP_NN,
            quote="Person detection on ESP32-S3 with internal RAM: 47ms",
            conditions="TFLite Micro + ESP-NN 1.2.1 optimised kernels; Espressif ESP32-S3 @240 MHz; internal RAM; precision int8; batch 1; invoke() time",
            notes=(
                "esp-nn README note under its model-level table (ESP-NN 1.2.1, whose S3 kernels the "
                "same commit re-timed: 1x1 conv 64->64 461,398 -> 331,008 cycles); the same "
                "model as E15 (54 ms, esp-tflite-micro README, an earlier ESP-NN), which stays "
                "as published; model = models/person-detection.yaml"
            ),
        )
    )
    for rid, wl, batch, value, quote in EYERISS_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "accelerator"},
                workload=wl,
                hardware="eyeriss",
                profile="rs-dataflow",
                dtype="int16",
                batch=batch,
                metric="throughput_per_s",
                value=value,
                source=EYERISS,
                quote=quote,
                conditions="custom RS-dataflow mapping; MIT Eyeriss (65 nm, 168 PEs); precision 16-bit fixed; batch 3; chip measurement",
                notes="Eyeriss JSSC 2017 abstract: VGG-16 CONV layers at 0.7 frames/s, batch 3, 236 mW, 16-bit fixed point; model = models/vgg16-conv-eyeriss.yaml (15.35 G MACs)",
            )
        )
    for rid, wl, params, value, quote in CORAL_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "accelerator"},
                workload=wl,
                hardware="edge-tpu",
                profile="edgetpu",
                dtype="int8",
                batch="1",
                metric="latency_ms",
                value=value,
                params=params,
                source=CORAL,
                quote=quote,
                conditions="Coral Edge TPU benchmarks table 1, 'Desktop CPU + USB Accelerator (USB 3.0) with Edge TPU' column, C++ benchmark, model execution only (no input preprocessing), int8 TFLite",
                notes="" if not params else "the table's ResNet-50 V1 runs at 299x299",
            )
        )
    for rid, wl, params, value, quote in CORAL_MODELS_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "accelerator"},
                workload=wl,
                hardware="edge-tpu",
                profile="edgetpu",
                dtype="int8",
                batch="1",
                metric="latency_ms",
                value=value,
                params=params,
                source=CORAL_MODELS,
                quote=quote,
                conditions=CORAL_MODELS_CONDITIONS,
                notes=(
                    "13.6 M MACs: the run is mostly the per-invoke cost and the USB transfers"
                    if rid == "M27"
                    else "not in the benchmarks table's USB column as read (the copy is cut)"
                ),
            )
        )
    for rid, cls, wl, chip, batch, metric, value, url, quote, cond, note in MLPERF_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": cls},
                workload=wl,
                hardware=chip,
                profile="tensorrt",
                dtype="int8",
                batch=batch,
                params=f"seq_len=384;unpadded_len={BERT_UNPADDED_LEN}"
                if wl.startswith("bert")
                else "",
                fit="no" if wl.startswith("bert") or "fit = no" in note else "",
                metric=metric,
                value=value,
                source=url,
                quote=quote,
                conditions=cond,
                notes=note,
            )
        )
    for rid, chip, dtype, batch, pin, pout, value, quote in TRTLLM_ROWS:
        out.append(
            dict(
                id=rid,
                **{"class": "datacenter"},
                workload="llama-2-7b",
                hardware=chip,
                profile="tensorrt-llm",
                dtype=dtype,
                batch=str(batch),
                prompt_len=str(pin),
                gen_len=str(pout),
                metric="output_tokens_per_s",
                value=value,
                source=TRTLLM,
                quote=quote,
                conditions=f"TensorRT-LLM v0.6.1 peak-throughput table, gptSessionBenchmark, TP 1, {dtype.upper()}, batch {batch}, input {pin}, output {pout}, {'H100 80GB HBM3' if chip == 'h100-sxm' else 'A100 (form factor not stated; SXM used)'}",
                notes="LLaMA 7B = Llama2-7b per the methodology section; output tokens/s = batch x output length / (prefill + decode) time",
            )
        )
    for rid, chip, dtype, metric, value, quote in XD_ROWS:
        # The runs behind the README table (its notebooks, e.g. "LLaMA 2/Professional
        # GPUs/A100_v2.ipynb" at the same commit) log the prompt ("prompt eval time = ... /
        # 494 tokens"), the context ("n_ctx = 512, n_batch = 512, n_predict = 1024") and the
        # device ("Device 0: NVIDIA A100 80GB PCIe").
        prompt, gen = ("256", "257") if metric == "decode_tokens_per_s" else ("494", "1")
        build = XD_BUILD[chip]
        out.append(
            dict(
                id=rid,
                **{
                    "class": "datacenter"
                    if chip in ("a100-80gb-sxm", "h100-pcie")
                    else "desktop_gpu"
                },
                workload="llama-2-7b",
                hardware=chip,
                profile="llama.cpp",
                dtype=dtype,
                batch="1",
                prompt_len=prompt,
                gen_len=gen,
                metric=metric,
                value=value,
                source=XD,
                quote=quote,
                conditions=f"llama.cpp build {build} ({'Metal' if chip == 'apple-m2-ultra' else 'CUDA, cuBLAS build, RunPod'}), ./main --no-mmap -ngl {'1' if chip == 'apple-m2-ultra' else '10000'} -n 1024 --ignore-eos, n_ctx 512, 494-token prompt, LLaMA 2 7B {'f16' if dtype == 'fp16' else 'q4_0 (225 q4_0 tensors + output.weight q6_K, 4.54 bits/weight)'}, batch 1, average {'eval' if metric == 'decode_tokens_per_s' else 'prompt eval'} speed",
                notes=(
                    "the 1023 decode steps run in a 512-token context: when it fills, llama.cpp's context shift drops half of it, so every step attends over 256-511 cached tokens; modelled as a 256-token prompt + 257 generated tokens (KV length 256..511)"
                    if metric == "decode_tokens_per_s"
                    else "prompt eval of the 494-token prompt (one 494-row batch, n_batch 512)"
                )
                + (
                    "; the device is an A100 80GB PCIe (notebook: 'Device 0: NVIDIA A100 80GB PCIe'): same GA100 die, clocks and peaks as the SXM spec used here, HBM2e at 1,935 GB/s (NVIDIA A100 datasheet) vs the SXM's 2,039"
                    if chip == "a100-80gb-sxm"
                    else ""
                ),
            )
        )
    return out


def main() -> None:
    """Write the rows to stdout as validation/measurements.csv."""
    w = csv.DictWriter(sys.stdout, fieldnames=COLS, lineterminator="\n")
    for r in rows():
        w.writerow({c: r.get(c, "") for c in COLS})


if __name__ == "__main__":
    main()
