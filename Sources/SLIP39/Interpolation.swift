import HSMSyncModel
import SecureMemory

/// Lagrange interpolation over GF(256): the value at any x of the polynomials through some points.
enum Interpolation {
    /// The value at `x` of the polynomials of degree `points.count - 1` through `points`.
    ///
    /// The x-coordinates are public and must be distinct; the values are secret, all of one length,
    /// and are only ever multiplied by public Lagrange coefficients with ``GF256/multiply(_:_:)``.
    ///
    /// - Returns: a new secret buffer of the points' value length.
    static func evaluate(_ points: [SharePoint], at x: UInt8) -> SecretBytes {
        precondition(!points.isEmpty, "interpolation needs at least one point")
        let length = points[0].value.count
        if let point = points.first(where: { $0.x == x }) {
            return point.value.bytes.duplicate()
        }
        var result = SecretBytes(zeroedCount: length)
        for (i, point) in points.enumerated() {
            precondition(point.value.count == length, "share values must have one length")
            // The Lagrange basis polynomial of point i, at x: ∏_{j≠i} (x − x_j) / (x_i − x_j).
            var coefficient: UInt8 = 1
            for (j, other) in points.enumerated() where j != i {
                precondition(other.x != point.x, "x-coordinates must be distinct")
                coefficient = GF256.multiply(
                    coefficient, GF256.multiply(x ^ other.x, GF256.inverse(point.x ^ other.x)))
            }
            point.value.withUnsafeBytes { y in
                result.withUnsafeMutableBytes { sum in
                    for k in 0..<length {
                        sum[k] ^= GF256.multiply(coefficient, y[k])
                    }
                }
            }
        }
        return result
    }
}
