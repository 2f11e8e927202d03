#!/usr/bin/env python3
"""The anchors attnc is measured against, in the same device call as attnc's
own benchmark (bench/attn-bench): copy bandwidth, torch SDPA (FlashAttention-2
and cuDNN backends) and FlexAttention on the issue's two workloads:

  prefill: causal, batch 4 x 4096, head_dim 128, 32 q / 8 kv heads, bf16
  decode:  64 requests x 4096 keys and 1 x 16384, one query each, same heads,
           bf16 (do_bench, and a CUDA graph over rotating K/V sets as
           ../shared/anchors/anchors.py times decode)

and the skewed decode batches of the runtime issue (64 requests, one query
each, same heads): skew1 = one request of 32768 keys + 63 of 512; skew2 =
lengths log-uniform in [256, 32768] (std::mt19937_64 seed 42), read from the
file attn-bench writes (--skew-lengths; regenerated identically when absent).
Their GB/s are over the bytes really needed: K + V of every request's keys for
its kv heads, plus Q read and O written (as attn-bench counts them).

Methodology follows ../shared/anchors/anchors.py: triton.testing.do_bench
median; TFLOP/s = 4*D*(unmasked pairs)*heads/time; decode GB/s over the K+V
bytes that must be read. Prints one JSON line per row (prefix 'ANCHOR ') and
writes them to --out if given.
"""
import argparse
import json
import math
import os
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


def graph_ms(fns, reps=100):
    """Median per-call time of one CUDA graph calling every fn once (the
    primary decode timing of ../shared/anchors/anchors.py: no host launch per
    call, and with one K/V set per fn the KV does not sit in L2)."""
    torch.cuda.synchronize()
    st = torch.cuda.Stream()
    st.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(st):
        for f in fns:
            f()
    torch.cuda.current_stream().wait_stream(st)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for f in fns:
            f()
    g.replay()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b) / len(fns))
    del g
    ts.sort()
    return ts[len(ts) // 2]


def rows_decode(batch=64, L=4096, D=128, hq=32, hkv=8):
    torch.manual_seed(1)
    kv_bytes = 2 * batch * hkv * L * D * 2
    nsets = max(1, min(96, math.ceil(400e6 / kv_bytes)))
    sets = [(torch.randn(batch, hq, 1, D, device="cuda", dtype=torch.bfloat16),
             torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16),
             torch.randn(batch, hkv, L, D, device="cuda", dtype=torch.bfloat16))
            for _ in range(nsets)]
    out = []
    for name, backend in [("sdpa-flash (FA2)", SDPBackend.FLASH_ATTENTION),
                          ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION)]:
        try:
            def call(q, k, v, backend=backend):
                with sdpa_kernel(backend):
                    return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            fns = [(lambda q=q, k=k, v=v: call(q, k, v)) for (q, k, v) in sets]
            ms = bench_ms(fns[0])
            row = {"case": f"decode {batch}x{L} d{D} {hq}/{hkv}", "backend": name,
                   "ms": ms, "gbps": kv_bytes / ms / 1e6, "graph_sets": nsets}
            try:
                gms = graph_ms(fns)
                row.update(graph_ms=gms, graph_gbps=kv_bytes / gms / 1e6)
            except Exception as e:
                row["graph_error"] = str(e)[:200]
            out.append(row)
        except Exception as e:
            out.append({"case": "decode", "backend": name, "error": str(e)[:200]})
    return out


# --- Skewed decode -----------------------------------------------------------

def _mt19937_64(seed):
    """std::mt19937_64 (C++11), pure Python: the lengths without the file."""
    n, m, mask = 312, 156, (1 << 64) - 1
    mt = [0] * n
    mt[0] = seed & mask
    for i in range(1, n):
        mt[i] = (6364136223846793005 * (mt[i - 1] ^ (mt[i - 1] >> 62)) + i) & mask
    idx = n
    while True:
        if idx >= n:
            for i in range(n):
                y = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % n] & 0x7FFFFFFF)
                x = mt[(i + m) % n] ^ (y >> 1)
                if y & 1:
                    x ^= 0xB5026F5AA96619E9
                mt[i] = x
            idx = 0
        y = mt[idx]
        idx += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        yield y & mask


