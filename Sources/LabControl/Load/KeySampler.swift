// Keys for `{id}`: uniform, or Zipf-distributed (a few hot keys and a long tail, like real traffic).

import Foundation
import LabKit

/// Draws keys 1…count from a `RequestKind.KeyDistribution`.
struct KeySampler: Sendable {
    private enum Method: Sendable {
        case uniform(Int)
        case zipf(ZipfSampler)
    }
    private let method: Method

    init(_ distribution: RequestKind.KeyDistribution) {
        switch distribution {
        case .uniform(let n): method = .uniform(n)
        case .zipf(let n, let s): method = .zipf(ZipfSampler(count: n, exponent: s))
        }
    }

    func sample(using rng: inout SeededRandomNumberGenerator) -> Int {
        switch method {
        case .uniform(let n): return Int.random(in: 1...n, using: &rng)
        case .zipf(let zipf): return zipf.sample(using: &rng)
        }
    }
}

/// Zipf sampling by rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-inversion to
/// generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996).
///
/// P(k) ∝ h(k) = k^-s for k in 1…N. The method inverts the integral H of the continuous hat
/// function h(x) = x^-s, draws x = H⁻¹(u) for uniform u, rounds to the nearest k and accepts it
/// when u lies under the true probability mass of k. Constant memory and O(1) expected time for any
/// N and any s > 0 (including s = 1); the acceptance rate is above 90% for typical parameters.
/// This follows the formulation in Apache Commons Math's `ZipfRejectionInversionSampler`.
struct ZipfSampler: Sendable {
    let count: Int
    let exponent: Double
    private let hIntegralX1: Double
    private let hIntegralCount: Double
    private let s: Double

    init(count: Int, exponent: Double) {
        precondition(count > 0 && exponent > 0, "Zipf needs count > 0 and exponent > 0")
        self.count = count
        self.exponent = exponent
        hIntegralX1 = Self.hIntegral(1.5, exponent) - 1
        hIntegralCount = Self.hIntegral(Double(count) + 0.5, exponent)
        s = 2 - Self.hIntegralInverse(Self.hIntegral(2.5, exponent) - Self.h(2, exponent), exponent)
    }

    func sample(using rng: inout SeededRandomNumberGenerator) -> Int {
        while true {
            // u is uniform in (hIntegralX1, hIntegralCount].
            let u = hIntegralCount + rng.nextUnit() * (hIntegralX1 - hIntegralCount)
            let x = Self.hIntegralInverse(u, exponent)
            // Clamp as a Double first: Int(_:) traps on NaN or beyond Int's range.
            let k = x.isNaN ? 1 : Int(min(max(x + 0.5, 1), Double(count)))
            // Accept quickly when x rounded to k stays inside the squeeze, else test exactly.
            if Double(k) - x <= s || u >= Self.hIntegral(Double(k) + 0.5, exponent) - Self.h(Double(k), exponent) {
                return k
            }
        }
    }

    /// h(x) = x^-s
    private static func h(_ x: Double, _ exponent: Double) -> Double {
        exp(-exponent * log(x))
    }

    /// H(x) = (x^(1-s) - 1) / (1 - s), and log(x) when s = 1 — written to stay accurate near s = 1.
    private static func hIntegral(_ x: Double, _ exponent: Double) -> Double {
        let logX = log(x)
        return helper2((1 - exponent) * logX) * logX
    }

    /// H⁻¹(x)
    private static func hIntegralInverse(_ x: Double, _ exponent: Double) -> Double {
        var t = x * (1 - exponent)
        if t < -1 { t = -1 } // guards against rounding just below the domain
        return exp(helper1(t) * x)
    }

    /// log(1+x)/x, accurate for small x.
    private static func helper1(_ x: Double) -> Double {
        abs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x))
    }

    /// (exp(x)-1)/x, accurate for small x.
    private static func helper2(_ x: Double) -> Double {
        abs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x))
    }
}
