#!/usr/bin/env python3
"""The anchors attnc is measured against, in the same device call as attnc's
own benchmark (bench/attn-bench): copy bandwidth, torch SDPA (FlashAttention-2
and cuDNN backends) and FlexAttention on the issue's two workloads:

  prefill: causal, batch 4 x 4096, head_dim 128, 32 q / 8 kv heads, bf16
  decode:  64 requests x 4096 keys, one query each, same heads, bf16

Methodology follows ../shared/anchors/anchors.py: triton.testing.do_bench
median; TFLOP/s = 4*D*(unmasked pairs)*heads/time; decode GB/s over the K+V
bytes that must be read. Prints one JSON line per row (prefix 'ANCHOR ') and
writes them to --out if given.
"""
import argparse
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

try:
    import triton.testing as tt
except Exception:  # pragma: no cover - the device image has triton
    tt = None


def bench_ms(fn, rep=200):
    fn()
    torch.cuda.synchronize()
    if tt is not None:
        return float(tt.do_bench(fn, warmup=25, rep=rep, return_mode="median"))
    start, end = torch.cuda.Event(True), torch.cuda.Event(True)
    times = []
    for _ in range(50):
        start.record(); fn(); end.record(); torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[len(times) // 2]


def rows_copy():
    n = 1 << 30  # 2 GiB of bf16 each way
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda").uniform_(-1, 1)
    b = torch.empty_like(a)
    ms = bench_ms(lambda: b.copy_(a), rep=100)
    gbps = 2 * a.numel() * a.element_size() / ms / 1e6
    return [{"case": "copy", "backend": "torch copy_", "ms": ms, "gbps": gbps}]


def rows_prefill(batch=4, L=4096, D=128, hq=32, hkv=8):
    torch.manual_seed(0)
    q = torch.randn(batch, hq, L, D, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16)
    pairs = L * (L + 1) // 2
    flops = 4 * D * pairs * hq * batch
    out = []
    for name, backend in [("sdpa-flash (FA2)", SDPBackend.FLASH_ATTENTION),
                          ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION)]:
        try:
            def fn():
                with sdpa_kernel(backend):
                    return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            ms = bench_ms(fn)
            out.append({"case": f"prefill causal {batch}x{L} d{D} {hq}/{hkv}", "backend": name,
                        "ms": ms, "tflops": flops / ms / 1e9})
        except Exception as e:  # a backend may refuse a shape; say so
            out.append({"case": "prefill", "backend": name, "error": str(e)[:200]})
    try:
        from torch.nn.attention.flex_attention import flex_attention, create_block_mask
        mask = create_block_mask(lambda b, h, qi, ki: ki <= qi, None, None, L, L)
        flex = torch.compile(flex_attention)
        ms = bench_ms(lambda: flex(q, k, v, block_mask=mask, enable_gqa=True))
        out.append({"case": f"prefill causal {batch}x{L} d{D} {hq}/{hkv}", "backend": "flex",
                    "ms": ms, "tflops": flops / ms / 1e9})
    except Exception as e:
        out.append({"case": "prefill", "backend": "flex", "error": str(e)[:200]})
    return out


def rows_decode(batch=64, L=4096, D=128, hq=32, hkv=8):
    torch.manual_seed(1)
    q = torch.randn(batch, hq, 1, D, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16)
    kv_bytes = 2 * k.numel() * k.element_size()
    out = []
    for name, backend in [("sdpa-flash (FA2)", SDPBackend.FLASH_ATTENTION),
                          ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION)]:
        try:
            def fn():
                with sdpa_kernel(backend):
                    return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            ms = bench_ms(fn)
            out.append({"case": f"decode {batch}x{L} d{D} {hq}/{hkv}", "backend": name,
                        "ms": ms, "gbps": kv_bytes / ms / 1e6})
        except Exception as e:
            out.append({"case": "decode", "backend": name, "error": str(e)[:200]})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    args = ap.parse_args()
    props = torch.cuda.get_device_properties(0)
    env = {"gpu": props.name, "sms": props.multi_processor_count, "torch": torch.__version__,
           "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    rows = [{"env": env}] + rows_copy() + rows_prefill() + rows_decode()
    for r in rows:
        print("ANCHOR " + json.dumps(r), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
