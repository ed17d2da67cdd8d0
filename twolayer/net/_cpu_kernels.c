/* Fused elementwise passes of the CPU gradient kernel (twolayer.net.cpu_kernels wraps them).
 *
 * relu_readout_mask: for one block of pre-activations H [rows, cols, m] (in place) and second
 * layers a [rows, m], in ONE pass over H:
 *
 *     f[r, i]    = sum_j a[r, j] * relu(H[r, i, j])      (the readout f = phi(H) a)
 *     H[r, i, j] = 1[H[r, i, j] > 0]                     (the mask M, as 0.0 / 1.0)
 *
 * where eager PyTorch takes three passes (relu_, one mv per run, gt_); with mask = 0 only the
 * readout (H is left as it was: the forward pass of net.forward). relu follows the x86
 * maxps rule max(0, v) = (0 > v) ? 0 : v, so a NaN pre-activation gives a NaN output (a
 * diverging run stays visible); the mask of a NaN is 0, as torch's gt_.
 *
 * The sum over j is taken in one fixed order on every machine: 16 partial sums (lanes j mod 16),
 * fused multiply-adds, combined by a fixed tree, then the tail j >= m - m mod 16 in order. The
 * AVX2 path and the portable path give the same bits (tests check it); -ffp-contract=off keeps
 * the compiler from fusing anything else.
 *
 * scaled_rows: rhs[r, i, :d] = x[r, i, :] * c[r, i] (and rhs[r, i, d] = c[r, i] with a bias
 * column): the right-hand side [c x, c] of the backward GEMM.
 *
 * forward_relu_mask: the forward GEMM and relu_readout_mask in one pass: for each run r,
 *
 *     H[r, i, j] = (b[r, j] +) sum_k x[r, i, k] W[r, j, k]    (one FMA chain over k = 0 .. d-1)
 *
 * computed tile by tile in registers, then f and the mask M as relu_readout_mask (the same order
 * of the readout's sum), so that H never goes to memory: only M is written. W is first packed
 * as W^T [d, m] into a scratch buffer (per run). The AVX-512 path (tiles of 8 rows x 32 columns
 * of H) and the portable path take the same chains and give the same bits. Only the AVX-512 path
 * is fast enough to replace the library's GEMM (measured 1.1x its time against 1.25x for its
 * GEMM and relu_readout_mask); without AVX-512 the kernel keeps the GEMM.
 *
 * descend_rows: the one-output gradient step from G [rows, d (+1), m] = [c x, c]^T M,
 *
 *     W[r, j, k] = W[r, j, k] + (v * G[r, k, j]) * a[r, j]      (v = -lr; k < d)
 *     b[r, j]    = b[r, j]    + (v * G[r, d, j]) * a[r, j]      (with a bias)
 *
 * each element rounded as written (no fused multiply-add), on both paths; the AVX2 path reads G
 * in 8 x 8 tiles and transposes them in registers (G's rows run over j, W's over k).
 *
 * Pointers come in as Python ints (tensor.data_ptr()), strides in elements; the Python wrapper
 * checks dtypes, shapes and strides before any call. The GIL is released during the loops, so
 * the kernel's worker lanes run them in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TWOLAYER_X86 1
#endif

static int use_vector = 1; /* set_vector(False): the portable path, for tests */

static inline float relu_max(float v) { return (0.f > v) ? 0.f : v; }

