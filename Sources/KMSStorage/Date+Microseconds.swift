import Foundation

/// Microseconds between 1970-01-01 and 2001-01-01 (Foundation's reference date).
private let referenceDateMicrosecondsSince1970: Int64 = 978_307_200_000_000

extension Date {
    /// The date rounded to the nearest whole microsecond: the precision every key store keeps.
    ///
    /// A date that is already rounded is stored and read back exactly equal, so callers that
    /// hand out a date they just stored should round it first.
    public var roundedToMicroseconds: Date {
        Date(timeIntervalSinceReferenceDate: (timeIntervalSinceReferenceDate * 1e6).rounded() / 1e6)
    }

    /// The date as whole microseconds since 1970-01-01T00:00:00Z, or `nil` when it is not
    /// finite or out of range.
    package var microsecondsSince1970: Int64? {
        let micros = (timeIntervalSinceReferenceDate * 1e6).rounded()
        guard let sinceReference = Int64(exactly: micros) else { return nil }
        return sinceReference.addingReportingOverflow(referenceDateMicrosecondsSince1970).overflow
            ? nil : sinceReference + referenceDateMicrosecondsSince1970
    }

    /// The date that many microseconds after 1970-01-01T00:00:00Z, or `nil` when out of
    /// range; the inverse of `microsecondsSince1970` for rounded dates.
    package init?(microsecondsSince1970 micros: Int64) {
        let sinceReference = micros.subtractingReportingOverflow(referenceDateMicrosecondsSince1970)
        guard !sinceReference.overflow else { return nil }
        self.init(timeIntervalSinceReferenceDate: Double(sinceReference.partialValue) / 1e6)
    }
}
