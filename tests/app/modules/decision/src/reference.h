/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reference values for the Welford and novelty tests, computed with numpy (float64) by
 * this script (with the repository's .venv/bin/python); ref_window() in common.c is the same
 * generator in C:
 *
 * import numpy as np
 * N_FEAT, N_WIN = 37, 50
 * state = 12345
 * def rnd():
 *     global state
 *     state = (state * 1103515245 + 12345) & 0xFFFFFFFF
 *     return (state >> 16) & 0x7FFF
 * def window():
 *     f = []
 *     for i in range(N_FEAT):
 *         r = rnd()
 *         if i == 0:
 *             f.append(4096)
 *         elif i == 1:
 *             f.append((1 << 20) + r % 1001 - 500)
 *         else:
 *             span = 40 + 13 * i
 *             f.append(2000 + 150 * i + r % span - span // 2)
 *     return f
 * x = np.array([window() for _ in range(N_WIN)], dtype=np.int32)
 * probe = np.array(window(), dtype=np.int64)
 * mean = x.astype(np.float64).mean(axis=0)
 * var = x.astype(np.float64).var(axis=0)
 * nov = float((((probe - mean) ** 2) / np.maximum(var, 1.0)).mean())
 *
 *   REF_MEAN = mean = x.mean(axis=0); REF_VAR = x.var(axis=0) (population, ddof=0, as
 *   vmon.ml.novelty.novelty_fit before its floor); REF_NOVELTY = novelty of `probe` (the
 *   51st window) against them, var floored at 1 (vmon.ml.novelty.novelty_score):
 *   float((((probe - mean) ** 2) / np.maximum(var, 1.0)).mean())
 */

#ifndef VMON_TEST_DECISION_REFERENCE_H_
#define VMON_TEST_DECISION_REFERENCE_H_

#include <stdint.h>

#define REF_N_FEATURES 37
#define REF_N_WINDOWS  50

static const double ref_mean[REF_N_FEATURES] = {
	4096.0, 1048564.02, 2298.28, 2448.92, 2600.04, 2749.38,
	2902.02, 3042.82, 3191.52, 3352.56, 3500.32, 3645.34,
	3795.32, 3937.46, 4102.88, 4241.1, 4398.42, 4532.88,
	4707.06, 4849.46, 5007.72, 5148.78, 5314.46, 5457.76,
	5605.52, 5746.38, 5898.86, 6043.16, 6200.42, 6343.36,
	6526.06, 6639.56, 6807.26, 6931.36, 7092.2, 7243.94,
	7426.3,
};

static const double ref_var[REF_N_FEATURES] = {
	0.0, 99006.1796, 326.3216, 387.6736, 906.4384, 987.9156,
	1288.4996, 1746.6676, 1791.5296, 2130.3664, 2158.4576, 2918.7044,
	2710.0176, 3826.9684, 3428.6256, 4200.33, 3951.0436, 6120.7056,
	5364.8164, 9835.0484, 6830.8416, 8301.7716, 9474.5284, 8687.7024,
	10510.2896, 11227.4356, 13333.6004, 12456.3344, 11664.8836, 15821.7504,
	14359.3764, 17581.6464, 20427.7124, 20166.5504, 16194.44, 19419.1764,
	23231.89,
};

#define REF_NOVELTY 1.0792905201793093

/* x[0][:5] and probe[:5]: the C generator must produce the same windows. */
static const int32_t ref_x0_head[5] = {4096, 1049055, 2274, 2433, 2645};
static const int32_t ref_probe_head[5] = {4096, 1048648, 2327, 2450, 2587};

#endif /* VMON_TEST_DECISION_REFERENCE_H_ */
