//! Monomials and the explicit feature maps φ(x) of the kernel view.
//!
//! A monomial of degree `k` in `n` variables is a multiset `i_1 <= i_2 <= ... <= i_k` of variable
//! indices; its value at `z` is `z[i_1] * ... * z[i_k]`. With the bias coordinate, `z = (x, 1)`
//! has `n = d + 1` entries, and the degree-`k` monomials of `z` are exactly the monomials of
//! degree `<= k` in `x` (the ones that use the bias coordinate `m` times have degree `k - m` in x).

/// The number of monomials of degree exactly `k` in `n` variables, `C(n + k - 1, k)`, or `None`
/// when it does not fit in a `u128`.
pub fn count_homogeneous(n: usize, k: usize) -> Option<u128> {
    if n == 0 {
        return Some(u128::from(k == 0));
    }
    binomial((n + k - 1) as u128, k as u128)
}

/// The number of monomial features of degree `k` for `d` inputs: `C(d + k, k)` (all monomials of
/// degree `<= k` in x) with the bias coordinate, `C(d + k - 1, k)` (degree exactly `k`) without.
pub fn feature_count(d: usize, k: usize, bias: bool) -> Option<u128> {
    count_homogeneous(d + usize::from(bias), k)
}

/// `C(n, k)` in exact integer arithmetic; `None` on overflow.
pub fn binomial(n: u128, k: u128) -> Option<u128> {
    if k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        // acc * (n - i) / (i + 1) stays an integer at every step: it is C(n, i + 1) * ... exactly.
        acc = acc.checked_mul(n - i)? / (i + 1);
    }
    Some(acc)
}

/// All degree-`k` monomials in `n` variables as sorted index lists, in lexicographic order.
///
/// This is the explicit enumeration; tests compare its length with the closed form.
pub fn enumerate(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn rec(n: usize, k: usize, start: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            rec(n, k, i, current, out);
            current.pop();
        }
    }
    rec(n, k, 0, &mut current, &mut out);
    out
}

/// `x` with the bias coordinate 1 appended when `bias` is set.
pub fn augment(x: &[f64], bias: bool) -> Vec<f64> {
    let mut z = x.to_vec();
    if bias {
        z.push(1.0);
    }
    z
}

/// The explicit degree-`k` feature map φ_k(x): every degree-`k` monomial of `z = (x, 1)` (bias) or
/// `z = x` (no bias), in the order of [`enumerate`].
pub fn phi(x: &[f64], k: usize, bias: bool) -> Vec<f64> {
    let z = augment(x, bias);
    enumerate(z.len(), k)
        .iter()
        .map(|m| m.iter().map(|&i| z[i]).product())
        .collect()
}

/// The degree-2 feature map φ(x) = (z_i z_j)_{i <= j} of the paper's one-layer kernel view.
pub fn phi2(x: &[f64], bias: bool) -> Vec<f64> {
    phi(x, 2, bias)
}
