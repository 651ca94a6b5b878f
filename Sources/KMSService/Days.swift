import Foundation
import KMSStorage

extension Date {
    /// The date a whole number of 24-hour days later, rounded to the microsecond that
    /// key stores keep (so the date handed out equals the one read back).
    func adding(days: Int) -> Date {
        addingTimeInterval(TimeInterval(days) * 86_400).roundedToMicroseconds
    }
}