static void rrm_portable(float *h, const float *a, float *f, long rows, long cols, long m,
                         long h_run, long a_run, long f_run, long f_row, long mask) {
    long jend = m - m % 16;
    for (long r = 0; r < rows; r++) {
        const float *ar = a + r * a_run;
        for (long i = 0; i < cols; i++) {
            float *row = h + r * h_run + i * m;
            float acc0[8] = {0}, acc1[8] = {0};
            for (long j = 0; j < jend; j += 16) {
                for (int k = 0; k < 8; k++) {
                    float v0 = row[j + k], v1 = row[j + 8 + k];
                    acc0[k] = fmaf(ar[j + k], relu_max(v0), acc0[k]);
                    acc1[k] = fmaf(ar[j + 8 + k], relu_max(v1), acc1[k]);
                    if (mask) {
                        row[j + k] = v0 > 0.f ? 1.f : 0.f;
                        row[j + 8 + k] = v1 > 0.f ? 1.f : 0.f;
                    }
                }
            }
            float acc[8], lo[4];
            for (int k = 0; k < 8; k++) acc[k] = acc0[k] + acc1[k];
            for (int k = 0; k < 4; k++) lo[k] = acc[k] + acc[k + 4];
            float s = (lo[0] + lo[2]) + (lo[1] + lo[3]);
            for (long j = jend; j < m; j++) {
                float v = row[j];
                s = fmaf(ar[j], relu_max(v), s);
                if (mask) row[j] = v > 0.f ? 1.f : 0.f;
            }
            f[r * f_run + i * f_row] = s;
        }
    }
}

#ifdef TWOLAYER_X86
__attribute__((target("avx2,fma")))
static void rrm_avx2(float *h, const float *a, float *f, long rows, long cols, long m,
                     long h_run, long a_run, long f_run, long f_row, long mask) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
    long jend = m - m % 16;
    for (long r = 0; r < rows; r++) {
        const float *ar = a + r * a_run;
        for (long i = 0; i < cols; i++) {
            float *row = h + r * h_run + i * m;
            __m256 acc0 = zero, acc1 = zero;
            for (long j = 0; j < jend; j += 16) {
                __m256 v0 = _mm256_loadu_ps(row + j), v1 = _mm256_loadu_ps(row + j + 8);
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + j), _mm256_max_ps(zero, v0), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + j + 8), _mm256_max_ps(zero, v1),
                                       acc1);
                if (mask) {
                    _mm256_storeu_ps(row + j, _mm256_and_ps(one, _mm256_cmp_ps(v0, zero,
                                                                               _CMP_GT_OQ)));
                    _mm256_storeu_ps(row + j + 8, _mm256_and_ps(one, _mm256_cmp_ps(v1, zero,
                                                                                   _CMP_GT_OQ)));
                }
            }
            __m256 acc = _mm256_add_ps(acc0, acc1);
            __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
            /* (lo0 + lo2) + (lo1 + lo3), as the portable path */
            __m128 pair = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
            float s = _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)));
            for (long j = jend; j < m; j++) {
                float v = row[j];
                s = fmaf(ar[j], relu_max(v), s);
                if (mask) row[j] = v > 0.f ? 1.f : 0.f;
            }
            f[r * f_run + i * f_row] = s;
        }
    }
}
#endif

static int have_avx2(void) {
#ifdef TWOLAYER_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static void scaled_rows_impl(float *restrict rhs, const float *restrict x,
                             const float *restrict c, long rows, long cols, long d, long bias,
                             long rhs_run, long x_run, long x_row, long c_run) {
    long w = d + (bias ? 1 : 0);
    for (long r = 0; r < rows; r++) {
        for (long i = 0; i < cols; i++) {
            float ci = c[r * c_run + i];
            const float *restrict xi = x + r * x_run + i * x_row;
            float *restrict o = rhs + r * rhs_run + i * w;
            for (long k = 0; k < d; k++) o[k] = xi[k] * ci;
            if (bias) o[d] = ci;
        }
    }
}

static void descend_scalar(float *W, const float *G, const float *a, long m, long d, float v,
                           long j0, long j1, long k0, long k1) {
    for (long j = j0; j < j1; j++) {
        float aj = a[j];
        for (long k = k0; k < k1; k++) W[j * d + k] = W[j * d + k] + (v * G[k * m + j]) * aj;
    }
}

static void descend_bias(float *b, const float *g, const float *a, long m, float v) {
    for (long j = 0; j < m; j++) b[j] = b[j] + (v * g[j]) * a[j];
}

static void descend_portable(float *W, float *b, const float *G, const float *a, long rows,
                             long m, long d, long W_run, long b_run, long G_run, long a_run,
                             float v) {
    for (long r = 0; r < rows; r++) {
        const float *Gr = G + r * G_run, *ar = a + r * a_run;
        descend_scalar(W + r * W_run, Gr, ar, m, d, v, 0, m, 0, d);
        if (b) descend_bias(b + r * b_run, Gr + d * m, ar, m, v);
    }
}