def skew2_lengths_generated(n=64, seed=42):
    """Bench.cpp's skew2Lengths(): llround(exp(uniform(ln 256, ln 32768))) with
    libstdc++'s uniform_real_distribution<double> over std::mt19937_64(42)
    (generate_canonical<double, 53>: one 64-bit draw / 2^64)."""
    g = _mt19937_64(seed)
    a, b = math.log(256.0), math.log(32768.0)
    out = []
    for _ in range(n):
        u = float(next(g)) / 2.0 ** 64
        if u >= 1.0:
            u = math.nextafter(1.0, 0.0)
        out.append(int(math.floor(math.exp(u * (b - a) + a) + 0.5)))
    return out


def skew_mixes(lengths_path):
    gen = skew2_lengths_generated()
    skew2, source = gen, "regenerated (no lengths file)"
    if lengths_path and os.path.exists(lengths_path):
        with open(lengths_path) as f:
            skew2 = [int(x) for x in json.load(f)["lengths"]]
        source = "read from " + os.path.basename(lengths_path)
        if skew2 != gen:
            source += " (differs from the regenerated list!)"
    return [("decode skew1", [32768] + [512] * 63, "fixed"), ("decode skew2", skew2, source)]


def _decode_ref(q1, k1, v1):
    """float32 reference of one decode row. q1 [hq, D], k1/v1 [L, hkv, D]."""
    hq, D = q1.shape
    hkv = k1.shape[1]
    qq = q1.float().view(hkv, hq // hkv, D)
    kk, vv = k1.float().permute(1, 0, 2), v1.float().permute(1, 0, 2)
    p = torch.softmax(qq @ kk.transpose(-1, -2) * D ** -0.5, dim=-1)
    return (p @ vv).reshape(hq, D)


def _rel_err(out, ref):
    return float((out.float() - ref).norm() / ref.norm())


def rows_skewed(lengths_path, D=128, hq=32, hkv=8):
    out = []
    for case, lens, source in skew_mixes(lengths_path):
        B, tokens, max_k = len(lens), sum(lens), max(lens)
        # As attn-bench: K + V of every key for the kv heads, Q read, O written.
        nbytes = 2 * tokens * hkv * (D + D) + 2 * B * hq * (D + D)
        base = {"case": case, "kv_tokens": tokens, "lengths": source}
        longest = max(range(B), key=lambda i: lens[i])
        starts = [0]
        for l in lens:
            starts.append(starts[-1] + l)
        torch.manual_seed(2)
        q = torch.randn(B, hq, D, device="cuda", dtype=torch.bfloat16)

        # FlashAttention-2 varlen (torch's own copy): one launch over the whole
        # batch, K/V contiguous varlen [total, hkv, D] -- FA2 in torch takes no
        # page table; the bytes moved are the same. One query per request, so
        # causal and non-causal are the same computation (is_causal=False).
        name = "fa2-varlen (aten._flash_attention_forward)"
        try:
            k = torch.randn(tokens, hkv, D, device="cuda", dtype=torch.bfloat16)
            v = torch.randn_like(k)
            cu_q = torch.arange(B + 1, device="cuda", dtype=torch.int32)
            cu_k = torch.tensor(starts, device="cuda", dtype=torch.int32)

            def fa2():
                return torch.ops.aten._flash_attention_forward(
                    q, k, v, cu_q, cu_k, 1, max_k, 0.0, False, False)[0]
            o = fa2()
            s0, s1 = starts[longest], starts[longest + 1]
            err = _rel_err(o[longest], _decode_ref(q[longest], k[s0:s1], v[s0:s1]))
            ms = bench_ms(fa2)
            out.append(dict(base, backend=name, ms=ms, gbps=nbytes / ms / 1e6,
                            check_rel_err=err, note="one varlen launch, contiguous K/V"))
            del k, v, o
        except Exception as e:
            out.append(dict(base, backend=name, error=str(e)[:200]))
        torch.cuda.empty_cache()

        # cuDNN SDPA has no varlen entry in torch. Padding the batch to the
        # longest request would read up to 64x the bytes (and time something
        # else), so the fair emulation is one dense launch per distinct length
        # (no padding, no mask: exactly the bytes needed), timed as a whole.
        # That costs one launch per length (2 for skew1, ~64 for skew2); the
        # second row buckets lengths within 2x of each other, padded to the
        # bucket's longest with the padding keys unmasked (timing only: a mask
        # could only add work), fewer launches for more bytes.
        groups = {}
        for i, l in enumerate(lens):
            groups.setdefault(l, []).append(i)
        buckets, cur = [], []
        for l in sorted(lens):
            if cur and l > 2 * cur[0]:
                buckets.append(cur)
                cur = []
            cur.append(l)
        buckets.append(cur)
        variants = [("sdpa-cudnn per-length", [(len(ix), l) for l, ix in sorted(groups.items())],
                     f"one dense launch per distinct length: {len(groups)} launches, no padding")]
        if len(buckets) < len(groups):
            padded = sum(len(bk) * max(bk) for bk in buckets)
            variants.append((
                "sdpa-cudnn buckets-2x padded", [(len(bk), max(bk)) for bk in buckets],
                f"{len(buckets)} launches, lengths within 2x padded to the bucket max "
                f"(unmasked, timing only): {padded / tokens:.2f}x the keys read"))
        for name, shapes, note in variants:
            try:
                torch.manual_seed(3)
                args = []
                for n, L in shapes:
                    kg = torch.randn(n, L, hkv, D, device="cuda", dtype=torch.bfloat16)
                    vg = torch.randn_like(kg)
                    qg = torch.randn(n, 1, hq, D, device="cuda", dtype=torch.bfloat16)
                    # [n, heads, L, D] views of BSHD storage (cuDNN's own layout).
                    args.append((qg.transpose(1, 2), kg.transpose(1, 2), vg.transpose(1, 2)))

                def cudnn():
                    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                        return [F.scaled_dot_product_attention(a, b, c, enable_gqa=True)
                                for a, b, c in args]
                res = cudnn()
                a0, b0, c0 = args[-1]  # the longest group / bucket, its first request
                err = _rel_err(res[-1][0, :, 0, :],
                               _decode_ref(a0[0, :, 0, :], b0[0].transpose(0, 1),
                                           c0[0].transpose(0, 1)))
                ms = bench_ms(cudnn)
                out.append(dict(base, backend=name, ms=ms, gbps=nbytes / ms / 1e6,
                                check_rel_err=err, note=note))
                del args, res
            except Exception as e:
                out.append(dict(base, backend=name, error=str(e)[:200], note=note))
            torch.cuda.empty_cache()
        # FlexAttention: this script runs it for prefill only, not for decode.
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    # Where attn-bench wrote skew2's lengths (its default is the same path).
    ap.add_argument("--skew-lengths", default=os.path.join(
        os.environ.get("OUT") or "/tmp/attn-out", "skew2_lengths.json"))
    ap.add_argument("--no-skew", action="store_true", help="skip the skewed-decode mixes")
    args = ap.parse_args()
    props = torch.cuda.get_device_properties(0)
    env = {"gpu": props.name, "sms": props.multi_processor_count, "torch": torch.__version__,
           "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    rows = [{"env": env}] + rows_copy() + rows_prefill() + rows_decode() + rows_decode(1, 16384)
    if not args.no_skew:
        rows += rows_skewed(args.skew_lengths)
    for r in rows:
        print("ANCHOR " + json.dumps(r), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
