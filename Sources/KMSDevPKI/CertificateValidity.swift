import Foundation

/// The time span a certificate is valid for.
public struct CertificateValidity: Sendable, Equatable {
    /// The first instant the certificate is valid.
    public let notValidBefore: Date
    /// The last instant the certificate is valid.
    public let notValidAfter: Date

    /// A span with explicit ends; it may lie wholly in the past (for expired test certificates).
    ///
    /// - Throws: `DevPKIError` when `notValidAfter` is not later than `notValidBefore`.
    public init(notValidBefore: Date, notValidAfter: Date) throws(DevPKIError) {
        guard notValidAfter > notValidBefore else {
            throw DevPKIError("a certificate's notValidAfter (\(notValidAfter)) must be later than its notValidBefore (\(notValidBefore))")
        }
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
    }

    /// From one hour before `now` (to absorb clock skew) until `days` days after `now`.
    ///
    /// - Precondition: `days` is positive.
    public static func days(_ days: Int, from now: Date = Date()) -> CertificateValidity {
        precondition(days > 0, "a certificate validity needs a positive number of days")
        return CertificateValidity(
            checkedNotValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(TimeInterval(days) * 86_400)
        )
    }

    private init(checkedNotValidBefore: Date, notValidAfter: Date) {
        self.notValidBefore = checkedNotValidBefore
        self.notValidAfter = notValidAfter
    }
}