#ifdef TWOLAYER_X86
/* col[l] = (src[0][l], src[1][l], ..., src[7][l]) for the 8 x 8 block whose row i starts at
 * src + i * row: the block transposed in registers */
__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8x8(const float *src, long row, __m256 col[8]) {
    __m256 t0 = _mm256_loadu_ps(src + 0 * row), t1 = _mm256_loadu_ps(src + 1 * row);
    __m256 t2 = _mm256_loadu_ps(src + 2 * row), t3 = _mm256_loadu_ps(src + 3 * row);
    __m256 t4 = _mm256_loadu_ps(src + 4 * row), t5 = _mm256_loadu_ps(src + 5 * row);
    __m256 t6 = _mm256_loadu_ps(src + 6 * row), t7 = _mm256_loadu_ps(src + 7 * row);
    __m256 u0 = _mm256_unpacklo_ps(t0, t1), u1 = _mm256_unpackhi_ps(t0, t1);
    __m256 u2 = _mm256_unpacklo_ps(t2, t3), u3 = _mm256_unpackhi_ps(t2, t3);
    __m256 u4 = _mm256_unpacklo_ps(t4, t5), u5 = _mm256_unpackhi_ps(t4, t5);
    __m256 u6 = _mm256_unpacklo_ps(t6, t7), u7 = _mm256_unpackhi_ps(t6, t7);
    __m256 s0 = _mm256_shuffle_ps(u0, u2, 0x44), s1 = _mm256_shuffle_ps(u0, u2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(u1, u3, 0x44), s3 = _mm256_shuffle_ps(u1, u3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(u4, u6, 0x44), s5 = _mm256_shuffle_ps(u4, u6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(u5, u7, 0x44), s7 = _mm256_shuffle_ps(u5, u7, 0xEE);
    col[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    col[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    col[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    col[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    col[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    col[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    col[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    col[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

__attribute__((target("avx2,fma")))
static void descend_avx2(float *W, float *b, const float *G, const float *a, long rows, long m,
                         long d, long W_run, long b_run, long G_run, long a_run, float v) {
    const __m256 vv = _mm256_set1_ps(v);
    long jend = m - m % 8, kend = d - d % 8;
    for (long r = 0; r < rows; r++) {
        float *Wr = W + r * W_run;
        const float *Gr = G + r * G_run, *ar = a + r * a_run;
        for (long j0 = 0; j0 < jend; j0 += 8) {
            for (long k0 = 0; k0 < kend; k0 += 8) {
                __m256 col[8]; /* col[l] = G[k0 .. k0 + 7, j0 + l] */
                transpose8x8(Gr + k0 * m + j0, m, col);
                for (int l = 0; l < 8; l++) {
                    float *w = Wr + (j0 + l) * d + k0;
                    __m256 step = _mm256_mul_ps(_mm256_mul_ps(vv, col[l]),
                                                _mm256_set1_ps(ar[j0 + l]));
                    _mm256_storeu_ps(w, _mm256_add_ps(_mm256_loadu_ps(w), step));
                }
            }
            descend_scalar(Wr, Gr, ar, m, d, v, j0, j0 + 8, kend, d);
        }
        descend_scalar(Wr, Gr, ar, m, d, v, jend, m, 0, d);
        if (b) descend_bias(b + r * b_run, Gr + d * m, ar, m, v);
    }
}
#endif

/* ---- forward_relu_mask ------------------------------------------------------------------ */

/* Wt[k, j] = W[j, k] for one run: W [m, d] -> Wt [d, m] */
static void pack_wt(float *Wt, const float *W, long m, long d) {
    for (long j = 0; j < m; j++)
        for (long k = 0; k < d; k++) Wt[k * m + j] = W[j * d + k];
}

/* H[i, j] of one row by the chain over k, for columns j in [j0, j1) */
static inline float h_chain(const float *xi, const float *Wt, const float *b, long m, long d,
                            long j) {
    float h = b ? b[j] : 0.f;
    for (long k = 0; k < d; k++) h = fmaf(xi[k], Wt[k * m + j], h);
    return h;
}

/* the readout's fixed tree over 16 lane sums (as relu_readout_mask) */
static inline float tree16(const float *acc16) {
    float acc[8], lo[4];
    for (int k = 0; k < 8; k++) acc[k] = acc16[k] + acc16[k + 8];
    for (int k = 0; k < 4; k++) lo[k] = acc[k] + acc[k + 4];
    return (lo[0] + lo[2]) + (lo[1] + lo[3]);
}

/* the row's columns past the 16-lane part (their H in ht, or by the chain where ht is NULL),
 * added to s in order */
static inline float row_tail(const float *xi, const float *Wt, const float *b, const float *ar,
                             float *hrow, long m, long d, long jend, float s, long mask,
                             const float *ht) {
    for (long j = jend; j < m; j++) {
        float v = ht ? ht[j - jend] : h_chain(xi, Wt, b, m, d, j);
        s = fmaf(ar[j], relu_max(v), s);
        hrow[j] = mask ? (v > 0.f ? 1.f : 0.f) : v;
    }
    return s;
}

/* one run, portable: rows i in [i0, cols) */
static void frm_rows_portable(const float *x, const float *Wt, const float *b, const float *ar,
                              float *h, float *f, long i0, long cols, long m, long d, long x_row,
                              long f_row, long mask) {
    long jend = m - m % 16;
    for (long i = i0; i < cols; i++) {
        const float *xi = x + i * x_row;
        float *hrow = h + i * m;
        float acc16[16] = {0};
        for (long j = 0; j < jend; j++) {
            float v = h_chain(xi, Wt, b, m, d, j);
            acc16[j % 16] = fmaf(ar[j], relu_max(v), acc16[j % 16]);
            hrow[j] = mask ? (v > 0.f ? 1.f : 0.f) : v;
        }
        f[i * f_row] = row_tail(xi, Wt, b, ar, hrow, m, d, jend, tree16(acc16), mask, NULL);
    }
}

#ifdef TWOLAYER_X86
__attribute__((target("avx2,fma")))
static void pack_wt_avx2(float *Wt, const float *W, long m, long d) {
    long jend = m - m % 8, kend = d - d % 8;
    for (long j0 = 0; j0 < jend; j0 += 8) {
        for (long k0 = 0; k0 < kend; k0 += 8) {
            __m256 col[8]; /* col[l] = W[j0 .. j0 + 7, k0 + l] */
            transpose8x8(W + j0 * d + k0, d, col);
            for (int l = 0; l < 8; l++) _mm256_storeu_ps(Wt + (k0 + l) * m + j0, col[l]);
        }
        for (long j = j0; j < j0 + 8; j++)
            for (long k = kend; k < d; k++) Wt[k * m + j] = W[j * d + k];
    }
    for (long j = jend; j < m; j++)
        for (long k = 0; k < d; k++) Wt[k * m + j] = W[j * d + k];
}

/* AVX-512: one tile of NR rows (NR a constant at each call site) x all columns, in column
 * tiles of 32 (two 16-lane groups, each the readout's 16 lanes), then one group of 16 */
__attribute__((target("avx512f,avx2,fma"), always_inline))
static inline void frm_tile512(const float *x0, const float *Wt, const float *b, const float *ar,
                               float *h0, float *f0, const int NR, long m, long d, long x_row,
                               long f_row, long mask) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
    long jend = m - m % 16, j32 = jend - jend % 32, j0 = 0;
    float fa[16][16]; /* NR <= 16 rows' lane sums */
    for (int r = 0; r < NR; r++) _mm512_storeu_ps(fa[r], zero);
    for (; j0 < j32; j0 += 32) {
        __m512 c0[16], c1[16];
        __m512 init0 = b ? _mm512_loadu_ps(b + j0) : zero;
        __m512 init1 = b ? _mm512_loadu_ps(b + j0 + 16) : zero;
        for (int r = 0; r < NR; r++) { c0[r] = init0; c1[r] = init1; }
        for (long k = 0; k < d; k++) {
            __m512 w0 = _mm512_loadu_ps(Wt + k * m + j0);
            __m512 w1 = _mm512_loadu_ps(Wt + k * m + j0 + 16);
            for (int r = 0; r < NR; r++) {
                __m512 xb = _mm512_set1_ps(x0[r * x_row + k]);
                c0[r] = _mm512_fmadd_ps(xb, w0, c0[r]);
                c1[r] = _mm512_fmadd_ps(xb, w1, c1[r]);
            }
        }
        __m512 a0 = _mm512_loadu_ps(ar + j0), a1 = _mm512_loadu_ps(ar + j0 + 16);
        for (int r = 0; r < NR; r++) {
            float *hrow = h0 + r * m + j0;
            __m512 acc = _mm512_fmadd_ps(a0, _mm512_max_ps(zero, c0[r]), _mm512_loadu_ps(fa[r]));
            _mm512_storeu_ps(fa[r], _mm512_fmadd_ps(a1, _mm512_max_ps(zero, c1[r]), acc));
            if (mask) {
                _mm512_storeu_ps(hrow, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c0[r], zero, _CMP_GT_OQ), one));
                _mm512_storeu_ps(hrow + 16, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c1[r], zero, _CMP_GT_OQ), one));
            } else {
                _mm512_storeu_ps(hrow, c0[r]);
                _mm512_storeu_ps(hrow + 16, c1[r]);
            }
        }
    }
    for (; j0 < jend; j0 += 16) { /* one group of 16 left */
        __m512 c0[16];
        __m512 init0 = b ? _mm512_loadu_ps(b + j0) : zero;
        for (int r = 0; r < NR; r++) c0[r] = init0;
        for (long k = 0; k < d; k++) {
            __m512 w0 = _mm512_loadu_ps(Wt + k * m + j0);
            for (int r = 0; r < NR; r++)
                c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(x0[r * x_row + k]), w0, c0[r]);
        }
        __m512 a0 = _mm512_loadu_ps(ar + j0);
        for (int r = 0; r < NR; r++) {
            float *hrow = h0 + r * m + j0;
            _mm512_storeu_ps(fa[r], _mm512_fmadd_ps(a0, _mm512_max_ps(zero, c0[r]), _mm512_loadu_ps(fa[r])));
            if (mask)
                _mm512_storeu_ps(hrow, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c0[r], zero, _CMP_GT_OQ), one));
            else
                _mm512_storeu_ps(hrow, c0[r]);
        }
    }
    float ht[16][16]; /* H of the tail columns (fewer than 16), by the same chains, masked */
    if (jend < m) {
        __mmask16 tail = (__mmask16)((1u << (m - jend)) - 1u);
        __m512 c0[16];
        __m512 init0 = b ? _mm512_maskz_loadu_ps(tail, b + jend) : zero;
        for (int r = 0; r < NR; r++) c0[r] = init0;
        for (long k = 0; k < d; k++) {
            __m512 w0 = _mm512_maskz_loadu_ps(tail, Wt + k * m + jend);
            for (int r = 0; r < NR; r++)
                c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(x0[r * x_row + k]), w0, c0[r]);
        }
        for (int r = 0; r < NR; r++) _mm512_storeu_ps(ht[r], c0[r]);
    }
    for (int r = 0; r < NR; r++)
        f0[r * f_row] = row_tail(x0 + r * x_row, Wt, b, ar, h0 + r * m, m, d, jend, tree16(fa[r]),
                                 mask, ht[r]);
}

#ifndef TWOLAYER_NR512
#define TWOLAYER_NR512 8
#endif

__attribute__((target("avx512f,avx2,fma")))
static long frm_rows_avx512(const float *x, const float *Wt, const float *b, const float *ar,
                            float *h, float *f, long cols, long m, long d, long x_row, long f_row,
                            long mask) {
    long i0 = 0;
    for (; i0 + TWOLAYER_NR512 <= cols; i0 += TWOLAYER_NR512)
        frm_tile512(x + i0 * x_row, Wt, b, ar, h + i0 * m, f + i0 * f_row, TWOLAYER_NR512, m, d,
                    x_row, f_row, mask);
    for (; i0 < cols; i0++)
        frm_tile512(x + i0 * x_row, Wt, b, ar, h + i0 * m, f + i0 * f_row, 1, m, d, x_row, f_row,
                    mask);
    return i0;
}
#endif

static int have_avx512(void) {
#ifdef TWOLAYER_X86
    return __builtin_cpu_supports("avx512f") && have_avx2();
#else
    return 0;
#endif
}

static int use_avx512 = 1; /* set_avx512(False): the AVX2 path, for tests */

static void forward_relu_mask_impl(const float *x, const float *W, const float *b, const float *a,
                                   float *h, float *f, float *Wt, long rows, long cols, long m,
                                   long d, long x_run, long x_row, long W_run, long b_run,
                                   long a_run, long h_run, long f_run, long f_row, long mask,
                                   int path) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * x_run, *ar = a + r * a_run, *br = b ? b + r * b_run : NULL;
        float *hr = h + r * h_run, *fr = f + r * f_run;
        long done = 0;
#ifdef TWOLAYER_X86
        if (path > 0) pack_wt_avx2(Wt, W + r * W_run, m, d);
        else
#endif
            pack_wt(Wt, W + r * W_run, m, d);
#ifdef TWOLAYER_X86
        if (path == 2)
            done = frm_rows_avx512(xr, Wt, br, ar, hr, fr, cols, m, d, x_row, f_row, mask);
#endif
        frm_rows_portable(xr, Wt, br, ar, hr, fr, done, cols, m, d, x_row, f_row, mask);
    }
}

static int read_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, void **ptrs,
                     int nptr, long *ints) {
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "expected %zd arguments, got %zd", want, nargs);
        return -1;
    }
    for (int k = 0; k < nptr; k++) {
        ptrs[k] = PyLong_AsVoidPtr(args[k]);
        if (ptrs[k] == NULL && PyErr_Occurred()) return -1;
    }
    for (Py_ssize_t k = nptr; k < want; k++) {
        ints[k - nptr] = PyLong_AsLong(args[k]);
        if (ints[k - nptr] == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

static PyObject *py_relu_readout_mask(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    void *p[3];
    long v[8];
    if (read_args(args, nargs, 11, p, 3, v) < 0) return NULL;
    int vec = use_vector && have_avx2();
    Py_BEGIN_ALLOW_THREADS
#ifdef TWOLAYER_X86
    if (vec)
        rrm_avx2((float *)p[0], (const float *)p[1], (float *)p[2], v[0], v[1], v[2], v[3], v[4],
                 v[5], v[6], v[7]);
    else
#endif
        rrm_portable((float *)p[0], (const float *)p[1], (float *)p[2], v[0], v[1], v[2], v[3],
                     v[4], v[5], v[6], v[7]);
    Py_END_ALLOW_THREADS
    (void)vec;
    Py_RETURN_NONE;
}

static PyObject *py_scaled_rows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    void *p[3];
    long v[8];
    if (read_args(args, nargs, 11, p, 3, v) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    scaled_rows_impl((float *)p[0], (const float *)p[1], (const float *)p[2], v[0], v[1], v[2],
                     v[3], v[4], v[5], v[6], v[7]);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_descend_rows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    void *p[4];
    long v[7];
    if (nargs != 12) {
        PyErr_Format(PyExc_TypeError, "expected 12 arguments, got %zd", nargs);
        return NULL;
    }
    if (read_args(args, 11, 11, p, 4, v) < 0) return NULL;
    double lr = PyFloat_AsDouble(args[11]);
    if (lr == -1.0 && PyErr_Occurred()) return NULL;
    float step = (float)(-lr);
    int vec = use_vector && have_avx2();
    Py_BEGIN_ALLOW_THREADS
#ifdef TWOLAYER_X86
    if (vec)
        descend_avx2((float *)p[0], (float *)p[1], (const float *)p[2], (const float *)p[3], v[0],
                     v[1], v[2], v[3], v[4], v[5], v[6], step);
    else
#endif
        descend_portable((float *)p[0], (float *)p[1], (const float *)p[2], (const float *)p[3],
                         v[0], v[1], v[2], v[3], v[4], v[5], v[6], step);
    Py_END_ALLOW_THREADS
    (void)vec;
    Py_RETURN_NONE;
}

static PyObject *py_forward_relu_mask(PyObject *self, PyObject *const *args,
                                      Py_ssize_t nargs) {
    void *p[7];
    long v[13];
    if (read_args(args, nargs, 20, p, 7, v) < 0) return NULL;
    int path = use_vector && have_avx2() ? (use_avx512 && have_avx512() ? 2 : 1) : 0;
    /* path 1 (AVX2 without AVX-512): W^T packed with AVX2, the rows by the portable loop */
    Py_BEGIN_ALLOW_THREADS
    forward_relu_mask_impl((const float *)p[0], (const float *)p[1], (const float *)p[2],
                           (const float *)p[3], (float *)p[4], (float *)p[5], (float *)p[6],
                           v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                           v[11], v[12], path);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_set_avx512(PyObject *self, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    use_avx512 = on;
    Py_RETURN_NONE;
}

static PyObject *py_forward_path(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(use_vector && use_avx512 && have_avx512() ? "avx512"
                                                                           : "portable");
}

static PyObject *py_vector_path(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(use_vector && have_avx2() ? "avx2+fma" : "portable");
}

static PyObject *py_set_vector(PyObject *self, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    use_vector = on;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"relu_readout_mask", (PyCFunction)(void (*)(void))py_relu_readout_mask, METH_FASTCALL,
     "relu_readout_mask(h, a, f, rows, cols, m, h_run, a_run, f_run, f_row, mask): f = relu(h) a "
     "and, with mask, h = 1[h > 0] in one pass (pointers as ints, strides in elements)."},
    {"scaled_rows", (PyCFunction)(void (*)(void))py_scaled_rows, METH_FASTCALL,
     "scaled_rows(rhs, x, c, rows, cols, d, bias, rhs_run, x_run, x_row, c_run): "
     "rhs = [c x, c]."},
    {"descend_rows", (PyCFunction)(void (*)(void))py_descend_rows, METH_FASTCALL,
     "descend_rows(W, b, G, a, rows, m, d, W_run, b_run, G_run, a_run, lr): "
     "W += (-lr G^T) a and, with b (not 0), b += (-lr G_b) a."},
    {"forward_relu_mask", (PyCFunction)(void (*)(void))py_forward_relu_mask, METH_FASTCALL,
     "forward_relu_mask(x, W, b, a, h, f, scratch, rows, cols, m, d, x_run, x_row, W_run, b_run, "
     "a_run, h_run, f_run, f_row, mask): H = x W^T (+ b), f = relu(H) a and h = 1[H > 0] (or H "
     "without mask) in one pass; scratch holds d * m floats."},
    {"forward_path", py_forward_path, METH_NOARGS,
     "'avx512' or 'portable': the path forward_relu_mask takes."},
    {"set_avx512", py_set_avx512, METH_O,
     "set_avx512(on): allow the AVX-512 path of forward_relu_mask (True, the default)."},
    {"vector_path", py_vector_path, METH_NOARGS,
     "'avx2+fma' or 'portable': the path relu_readout_mask takes on this CPU."},
    {"set_vector", py_set_vector, METH_O,
     "set_vector(on): allow the AVX2 path (True, the default) or force the portable one."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cpu_kernels",
                                    "Fused elementwise passes of the CPU gradient kernel.", -1,
                                    methods};

#ifndef TWOLAYER_SOURCE_DIGEST
#define TWOLAYER_SOURCE_DIGEST "unknown"
#endif

PyMODINIT_FUNC PyInit__cpu_kernels(void) {
    PyObject *mod = PyModule_Create(&module);
    if (mod != NULL && PyModule_AddStringConstant(mod, "SOURCE_DIGEST", TWOLAYER_SOURCE_DIGEST) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
