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
